"""Per-message outcomes of a send: a tagged union the caller dispatches with `match`.

msgspec Structs so the relay can store an outcome in its outbox row as JSON and decode it
back into the same type (`msgspec.json.decode(raw, type=PushResult)`).
"""

from __future__ import annotations

from typing import TypeAlias

import msgspec

__all__ = ["Delivered", "Failed", "PushResult", "RetryLater", "TokenDead"]


class Delivered(msgspec.Struct, frozen=True, tag="delivered"):
    """The provider accepted the message; `provider_id` is its message name."""

    provider_id: str


class RetryLater(msgspec.Struct, frozen=True, tag="retry_later"):
    """Transient: send again no sooner than `after_seconds` from now (a floor, e.g. the
    provider's Retry-After; feed it to `push.backoff.next_delay` as `retry_after`)."""

    after_seconds: float
    reason: str


class TokenDead(msgspec.Struct, frozen=True, tag="token_dead"):
    """The device token will never work again: deactivate the device row."""

    reason: str


class Failed(msgspec.Struct, frozen=True, tag="failed"):
    """Permanent for this message (bad payload, unreachable platform, auth misconfig):
    retrying the same message would fail the same way. The in-app inbox still has it."""

    reason: str


PushResult: TypeAlias = Delivered | RetryLater | TokenDead | Failed
