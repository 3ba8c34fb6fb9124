"""Every event write takes the inbox's change-number row last, so writers never deadlock.

The cycle PostgreSQL used to break (one accept+dispatch in a few hundred under 16 clients):
an accept holds its event row (``SELECT … FOR UPDATE``) and then wants the change-number
row; meanwhile a report of a duplicate had taken the change-number row for its triage
task and then waited for the same event row (the foreign key of ``duplicate_of`` locks
the original ``FOR KEY SHARE``). With the numbers taken at commit, the report waits for
the event row without holding the counter, and both commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.flows import dept_org_id, report

pytestmark = pytest.mark.pg_only


def _pause_actions(app: Any, action: str) -> tuple[asyncio.Event, asyncio.Event]:
    """An action hook run first: the action holds its event row locked until released."""
    reached, release = asyncio.Event(), asyncio.Event()

    async def hold(_session: Any, outcome: Any, _now: datetime) -> None:
        if outcome.action == action and not release.is_set():
            reached.set()
            await release.wait()

    app.state["ctx"].events.hooks.action.insert(0, hold)
    return reached, release


async def _until_someone_waits_for_a_lock(app: Any) -> None:
    """Polls PostgreSQL until another backend waits for a row lock (a condition, no timer)."""
    async with app.state["ctx"].db.engine.connect() as conn:
        while not await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        ):
            await conn.rollback()
            await asyncio.sleep(0)


async def _interleave(
    app: Any, action: str, holder: Awaitable[Any], waiter: Callable[[], Awaitable[Any]]
) -> tuple[Any, Any]:
    reached, release = _pause_actions(app, action)
    first = asyncio.ensure_future(holder)
    await reached.wait()  # the action's event row is locked, its hooks not yet run
    second = asyncio.ensure_future(waiter())
    await _until_someone_waits_for_a_lock(app)
    release.set()
    return await first, await second


async def test_an_accept_and_a_duplicate_report_of_its_event_both_commit(
    api: Any, app: Any
) -> None:
    original = await report(api)
    accepted, duplicate = await _interleave(
        app,
        "accept",
        api.act("street01a", original["id"], "accept"),
        lambda: api.post("grid001", "/events", _same_spot(original)),
    )
    assert accepted.status_code == 200, accepted.text
    assert duplicate.status_code == 201, duplicate.text
    assert duplicate.json()["duplicate_of"] == original["id"]
    await _numbers_unique_and_in_commit_order(app)


async def test_a_dispatch_and_a_duplicate_report_of_its_event_both_commit(
    api: Any, app: Any
) -> None:
    original = await report(api)
    r = await api.act("street01a", original["id"], "accept")
    assert r.status_code == 200, r.text
    org_id = await dept_org_id(api)
    dispatched, duplicate = await _interleave(
        app,
        "dispatch",
        api.act("street01a", original["id"], "dispatch", org_id=org_id),
        lambda: api.post("grid001", "/events", _same_spot(original)),
    )
    assert dispatched.status_code == 200, dispatched.text
    assert duplicate.status_code == 201, duplicate.text
    await _numbers_unique_and_in_commit_order(app)


async def test_concurrent_reports_accepts_and_dispatches_answer_without_a_503(
    api: Any,
) -> None:
    org_id = await dept_org_id(api)
    originals = [await report(api) for _ in range(4)]

    async def accept_dispatch(eid: str) -> list[int]:
        a = await api.act("street01a", eid, "accept")
        d = await api.act("street01a", eid, "dispatch", org_id=org_id)
        return [a.status_code, d.status_code]

    async def duplicate(original: dict[str, Any]) -> list[int]:
        r = await api.post("grid001", "/events", _same_spot(original))
        return [r.status_code]

    answers = await asyncio.gather(
        *(accept_dispatch(o["id"]) for o in originals), *(duplicate(o) for o in originals)
    )
    assert answers == [[200, 200]] * 4 + [[201]] * 4


def _same_spot(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "category_code": event["category"]["code"],
        "description": "同一处暴露垃圾",
        "location": {k: event["location"][k] for k in ("lat", "lng", "address")},
    }


async def _numbers_unique_and_in_commit_order(app: Any) -> None:
    async with app.state["ctx"].db.engine.connect() as conn:
        counter = await conn.scalar(text("SELECT value FROM inbox_counter WHERE id = 1"))
        revs = (await conn.execute(text("SELECT rev FROM tasks"))).scalars().all()
        tombs = (await conn.execute(text("SELECT rev, task_id FROM task_tombstones"))).all()
    assert len(set(revs)) == len(revs) and 0 not in revs
    assert all(0 < r <= counter for r in revs)
    assert all(0 < r <= counter for r, _ in tombs)
