"""The provider-neutral push message and the token fingerprint used in logs.

A `PushMessage` is validated once, at construction, against the limits every provider we
target shares (FCM today, a domestic gateway later), so a bad message fails in the code
that built it rather than as a per-token error from the provider minutes later.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias, cast, get_args

__all__ = [
    "DATA_PAYLOAD_LIMIT_BYTES",
    "MAX_TTL_SECONDS",
    "PLATFORMS",
    "DataValue",
    "InvalidPushMessage",
    "Platform",
    "Priority",
    "PushMessage",
    "stringify_data",
    "token_fingerprint",
]

Platform: TypeAlias = Literal["android", "ios", "harmony", "web"]
Priority: TypeAlias = Literal["normal", "high"]
DataValue: TypeAlias = str | int | float | bool | uuid.UUID

PLATFORMS: Final[frozenset[str]] = frozenset(get_args(Platform))
_PRIORITIES: Final[frozenset[str]] = frozenset(get_args(Priority))

# FCM keeps a message for at most four weeks; a longer TTL is rejected by the provider.
MAX_TTL_SECONDS: Final = 28 * 24 * 3600
# FCM and APNs both cap the payload at 4 KiB; we count title, body, data keys and values.
DATA_PAYLOAD_LIMIT_BYTES: Final = 4096
# APNs rejects an apns-collapse-id longer than 64 bytes.
_COLLAPSE_KEY_LIMIT_BYTES: Final = 64
# FCM reserves these data keys; "kind" is ours: senders put PushMessage.kind there.
_RESERVED_KEYS: Final = frozenset({"from", "message_type", "notification", "collapse_key", "kind"})
_RESERVED_PREFIXES: Final = ("google", "gcm")


class InvalidPushMessage(ValueError):
    """A message that no provider would accept; raised at construction."""


def token_fingerprint(token: str) -> str:
    """A short, stable, non-reversible name for a device token, for logs.

    Tokens are bearer credentials for a user's phone: they never go into a log line.
    """
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _stringify_value(key: str, value: object) -> str:
    # bool before int: bool is an int subclass and str(True) would give "True".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidPushMessage(f"data[{key!r}] must be finite, got {value!r}")
        return repr(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise InvalidPushMessage(
        f"data[{key!r}] must be str, int, float, bool or UUID, got {type(value).__name__}"
    )


def stringify_data(data: Mapping[str, object]) -> dict[str, str]:
    """Convert data values to the strings FCM requires, rejecting reserved or odd keys.

    Explicit conversion beats provider errors: FCM answers a non-string value with
    INVALID_ARGUMENT for that one token, long after the caller has moved on.
    """
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise InvalidPushMessage(f"data keys must be non-empty strings, got {key!r}")
        lowered = key.lower()
        if lowered in _RESERVED_KEYS or lowered.startswith(_RESERVED_PREFIXES):
            raise InvalidPushMessage(f"data key {key!r} is reserved")
        out[key] = _stringify_value(key, value)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PushMessage:
    """One notification for one device token.

    After construction `data` is a plain `dict[str, str]`: values given as int, float,
    bool or UUID are converted (bools to "true"/"false").
    """

    token: str
    platform: Platform
    title: str
    body: str
    kind: str
    data: Mapping[str, DataValue] = field(default_factory=dict)
    priority: Priority = "normal"
    # Messages sharing a collapse key replace each other on the device (and in the
    # provider's store-and-forward queue), so five reminders for one event show as one.
    collapse_key: str | None = None
    ttl_seconds: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not self.token.strip():
            raise InvalidPushMessage("token must be a non-empty string")
        if self.platform not in PLATFORMS:
            raise InvalidPushMessage(f"unknown platform {self.platform!r}")
        if self.priority not in _PRIORITIES:
            raise InvalidPushMessage(f"unknown priority {self.priority!r}")
        if not self.title:
            raise InvalidPushMessage("title must not be empty")
        if not self.kind:
            raise InvalidPushMessage("kind must not be empty")
        if self.collapse_key is not None and not (
            0 < len(self.collapse_key.encode()) <= _COLLAPSE_KEY_LIMIT_BYTES
        ):
            raise InvalidPushMessage("collapse_key must be 1 to 64 bytes")
        if self.ttl_seconds is not None and (
            isinstance(self.ttl_seconds, bool)
            or not isinstance(self.ttl_seconds, int)
            or not 0 <= self.ttl_seconds <= MAX_TTL_SECONDS
        ):
            raise InvalidPushMessage(f"ttl_seconds must be an int in 0..{MAX_TTL_SECONDS}")
        data = stringify_data(self.data)
        size = len(self.title.encode()) + len(self.body.encode()) + len(self.kind.encode())
        size += sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
        if size > DATA_PAYLOAD_LIMIT_BYTES:
            raise InvalidPushMessage(
                f"payload is {size} bytes, over the {DATA_PAYLOAD_LIMIT_BYTES}-byte limit"
            )
        # Frozen dataclass: object.__setattr__ is the documented way to normalise a field.
        object.__setattr__(self, "data", data)

    @property
    def wire_data(self) -> dict[str, str]:
        """The data map as sent: the caller's data plus `kind`, so the app can route taps."""
        # Values are str once __post_init__ has run; the field type keeps the input types.
        return {**cast("dict[str, str]", self.data), "kind": self.kind}
