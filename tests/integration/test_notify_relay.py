"""The push outbox relay: retries, Retry-After, dead tokens, crashes, concurrent relays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from backend.db.base import new_id
from backend.db.models import Device, Notification, PushAttempt, PushDelivery
from backend.notify.relay import PushRelay, RelayConfig
from push import MemorySender, RetryLater, TokenDead
from push.fake_fcm import FakeFcm, FakeReply

UNAVAILABLE = RetryLater(after_seconds=0, reason="UNAVAILABLE")


async def test_three_503s_then_200_deliver_exactly_one_push(notify_kit: Any, clock: Any) -> None:
    await notify_kit.device("dept01a", "tok-flaky")
    notify_kit.sender.queue(UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, token="tok-flaky")
    await notify_kit.notify(["dept01a"])  # first attempt, kicked after commit
    for _ in range(3):
        # Nothing is due before the backoff has passed...
        assert await notify_kit.relay.drain() == 0
        clock.advance(hours=1)  # ...and everything is after it (cap 1 h)
        assert await notify_kit.relay.drain() == 1
    assert await notify_kit.relay.drain() == 0
    assert [m.token for m in notify_kit.sender.sent] == ["tok-flaky"] * 4
    assert [m.token for m in notify_kit.sender.delivered] == ["tok-flaky"]
    (d,) = await notify_kit.deliveries()
    assert (d.state, d.attempts, d.last_error) == ("delivered", 4, None)
    r = await notify_kit.api.get("admin", f"/notifications/{d.notification_id}/deliveries")
    assert r.status_code == 200
    (view,) = r.json()
    assert [a["outcome"] for a in view["attempts"]] == ["retry", "retry", "retry", "delivered"]
    assert view["attempts"][0]["reason"] == "UNAVAILABLE"
    assert view["token_fingerprint"] and "tok-flaky" not in r.text


async def test_429_retry_after_is_honoured_against_real_fcm_http(
    notify_kit: Any, clock: Any
) -> None:
    """Through FcmSender and the fake FCM: 429 with Retry-After: 120 waits 120 s."""
    from push.fcm import FcmSender

    with FakeFcm() as fcm:
        sender = FcmSender(**fcm.sender_options())
        notify_kit.relay.sender = sender
        try:
            await notify_kit.device("dept01a", "tok-quota")
            fcm.script("tok-quota", FakeReply.quota_exceeded(retry_after=120))
            await notify_kit.notify(["dept01a"])
            assert len(fcm.requests_for("tok-quota")) == 1
            clock.advance(seconds=119)
            assert await notify_kit.relay.drain() == 0
            assert len(fcm.requests_for("tok-quota")) == 1
            clock.advance(seconds=1)
            assert await notify_kit.relay.drain() == 1
            assert len(fcm.requests_for("tok-quota")) == 2
        finally:
            await sender.close()
    (d,) = await notify_kit.deliveries()
    assert (d.state, d.attempts) == ("delivered", 2)


async def test_a_dead_token_deactivates_the_device_and_is_never_used_again(
    notify_kit: Any, clock: Any
) -> None:
    await notify_kit.device("dept01a", "tok-dead")
    await notify_kit.device("dept01a", "tok-live")
    notify_kit.sender.always("tok-dead", TokenDead(reason="UNREGISTERED"))
    await notify_kit.notify(["dept01a"], priority="high")
    assert sorted(m.token for m in notify_kit.sender.sent) == ["tok-dead", "tok-live"]
    r = await notify_kit.api.get("dept01a", "/notifications")
    assert r.json()["unread_count"] == 1  # the in-app copy is there regardless
    async with notify_kit.ctx.db.sessions() as s:
        dead = await s.scalar(select(Device).where(Device.token == "tok-dead"))
    assert dead is not None and not dead.active
    assert dead.deactivated_reason == "token_dead: UNREGISTERED"
    # The app re-posts its stale cached token: it stays dead.
    r = await notify_kit.api.post("dept01a", "/devices", {"token": "tok-dead", "platform": "ios"})
    assert (r.status_code, r.json()["active"]) == (200, False)
    await notify_kit.notify(["dept01a"], priority="high")
    clock.advance(days=1)
    await notify_kit.relay.drain()
    assert [m.token for m in notify_kit.sender.sent].count("tok-dead") == 1
    assert [m.token for m in notify_kit.sender.sent].count("tok-live") == 2
    states = sorted(d.state for d in await notify_kit.deliveries())
    assert states == ["dead", "delivered", "delivered"]  # no row at all for the second push


async def test_pending_pushes_for_a_token_that_dies_are_marked_dead(notify_kit: Any) -> None:
    await notify_kit.device("dept01a", "tok-x")
    uid = await notify_kit.user_id("dept01a")
    # Two pushes queued; the first claimed alone says the token is dead.
    notify_kit.relay.config = RelayConfig(batch_size=1, workers=1)
    notify_kit.sender.always("tok-x", TokenDead(reason="UNREGISTERED"))
    async with notify_kit.ctx.db.sessions() as s:
        for _ in range(2):
            await notify_kit.service.notify_users(
                s,
                user_ids=[uid],
                kind="supervised",
                title="督办",
                body="请尽快处置",
                now=notify_kit.ctx.now(),
            )
        await s.commit()  # no after-commit run: nothing kicked
    claimed = await notify_kit.relay.claim()
    await notify_kit.relay.record(claimed, await notify_kit.relay.send(claimed))
    assert await notify_kit.relay.drain() == 0
    assert len(notify_kit.sender.sent) == 1
    assert sorted(d.state for d in await notify_kit.deliveries()) == ["dead", "dead"]


async def test_a_crash_between_send_and_record_resends_once_after_the_lease(
    notify_kit: Any, clock: Any
) -> None:
    await notify_kit.device("dept01a", "tok-crash")
    uid = await notify_kit.user_id("dept01a")
    async with notify_kit.ctx.db.sessions() as s:
        await notify_kit.service.notify_users(
            s, user_ids=[uid], kind="escalated", title="上报", body="x", now=clock.now
        )
        await s.commit()  # after-commit dropped: the relay is driven step by step
    relay = notify_kit.relay
    claimed = await relay.claim()
    await relay.send(claimed)  # ... and the process dies before record()
    assert await relay.drain() == 0  # the lease still holds: nobody else sends it
    clock.advance(seconds=relay.config.lease_seconds)
    assert await relay.drain() == 1
    # The late record of the crashed relay is fenced out by the newer lease.
    await relay.record(claimed, [RetryLater(after_seconds=5, reason="late")])
    assert [m.token for m in notify_kit.sender.sent] == ["tok-crash", "tok-crash"]
    (d,) = await notify_kit.deliveries()
    assert (d.state, d.attempts) == ("delivered", 2)


async def test_retries_give_up_after_the_attempt_limit_keeping_the_reason(
    notify_kit: Any, clock: Any
) -> None:
    await notify_kit.device("dept01a", "tok-down")
    notify_kit.sender.always("tok-down", RetryLater(after_seconds=0, reason="INTERNAL"))
    await notify_kit.notify(["dept01a"])
    limit = notify_kit.relay.config.max_attempts
    for _ in range(limit + 2):
        clock.advance(hours=2)
        await notify_kit.relay.drain()
    assert len(notify_kit.sender.sent) == limit
    (d,) = await notify_kit.deliveries()
    assert d.state == "failed"
    assert d.last_error == f"gave up after {limit} attempts: INTERNAL"


async def _outbox(app: Any, users: int, per_user: int) -> None:
    """users x per_user deliveries, written straight into the tables."""
    ctx = app.state["ctx"]
    now = ctx.now()
    async with ctx.db.sessions() as s:
        from backend.db.models import User

        user_ids = list(await s.scalars(select(User.id).order_by(User.username).limit(users)))
        notes, devices, rows = [], [], []
        for u in user_ids:
            note = {"id": new_id(), "user_id": u, "kind": "k", "title": "t", "body": "b"}
            notes.append({**note, "priority": "normal", "data": {}, "created_at": now})
            for i in range(per_user):
                dev = {"id": new_id(), "token": f"tok-{u}-{i}", "user_id": u}
                devices.append({**dev, "platform": "android", "created_at": now})
                devices[-1].update(last_seen_at=now, active=True)
                rows.append(
                    {
                        "id": new_id(),
                        "notification_id": note["id"],
                        "device_id": dev["id"],
                        "platform": "android",
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        await s.execute(insert(Notification), notes)
        await s.execute(insert(Device), devices)
        await s.execute(insert(PushDelivery), rows)
        await s.commit()


class _SlowSender(MemorySender):
    """Yields while "on the network", so two relays interleave their claims and sends."""

    async def send(self, messages: Any) -> Any:
        await asyncio.sleep(0)
        return await super().send(messages)


@pytest.mark.pg_only
async def test_two_relays_on_postgresql_never_send_a_delivery_twice(app: Any, client: Any) -> None:
    ctx = app.state["ctx"]
    await _outbox(app, users=20, per_user=10)
    senders = [_SlowSender(), _SlowSender()]
    config = RelayConfig(batch_size=7, workers=3)
    relays = [PushRelay(ctx.db, s, ctx.now, config) for s in senders]
    handled = await asyncio.gather(*(r.drain() for r in relays))
    tokens = [m.token for s in senders for m in s.sent]
    assert sum(handled) == 200
    assert len(tokens) == 200 and len(set(tokens)) == 200
    assert all(s.sent for s in senders)  # both relays took part
    async with ctx.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(PushAttempt)) == 200
        states = await s.execute(
            select(PushDelivery.state, func.count()).group_by(PushDelivery.state)
        )
        assert [tuple(r) for r in states] == [("delivered", 200)]


async def test_lease_expiry_without_result_counts_as_attempts(notify_kit: Any, clock: Any) -> None:
    """A delivery that crashes every relay that claims it ends failed, not in a loop."""
    await notify_kit.device("dept01a", "tok-poison")
    uid = await notify_kit.user_id("dept01a")
    async with notify_kit.ctx.db.sessions() as s:
        await notify_kit.service.notify_users(
            s, user_ids=[uid], kind="k", title="t", body="b", now=clock.now
        )
        await s.commit()
    relay = notify_kit.relay
    for _ in range(relay.config.max_attempts):
        assert len(await relay.claim()) == 1  # claimed, then "crash"
        clock.advance(seconds=relay.config.lease_seconds)
    assert await relay.drain() == 0
    (d,) = await notify_kit.deliveries()
    assert d.state == "failed"
    assert d.last_error == f"no result after {relay.config.max_attempts} attempts"
