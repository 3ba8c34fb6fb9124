"""PushMessage validation and data stringification; result types round-trip as JSON."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from push import (
    Delivered,
    Failed,
    InvalidPushMessage,
    PushMessage,
    PushResult,
    RetryLater,
    TokenDead,
    token_fingerprint,
)


def build(**overrides: Any) -> PushMessage:
    fields: dict[str, Any] = {
        "token": "device-token-1",
        "platform": "android",
        "title": "新指令",
        "body": "请查看",
        "kind": "instruction",
    }
    fields.update(overrides)
    return PushMessage(**fields)


def test_data_values_become_strings() -> None:
    room = uuid.UUID(int=1)
    message = build(data={"n": 3, "f": 0.25, "yes": True, "no": False, "room": room, "s": "x"})
    assert message.data == {
        "n": "3",
        "f": "0.25",
        "yes": "true",
        "no": "false",
        "room": "00000000-0000-0000-0000-000000000001",
        "s": "x",
    }
    assert message.wire_data == {**message.data, "kind": "instruction"}


def test_defaults() -> None:
    message = build()
    assert (message.data, message.priority, message.collapse_key, message.ttl_seconds) == (
        {},
        "normal",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"token": ""}, "token"),
        ({"token": "   "}, "token"),
        ({"platform": "symbian"}, "platform"),
        ({"priority": "urgent"}, "priority"),
        ({"title": ""}, "title"),
        ({"kind": ""}, "kind"),
        ({"collapse_key": ""}, "collapse_key"),
        ({"collapse_key": "事" * 22}, "collapse_key"),  # 66 bytes > APNs' 64
        ({"ttl_seconds": -1}, "ttl_seconds"),
        ({"ttl_seconds": 28 * 24 * 3600 + 1}, "ttl_seconds"),
        ({"ttl_seconds": True}, "ttl_seconds"),
        ({"ttl_seconds": 1.5}, "ttl_seconds"),
        ({"data": {"event": None}}, "event"),
        ({"data": {"ids": [1, 2]}}, "ids"),
        ({"data": {"x": float("nan")}}, "finite"),
        ({"data": {"": "v"}}, "non-empty"),
        ({"data": {"from": "me"}}, "reserved"),
        ({"data": {"google.sent_time": "1"}}, "reserved"),
        ({"data": {"GCM_x": "1"}}, "reserved"),
        ({"data": {"kind": "other"}}, "reserved"),
        ({"body": "字" * 1400}, "4096-byte"),
    ],
)
def test_rejects_what_providers_reject(overrides: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidPushMessage, match=complaint):
        build(**overrides)


def test_invalid_message_is_a_value_error() -> None:
    assert issubclass(InvalidPushMessage, ValueError)


def test_payload_limit_counts_bytes_not_characters() -> None:
    build(body="字" * 1300)  # 3900 bytes plus the rest: fits
    with pytest.raises(InvalidPushMessage):
        build(body="a" * 1300, data={"note": "字" * 1000})


def test_messages_are_immutable() -> None:
    message = build()
    with pytest.raises(AttributeError):
        message.token = "other"  # type: ignore[misc]


def test_fingerprint_is_short_stable_and_not_the_token() -> None:
    token = "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"
    assert token_fingerprint(token) == token_fingerprint(token)
    assert len(token_fingerprint(token)) == 12
    assert token_fingerprint(token) not in token
    assert token_fingerprint(token) != token_fingerprint(token + "x")


def test_results_round_trip_as_tagged_json() -> None:
    results: list[PushResult] = [
        Delivered("projects/p/messages/1"),
        RetryLater(60.0, "QUOTA_EXCEEDED: slow down"),
        TokenDead("UNREGISTERED: gone"),
        Failed("INVALID_ARGUMENT: bad payload"),
    ]
    raw = msgspec.json.encode(results)
    assert msgspec.json.decode(raw, type=list[PushResult]) == results
    assert b'"type":"retry_later"' in raw
