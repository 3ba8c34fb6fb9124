"""SLA crossings with a controllable clock: each fires once, at the right working instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from backend.db.models import Task
from backend.sla.sweep import sla_sweep, sweep_once
from tests.integration.flows import dept_org_id, drive_to

SH = ZoneInfo("Asia/Shanghai")


async def _dispatch_at(api: Any, clock: Any, when: datetime) -> dict[str, Any]:
    clock.now = when
    event = await drive_to(api, "registered")
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


async def _sweep(app: Any, clock: Any, when: datetime) -> tuple[int, int, int]:
    clock.now = when
    fired = await sweep_once(app.state["ctx"], app.state["ctx"].now())
    return fired.warnings, fired.overdue, fired.escalations


async def _event(api: Any, event_id: str) -> dict[str, Any]:
    return (await api.get("district01", f"/events/{event_id}")).json()  # type: ignore[no-any-return]


async def test_crossings_fire_once_each_across_a_weekend(api, app, clock) -> None:
    # Friday 16:00, 8 working hours: due Monday 17:00; warning at 80 % (6 h 24 min) is
    # Monday 15:24; escalation 4 working hours after due is Tuesday 12:00.
    event = await _dispatch_at(api, clock, datetime(2026, 11, 20, 16, 0, tzinfo=SH))
    assert datetime.fromisoformat(event["due_at"]) == datetime(2026, 11, 23, 17, 0, tzinfo=SH)
    assert await _sweep(app, clock, datetime(2026, 11, 21, 10, 0, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 23, 15, 23, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 23, 15, 24, tzinfo=SH)) == (1, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 23, 15, 30, tzinfo=SH)) == (0, 0, 0)
    assert (await _event(api, event["id"]))["sla_state"] == "warning"
    assert await _sweep(app, clock, datetime(2026, 11, 23, 17, 1, tzinfo=SH)) == (0, 1, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 23, 17, 2, tzinfo=SH)) == (0, 0, 0)
    after = await _event(api, event["id"])
    assert after["supervision_count"] == 1
    auto = after["timeline"][-1]
    assert (auto["action"], auto["actor"], auto["data"]["automatic"]) == ("supervise", None, True)
    assert await _sweep(app, clock, datetime(2026, 11, 24, 11, 59, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 24, 12, 1, tzinfo=SH)) == (0, 0, 1)
    assert await _sweep(app, clock, datetime(2026, 11, 25, 12, 0, tzinfo=SH)) == (0, 0, 0)
    final = await _event(api, event["id"])
    assert final["escalated"] is True
    assert final["timeline"][-1]["action"] == "escalate"
    assert final["version"] == after["version"] + 1


async def test_the_national_day_holiday_does_not_count(api, app, clock) -> None:
    # Wednesday 2026-09-30 16:00: 1.5 h that day, then nothing until Thursday 2026-10-08.
    event = await _dispatch_at(api, clock, datetime(2026, 9, 30, 16, 0, tzinfo=SH))
    assert datetime.fromisoformat(event["due_at"]) == datetime(2026, 10, 8, 17, 0, tzinfo=SH)
    assert await _sweep(app, clock, datetime(2026, 10, 7, 23, 0, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 10, 8, 15, 24, tzinfo=SH)) == (1, 0, 0)


async def test_an_approved_extension_moves_due_and_rearms_the_crossings(api, app, clock) -> None:
    event = await _dispatch_at(api, clock, datetime(2026, 11, 23, 8, 30, tzinfo=SH))
    # Due Tuesday 09:30; warning Monday 16:54.
    assert await _sweep(app, clock, datetime(2026, 11, 23, 17, 0, tzinfo=SH)) == (1, 0, 0)
    await api.act("dept01a", event["id"], "request_extension", hours=7, reason="等待配件")
    r = await api.act("street01a", event["id"], "decide_extension", approve=True)
    assert r.status_code == 200
    # Seven more working hours: due Wednesday 09:30, warning again before then.
    assert datetime.fromisoformat(r.json()["due_at"]) == datetime(2026, 11, 25, 9, 30, tzinfo=SH)
    assert await _sweep(app, clock, datetime(2026, 11, 24, 9, 31, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 24, 17, 30, tzinfo=SH)) == (1, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 25, 9, 31, tzinfo=SH)) == (0, 1, 0)


async def test_handled_cases_leave_the_sweep(api, app, clock) -> None:
    event = await _dispatch_at(api, clock, datetime(2026, 11, 23, 8, 30, tzinfo=SH))
    await api.act("dept01a", event["id"], "start")
    from tests.integration.flows import body_for

    await api.act("dept01a", event["id"], "report", **await body_for(api, "dept01a", "report"))
    assert await _sweep(app, clock, datetime(2026, 11, 30, 9, 0, tzinfo=SH)) == (0, 0, 0)


async def test_the_job_sweeps_every_due_batch(api, app, clock) -> None:
    for _ in range(3):
        await _dispatch_at(api, clock, datetime(2026, 11, 23, 8, 30, tzinfo=SH))
    clock.now = datetime(2026, 11, 24, 9, 31, tzinfo=SH)
    await sla_sweep(app.state["ctx"])
    async with app.state["ctx"].db.sessions() as s:
        flags = (
            await s.execute(select(Task.warned, Task.overdue_fired).where(Task.kind == "handle"))
        ).all()
    assert flags == [(True, True)] * 3


@pytest.mark.pg_only
async def test_two_instances_fire_each_of_1000_crossings_once(app, clock, settings) -> None:
    import asyncio
    from datetime import timedelta

    from sqlalchemy import insert

    from backend.app import create_app
    from backend.db.models import Org

    ctx = app.state["ctx"]
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    past = clock.now - timedelta(hours=1)
    async with ctx.db.sessions() as s:
        dept = (await s.execute(select(Org.id).where(Org.code == "dept-cgzf"))).scalar_one()
        await s.execute(
            insert(Task),
            [
                {
                    "id": f"00000000-0000-0000-0000-{i:012d}",
                    "kind": "handle",
                    "state": "open",
                    "assignee_org_id": dept,
                    "assignee_role": "dept_handler",
                    "warn_at": past - timedelta(hours=1),
                    "due_at": past,
                    "next_crossing_at": past - timedelta(hours=1),
                    "warned": False,
                    "overdue_fired": False,
                    "escalation_fired": False,
                    "rev": i + 1,
                    "created_at": past,
                    "updated_at": past,
                }
                for i in range(1000)
            ],
        )
        await s.commit()
    other = create_app(settings).state["ctx"]
    other.clock = clock

    async def drain(c: Any) -> tuple[int, int]:
        warnings = overdue = 0
        while True:
            fired = await sweep_once(c, c.now(), batch=50)
            warnings, overdue = warnings + fired.warnings, overdue + fired.overdue
            if fired.total == 0:
                return warnings, overdue

    try:
        (w1, o1), (w2, o2) = await asyncio.gather(drain(ctx), drain(other))
    finally:
        await other.db.dispose()
    assert (w1 + w2, o1 + o2) == (1000, 1000)
    assert w1 > 0 and w2 > 0, "both instances took part"


@pytest.mark.pg_only
async def test_the_scheduler_lock_passes_to_the_other_instance(app, settings) -> None:
    from backend.app import create_app
    from backend.scheduler.leader import LeaderLock

    other = create_app(settings).state["ctx"]
    first = LeaderLock(app.state["ctx"].db.engine, key=4242)
    second = LeaderLock(other.db.engine, key=4242)
    try:
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        assert await first.try_acquire() is True  # the leader keeps it
        await first.release()  # the leader stops (its connection closes)
        assert await second.try_acquire() is True
        assert await first.try_acquire() is False
    finally:
        await first.release()
        await second.release()
        await other.db.dispose()


async def _notified(app: Any, kind: str) -> dict[str, str]:
    """username -> priority of the notifications of this kind."""
    from backend.db.models import Notification, User

    async with app.state["ctx"].db.sessions() as s:
        rows = await s.execute(
            select(User.username, Notification.priority)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == kind)
        )
        return dict(rows.all())


async def test_crossings_tell_the_right_people(api, app, clock) -> None:
    await _dispatch_at(api, clock, datetime(2026, 11, 23, 8, 30, tzinfo=SH))
    assert await _sweep(app, clock, datetime(2026, 11, 23, 17, 0, tzinfo=SH)) == (1, 0, 0)
    # The handling department hears first...
    assert await _notified(app, "sla_warning") == {"dept01a": "normal", "dept01b": "normal"}
    assert await _sweep(app, clock, datetime(2026, 11, 24, 9, 31, tzinfo=SH)) == (0, 1, 0)
    # ...then, at overdue, the street's dispatchers too...
    assert await _notified(app, "sla_overdue") == {
        "dept01a": "normal",
        "dept01b": "normal",
        "street01a": "normal",
        "street01b": "normal",
    }
    # ...and 4 working hours after due (09:30-12:00, 14:00-15:30) the district center,
    # at high priority.
    assert await _sweep(app, clock, datetime(2026, 11, 24, 15, 29, tzinfo=SH)) == (0, 0, 0)
    assert await _sweep(app, clock, datetime(2026, 11, 24, 15, 31, tzinfo=SH)) == (0, 0, 1)
    assert await _notified(app, "escalated") == {"district01": "high", "district02": "high"}


async def test_the_daily_briefing_reaches_officials_once(api, app, clock) -> None:
    from backend.inbox.jobs import daily_briefing

    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    await drive_to(api, "reported")
    await drive_to(api, "closed")
    clock.now = datetime(2026, 11, 24, 8, 0, tzinfo=SH)
    await daily_briefing(app.state["ctx"])
    await daily_briefing(app.state["ctx"])  # a doubled tick
    assert await _notified(app, "daily_briefing") == {"leader01": "normal", "leader02": "normal"}
    from backend.db.models import Notification

    async with app.state["ctx"].db.sessions() as s:
        bodies = (
            (
                await s.execute(
                    select(Notification.body).where(Notification.kind == "daily_briefing")
                )
            )
            .scalars()
            .all()
        )
    assert len(bodies) == 2
    assert "新增2件" in bodies[0] and "办结1件" in bodies[0]
