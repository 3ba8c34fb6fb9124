"""The sender contract, run against every PushSender implementation.

FCM runs against the local fake FCM endpoint; "what the provider saw" means the requests
the fake received, the log records LogSender wrote, or MemorySender's `sent` list.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from push import (
    Delivered,
    Failed,
    LogSender,
    MemorySender,
    PushMessage,
    PushSender,
    SenderClosed,
    TokenDead,
)
from push.fake_fcm import FakeFcm, FakeReply
from push.fcm import FcmSender


@dataclass
class Kit:
    sender: PushSender
    # The data map of every message the provider received, in arrival order.
    provider_saw: Callable[[], list[dict[str, str]]]
    # Make the provider answer "this token is dead", or None if it cannot be scripted.
    kill_token: Callable[[str], None] | None


@pytest.fixture(params=["fcm", "log", "memory"])
async def kit(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Kit]:
    if request.param == "fcm":
        fake: FakeFcm = request.getfixturevalue("fake_fcm")
        sender: PushSender = FcmSender(**fake.sender_options())
        built = Kit(
            sender,
            lambda: [r.message["data"] for r in fake.requests],
            lambda token: fake.always(token, FakeReply.unregistered()),
        )
    elif request.param == "log":
        caplog.set_level(logging.INFO, logger="push.log")
        sender = LogSender()
        built = Kit(
            sender,
            lambda: [r.push_data for r in caplog.records if r.name == "push.log"],
            None,
        )
    else:
        memory = MemorySender()
        built = Kit(
            memory,
            lambda: [m.wire_data for m in memory.sent],
            lambda token: memory.always(token, TokenDead("scripted")),
        )
    yield built
    await built.sender.close()


def message(token: str, *, platform: str = "android", **data: object) -> PushMessage:
    return PushMessage(
        token=token,
        platform=platform,  # type: ignore[arg-type]
        title="事件已分派",
        body="请处理",
        kind="event_assigned",
        data={"seq": token, **data},  # type: ignore[dict-item]
    )


async def test_empty_batch_sends_nothing(kit: Kit) -> None:
    assert await kit.sender.send([]) == []
    assert kit.provider_saw() == []


async def test_one_result_per_message_in_input_order(kit: Kit) -> None:
    platforms = ["android", "harmony", "ios", "web", "android", "harmony"]
    batch = [message(f"tok-{i}", platform=p) for i, p in enumerate(platforms)]

    results = await kit.sender.send(batch)

    assert len(results) == 6
    assert [type(r) for r in results] == [
        Delivered, Failed, Delivered, Failed, Delivered, Failed,
    ]  # fmt: skip
    assert results[1] == Failed(f"{kit.sender.name} cannot reach platform 'harmony'")
    assert results[3] == Failed(f"{kit.sender.name} cannot reach platform 'web'")
    # Only the three reachable messages went to the provider.
    assert sorted(d["seq"] for d in kit.provider_saw()) == ["tok-0", "tok-2", "tok-4"]


# LogSender delivers everything: there is nothing to script on it.
@pytest.mark.parametrize("kit", ["fcm", "memory"], indirect=True)
async def test_scripted_outcomes_land_on_their_own_message(kit: Kit) -> None:
    assert kit.kill_token is not None
    for dead in ("tok-1", "tok-4", "tok-5"):
        kit.kill_token(dead)
    batch = [message(f"tok-{i}") for i in range(7)]

    results = await kit.sender.send(batch)

    assert [isinstance(r, TokenDead) for r in results] == [
        False, True, False, False, True, True, False,
    ]  # fmt: skip
    assert all(isinstance(r, Delivered) for i, r in enumerate(results) if i not in (1, 4, 5))


async def test_more_than_one_provider_batch(kit: Kit) -> None:
    # 1201 = two full FCM batches of 500 and a partial one.
    batch = [message(f"tok-{i}") for i in range(1201)]

    results = await kit.sender.send(batch)

    assert len(results) == 1201
    assert all(isinstance(r, Delivered) for r in results)
    assert len({r.provider_id for r in results if isinstance(r, Delivered)}) == 1201
    seen = [d["seq"] for d in kit.provider_saw()]
    assert len(seen) == 1201
    assert sorted(seen) == sorted(f"tok-{i}" for i in range(1201))


async def test_data_values_reach_the_provider_as_strings(kit: Kit) -> None:
    room = uuid.UUID("12345678-1234-5678-1234-567812345678")
    batch = [message("tok-0", event_id=42, ratio=1.5, urgent=True, quiet=False, room_id=room)]

    results = await kit.sender.send(batch)

    assert [type(r) for r in results] == [Delivered]
    assert kit.provider_saw() == [
        {
            "seq": "tok-0",
            "event_id": "42",
            "ratio": "1.5",
            "urgent": "true",
            "quiet": "false",
            "room_id": "12345678-1234-5678-1234-567812345678",
            "kind": "event_assigned",
        }
    ]


async def test_reach_is_android_and_ios_only(kit: Kit) -> None:
    reach = {p: kit.sender.can_reach(p) for p in ("android", "ios", "harmony", "web")}
    assert reach == {"android": True, "ios": True, "harmony": False, "web": False}


async def test_send_after_close_raises_and_close_is_idempotent(kit: Kit) -> None:
    await kit.sender.close()
    await kit.sender.close()
    with pytest.raises(SenderClosed):
        await kit.sender.send([message("tok-0")])
    assert kit.provider_saw() == []
