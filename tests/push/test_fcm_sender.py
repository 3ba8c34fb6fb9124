"""FcmSender against the local fake FCM: error mapping, payload fields, app lifecycle."""

from __future__ import annotations

import logging
import re

import firebase_admin
import pytest
from google.auth.exceptions import RefreshError

from push import Delivered, Failed, PushMessage, PushResult, RetryLater, TokenDead
from push.fake_fcm import FakeFcm, FakeReply, StaticTokenCredential, _StaticGoogleCredentials
from push.fcm import FcmSender


def msg(target: str = "tok-a", **overrides: object) -> PushMessage:
    fields: dict[str, object] = {
        "token": target,
        "platform": "android",
        "title": "事件即将超时",
        "body": "请在 2 小时内处理",
        "kind": "sla_warning",
        "data": {"event_id": 17},
    }
    fields.update(overrides)
    return PushMessage(**fields)  # type: ignore[arg-type]


QUOTA = "QUOTA_EXCEEDED: Sending rate exceeded for this project."
UNAVAILABLE = "UNAVAILABLE: The service is currently unavailable."


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (FakeReply.unregistered(), TokenDead("UNREGISTERED: Requested entity was not found.")),
        (
            FakeReply.invalid_token(),
            TokenDead(
                "INVALID_ARGUMENT: The registration token is not a valid FCM registration token"
            ),
        ),
        (
            FakeReply.invalid_payload("message.android.ttl"),
            Failed("INVALID_ARGUMENT: Invalid value at 'message.android.ttl' (TYPE_STRING), 12"),
        ),
        (FakeReply.sender_id_mismatch(), TokenDead("SENDER_ID_MISMATCH: SenderId mismatch")),
        (FakeReply.quota_exceeded(retry_after=120), RetryLater(120.0, QUOTA)),
        (FakeReply.quota_exceeded(retry_after=None), RetryLater(60.0, QUOTA)),
        (FakeReply.unavailable(retry_after=7), RetryLater(7.0, UNAVAILABLE)),
        (FakeReply.unavailable(), RetryLater(10.0, UNAVAILABLE)),
        (FakeReply.internal(), RetryLater(10.0, "INTERNAL: Internal error encountered.")),
        (
            FakeReply.fcm_error(403, "PERMISSION_DENIED", "THIRD_PARTY_AUTH_ERROR", "APNs cert"),
            Failed("THIRD_PARTY_AUTH_ERROR: APNs cert"),
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, FakeReply) else str(v.status),
)
async def test_each_fcm_error_maps_to_one_result(
    fake_fcm: FakeFcm, fcm_sender: FcmSender, reply: FakeReply, expected: PushResult
) -> None:
    fake_fcm.script("tok-bad", reply)

    results = await fcm_sender.send([msg("tok-ok-1"), msg("tok-bad"), msg("tok-ok-2")])

    assert results[1] == expected
    assert [type(results[0]), type(results[2])] == [Delivered, Delivered]
    assert len(fake_fcm.requests) == 3


async def test_success_carries_the_fcm_message_name(
    fake_fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    [result] = await fcm_sender.send([msg()])
    assert result == Delivered("projects/chengyun-test/messages/1")


async def test_sdk_does_not_retry_behind_our_back(fake_fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    # 503, 503, 503, 200: each send makes exactly one request; the relay owns retries.
    fake_fcm.script("tok-a", *[FakeReply.unavailable()] * 3)

    outcomes = [type((await fcm_sender.send([msg()]))[0]) for _ in range(4)]

    assert outcomes == [RetryLater, RetryLater, RetryLater, Delivered]
    assert len(fake_fcm.requests) == 4


async def test_request_shape_and_auth(fake_fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    await fcm_sender.send([msg()])

    [request] = fake_fcm.requests
    assert request.method == "POST"
    assert request.path == "/v1/projects/chengyun-test/messages:send"
    assert request.headers["authorization"] == "Bearer fake-fcm-access-token"
    assert request.http_version == "HTTP/2"
    # The SDK's service defaults to dry_run=True; a dry run would deliver nothing.
    assert "validate_only" not in request.body
    assert fcm_sender.send_url == fake_fcm.send_url


async def test_high_priority_payload(
    fake_fcm: FakeFcm, fcm_sender: FcmSender, fixed_now: float
) -> None:
    urgent = msg(
        priority="high",
        kind="incident_declared",
        collapse_key="event-17",
        ttl_seconds=3600,
        data={"event_id": 17, "escalated": True},
    )

    await fcm_sender.send([urgent])

    assert fake_fcm.requests[0].message == {
        "token": "tok-a",
        "notification": {"title": "事件即将超时", "body": "请在 2 小时内处理"},
        "data": {"event_id": "17", "escalated": "true", "kind": "incident_declared"},
        "android": {
            "priority": "high",
            "collapse_key": "event-17",
            "ttl": "3600s",
            "notification": {"channel_id": "chengyun_urgent", "tag": "event-17"},
        },
        "apns": {
            "headers": {
                "apns-priority": "10",
                "apns-push-type": "alert",
                "apns-collapse-id": "event-17",
                "apns-expiration": str(int(fixed_now) + 3600),
            },
            "payload": {"aps": {"sound": "default", "interruption-level": "time-sensitive"}},
        },
    }


async def test_normal_priority_payload(fake_fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    await fcm_sender.send([msg(platform="ios")])

    message = fake_fcm.requests[0].message
    assert message["android"] == {
        "priority": "normal",
        "notification": {"channel_id": "chengyun_default"},
    }
    assert message["apns"] == {
        "headers": {"apns-priority": "5", "apns-push-type": "alert"},
        "payload": {"aps": {"sound": "default"}},
    }
    assert message["data"] == {"event_id": "17", "kind": "sla_warning"}


async def test_zero_ttl_means_now_or_never_on_apns(
    fake_fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    await fcm_sender.send([msg(ttl_seconds=0)])

    message = fake_fcm.requests[0].message
    assert message["apns"]["headers"]["apns-expiration"] == "0"
    assert message["android"]["ttl"] == "0s"


async def test_chunks_of_at_most_500(
    fake_fcm: FakeFcm, fcm_sender: FcmSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="push.fcm")
    batch = [msg(f"tok-{i}") for i in range(1001)]

    results = await fcm_sender.send(batch)

    chunk_sizes = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r"chunk of (\d+) messages", r.getMessage()))
    ]
    assert chunk_sizes == [500, 500, 1]
    assert len(results) == 1001
    assert len(fake_fcm.requests) == 1001


async def test_unreachable_platforms_never_hit_fcm(
    fake_fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    results = await fcm_sender.send([msg(platform="harmony"), msg(platform="web")])

    assert results == [
        Failed("fcm cannot reach platform 'harmony'"),
        Failed("fcm cannot reach platform 'web'"),
    ]
    assert fake_fcm.requests == []


async def test_unreachable_server_is_retry_later() -> None:
    with FakeFcm() as fake:
        options = fake.sender_options()
    # The fake is stopped: connections are refused.
    sender = FcmSender(**options)
    try:
        results = await sender.send([msg("tok-a"), msg("tok-b")])
    finally:
        await sender.close()

    assert [type(r) for r in results] == [RetryLater, RetryLater]
    assert all(r.after_seconds == 10.0 for r in results if isinstance(r, RetryLater))


class _BrokenGoogleCredentials(_StaticGoogleCredentials):
    def refresh(self, request: object) -> None:
        raise RefreshError("metadata server unreachable")


class _BrokenCredential(StaticTokenCredential):
    def __init__(self) -> None:
        self._credential = _BrokenGoogleCredentials(None)  # type: ignore[arg-type]


async def test_failure_before_any_answer_retries_the_whole_chunk(fake_fcm: FakeFcm) -> None:
    sender = FcmSender(
        credentials=_BrokenCredential(), project_id="chengyun-test", base_url=fake_fcm.base_url
    )
    try:
        results = await sender.send([msg("tok-a"), msg("tok-b"), msg("tok-c")])
    finally:
        await sender.close()

    assert [type(r) for r in results] == [RetryLater] * 3
    assert all("batch failed" in r.reason for r in results if isinstance(r, RetryLater))
    assert fake_fcm.requests == []


async def test_http1_path_works_too(fake_fcm: FakeFcm) -> None:
    sender = FcmSender(**{**fake_fcm.sender_options(), "http1": True})
    try:
        results = await sender.send([msg("tok-a"), msg("tok-b")])
    finally:
        await sender.close()

    assert [type(r) for r in results] == [Delivered, Delivered]
    assert [r.http_version for r in fake_fcm.requests] == ["HTTP/1.1", "HTTP/1.1"]


async def test_each_sender_owns_a_named_app_deleted_on_close(fake_fcm: FakeFcm) -> None:
    first = FcmSender(**fake_fcm.sender_options())
    second = FcmSender(**fake_fcm.sender_options())
    names = [first.app_name, second.app_name]
    assert names[0] != names[1]
    assert [firebase_admin.get_app(n).name for n in names] == names

    await first.close()
    await second.close()

    for name in names:
        with pytest.raises(ValueError, match="does not exist"):
            firebase_admin.get_app(name)
    # No process-wide default app was ever created.
    with pytest.raises(ValueError, match="default Firebase app does not exist"):
        firebase_admin.get_app()


async def test_missing_project_id_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("GCLOUD_PROJECT", raising=False)
    before = set(firebase_admin._apps)

    with pytest.raises(ValueError, match="Project ID is required"):
        FcmSender(credentials=StaticTokenCredential("t"))

    assert set(firebase_admin._apps) == before  # the half-built app was deleted


async def test_smaller_batches_in_parallel_keep_order(
    fake_fcm: FakeFcm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="push.fcm")
    fake_fcm.always("tok-3", FakeReply.unregistered())
    sender = FcmSender(**fake_fcm.sender_options(), batch_size=3, concurrent_batches=2)
    try:
        results = await sender.send([msg(f"tok-{i}") for i in range(7)])
    finally:
        await sender.close()

    sizes = sorted(
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r"chunk of (\d+) messages", r.getMessage()))
    )
    assert sizes == [1, 3, 3]
    assert [type(r) for r in results] == [Delivered] * 3 + [TokenDead] + [Delivered] * 3


@pytest.mark.parametrize(
    "options", [{"batch_size": 0}, {"batch_size": 501}, {"concurrent_batches": 0}]
)
async def test_rejects_impossible_batching(fake_fcm: FakeFcm, options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="batch"):
        FcmSender(**fake_fcm.sender_options(), **options)
