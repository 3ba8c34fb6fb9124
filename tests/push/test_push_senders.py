"""MemorySender scripting, LogSender's privacy, RoutingSender, and build_sender."""

from __future__ import annotations

import logging

import pytest

from push import (
    Delivered,
    Failed,
    LogSender,
    MemorySender,
    PushMessage,
    RetryLater,
    RoutingSender,
    TokenDead,
    build_sender,
)
from push.fake_fcm import FakeFcm
from push.fcm import FcmSender

TOKEN = "eXaMpLe-ToKeN:APA91bE-very-secret-device-token-value"


def msg(target: str = TOKEN, platform: str = "android") -> PushMessage:
    return PushMessage(
        token=target,
        platform=platform,  # type: ignore[arg-type]
        title="联勤联动",
        body="你被提及",
        kind="room_mention",
        data={"room_id": 5, "seq": 88},
    )


async def test_memory_503_503_503_then_200() -> None:
    sender = MemorySender()
    down = RetryLater(1.0, "UNAVAILABLE")
    sender.queue(down, down, down, token="tok-a")

    outcomes = [(await sender.send([msg("tok-a")]))[0] for _ in range(4)]

    assert outcomes[:3] == [down, down, down]
    assert outcomes[3] == Delivered("memory-1")
    assert len(sender.sent) == 4
    assert sender.delivered == [msg("tok-a")]
    assert sender.send_calls == 4


async def test_memory_429_with_retry_after_for_any_token() -> None:
    sender = MemorySender()
    sender.queue(RetryLater(120.0, "QUOTA_EXCEEDED"))

    results = await sender.send([msg("tok-a"), msg("tok-b")])

    assert results == [RetryLater(120.0, "QUOTA_EXCEEDED"), Delivered("memory-1")]


async def test_memory_token_queue_beats_shared_queue_beats_always() -> None:
    sender = MemorySender()
    sender.always("tok-a", TokenDead("gone"))
    sender.queue(Failed("shared"))
    sender.queue(RetryLater(5.0, "own"), token="tok-a")

    results = await sender.send([msg("tok-a"), msg("tok-a"), msg("tok-a")])

    assert results == [RetryLater(5.0, "own"), Failed("shared"), TokenDead("gone")]


async def test_memory_records_unreachable_results_but_not_as_sent() -> None:
    sender = MemorySender()
    results = await sender.send([msg("tok-h", platform="harmony")])
    assert results == [Failed("memory cannot reach platform 'harmony'")]
    assert sender.sent == []
    assert sender.results == [(msg("tok-h", platform="harmony"), results[0])]


async def test_memory_reach_is_configurable() -> None:
    sender = MemorySender(reachable={"harmony"})
    assert [sender.can_reach(p) for p in ("android", "harmony")] == [False, True]


async def test_log_sender_never_logs_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="push.log")
    sender = LogSender()

    results = await sender.send([msg(), msg()])

    assert len(caplog.records) == 2
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)
        assert record.push_fingerprint in record.getMessage()
    assert "联勤联动" in caplog.records[0].getMessage()
    ids = [r.provider_id for r in results if isinstance(r, Delivered)]
    assert len(set(ids)) == 2


async def test_log_sender_uses_the_given_logger_and_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="chengyun.push")
    sender = LogSender(logger=logging.getLogger("chengyun.push"), level=logging.DEBUG)
    await sender.send([msg()])
    assert [(r.name, r.levelno) for r in caplog.records] == [("chengyun.push", logging.DEBUG)]


async def test_router_sends_each_platform_to_the_first_sender_that_reaches_it() -> None:
    fcm = MemorySender()  # android, ios
    gateway = MemorySender(reachable={"harmony", "android"})
    router = RoutingSender([fcm, gateway])
    batch = [
        msg("a1"),
        msg("h1", "harmony"),
        msg("i1", "ios"),
        msg("w1", "web"),
        msg("h2", "harmony"),
    ]

    results = await router.send(batch)

    assert [type(r) for r in results] == [Delivered, Delivered, Delivered, Failed, Delivered]
    assert results[3] == Failed("router cannot reach platform 'web'")
    assert [m.token for m in fcm.sent] == ["a1", "i1"]
    assert [m.token for m in gateway.sent] == ["h1", "h2"]
    assert [router.can_reach(p) for p in ("android", "harmony", "web")] == [True, True, False]


async def test_router_keeps_each_senders_outcome_in_place() -> None:
    fcm, gateway = MemorySender(), MemorySender(reachable={"harmony"})
    gateway.always("h1", TokenDead("gone"))
    fcm.always("a2", RetryLater(30.0, "busy"))
    router = RoutingSender([fcm, gateway])

    results = await router.send([msg("h1", "harmony"), msg("a1"), msg("a2"), msg("h2", "harmony")])

    assert results == [
        TokenDead("gone"),
        Delivered("memory-1"),
        RetryLater(30.0, "busy"),
        Delivered("memory-1"),
    ]


async def test_router_close_closes_every_sender() -> None:
    first, second = MemorySender(), MemorySender()
    async with RoutingSender([first, second]):
        pass
    assert (first.closed, second.closed) == (True, True)


def test_router_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RoutingSender([])


async def test_build_sender_kinds(fake_fcm: FakeFcm) -> None:
    log = build_sender("log")
    memory = build_sender("memory", reachable={"web"})
    fcm = build_sender("fcm", **fake_fcm.sender_options())
    try:
        assert [type(s) for s in (log, memory, fcm)] == [LogSender, MemorySender, FcmSender]
        assert memory.can_reach("web")
        assert isinstance((await fcm.send([msg()]))[0], Delivered)
    finally:
        for sender in (log, memory, fcm):
            await sender.close()


def test_build_sender_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown push sender kind 'apns'"):
        build_sender("apns")
