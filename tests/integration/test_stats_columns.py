"""The statistics' columns on the event (revision stats_0002), kept by backend/stats/wiring.py
in the action's own transaction: ``first_dispatched_at`` is the earliest assignment, whatever
returns, re-dispatches and reopenings follow; ``satisfaction`` is the latest visit's. The
migration's backfill gives the same values as the hook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import select, update

from backend.db.migrate import alembic_config, upgrade_head
from backend.db.models import Event
from tests.integration.flows import dept_org_id, report, upload

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _ok(api: Any, user: str, eid: str, action: str, **body: Any) -> None:
    r = await api.act(user, eid, action, **body)
    assert r.status_code == 200, (user, action, r.text)


Columns = tuple[datetime | None, int | None, bool]


async def _columns(ctx: Any, *ids: str) -> dict[str, Columns]:
    async with ctx.db.sessions() as session:
        rows = await session.execute(
            select(
                Event.id, Event.first_dispatched_at, Event.satisfaction, Event.cross_department
            ).where(Event.id.in_(ids))
        )
        return {eid: (first, sat, crossed) for eid, first, sat, crossed in rows}


async def _handle_and_close(api: Any, eid: str, photo: str) -> None:
    await _ok(api, "dept01a", eid, "start")
    await _ok(api, "dept01a", eid, "report", note="已清理", media_ids=[photo])
    await _ok(api, "grid001", eid, "verify", passed=True)
    await _ok(api, "street01a", eid, "close")


async def test_first_dispatch_and_latest_satisfaction_follow_the_lifecycle(
    api: Any, app: Any, clock: Any, database_url: str
) -> None:
    ctx = app.state["ctx"]
    clock.now = T0
    dept01, dept02 = await dept_org_id(api, "dept-cgzf"), await dept_org_id(api, "dept-swhp")
    photo = await upload(api, "dept01a", 3)
    e, same, moved, never = [(await report(api))["id"] for _ in range(4)]
    for eid in (e, same, moved, never):
        await _ok(api, "street01a", eid, "accept")
    assert set((await _columns(ctx, e, never)).values()) == {(None, None, False)}

    await _ok(api, "street01a", e, "dispatch", org_id=dept02)
    await _ok(api, "street01a", same, "dispatch", org_id=dept01)
    await _ok(api, "street01a", moved, "dispatch", org_id=dept01)
    assert (await _columns(ctx, e))[e] == (T0, None, False)

    clock.now = T0 + timedelta(hours=1)
    await _ok(api, "dept02a", e, "return", reason="不属我局职责")
    # A return keeps the first dispatch, and makes the event 多跨.
    assert (await _columns(ctx, e))[e] == (T0, None, True)

    clock.now = T0 + timedelta(hours=2)
    await _ok(api, "street01a", e, "dispatch", org_id=dept01)
    assert (await _columns(ctx, e))[e] == (T0, None, True)  # so does the re-dispatch

    clock.now = T0 + timedelta(hours=3)
    for eid in (e, same, moved):
        await _handle_and_close(api, eid, photo)
    await _ok(api, "street01a", e, "visit", satisfaction=4)
    assert (await _columns(ctx, e))[e] == (T0, 4, True)
    await _ok(api, "street01a", e, "visit", satisfaction=2)
    assert (await _columns(ctx, e))[e] == (T0, 2, True)  # the latest visit counts

    # Reopened and dispatched again: still the first dispatch; the last visit stays until
    # a new one is made. A second org without a return is 多跨 too; the same org is not.
    clock.now = T0 + timedelta(hours=4)
    for eid in (e, same, moved):
        await _ok(api, "street01a", eid, "reopen", reason="群众反映问题复现")
    await _ok(api, "street01a", e, "dispatch", org_id=dept01)
    await _ok(api, "street01a", same, "dispatch", org_id=dept01)
    await _ok(api, "street01a", moved, "dispatch", org_id=dept02)
    assert (await _columns(ctx, e))[e] == (T0, 2, True)
    await _handle_and_close(api, e, photo)
    await _ok(api, "street01a", e, "visit", satisfaction=5)
    expected = {
        e: (T0, 5, True),
        same: (T0, None, False),
        moved: (T0, None, True),
        never: (None, None, False),
    }
    assert await _columns(ctx, e, same, moved, never) == expected

    o = (await api.get("district01", "/stats/overview")).json()
    # First dispatch T0 to handled T0+4h (e; same and moved are handling again); one
    # visited event, latest 5.
    assert (o["avg_handle_hours"], o["satisfaction_avg"], o["visits"]) == (4.0, 5.0, 1)
    h = (await api.get("district01", "/stats/hotspots")).json()["cross_department"]
    assert h["total"] == 2
    assert [(x["event_id"], x["orgs_count"], x["returns"]) for x in h["items"]] == sorted(
        [(e, 2, 1), (moved, 2, 0)], key=lambda x: x[0], reverse=True
    )

    # The migration's backfill computes the same from the assignments and the timeline.
    async with ctx.db.sessions() as session:
        await session.execute(
            update(Event).values(
                first_dispatched_at=None, satisfaction=None, cross_department=False
            )
        )
        await session.commit()
    await ctx.db.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "stats_0001")
    await asyncio.to_thread(upgrade_head, database_url)
    assert await _columns(ctx, e, same, moved, never) == expected
