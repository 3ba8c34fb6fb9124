"""Reading the hotspots' and the assessment's roll-ups (PostgreSQL, revision stats_0004;
the tables and their triggers in backend/stats/rollup2_sql.py).

Hotspots: as the overview (backend/stats/rollup.py), the window is cut at UTC midnights,
the whole days summed from ``event_spot_rollups`` and the partial days at the edges counted
from the events, in one statement; the parts are disjoint and cover the window, so the
counts are the raw scan's. The assessment reads a Shanghai calendar month, which is whole
Shanghai days, all from ``assignment_day_rollups``. Each returns None when it cannot
answer (SQLite, a scope other than the district or one street, a window not cut on days),
and the caller reads raw.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    String,
    case,
    column,
    func,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Event
from backend.stats.rollup import rollup_scope, whole_days
from backend.stats.scope import Window

__all__ = ["ASSESS_SUMS", "assessment_rolled", "spots_rolled"]

SPOTS = table(
    "event_spot_rollups",
    column("day", Date),
    column("street_id", String),
    column("grid_id", String),
    column("category_code", String),
    column("n", BigInteger),
    column("x", BigInteger),
)
ASSESS_SUMS = ("rv", "rt", "hd", "ot", "ss", "sn", "rp", "fv")
ASSESS = table(
    "assignment_day_rollups",
    column("day", Date),
    column("street_id", String),
    column("org_id", String),
    *(column(s, BigInteger) for s in ASSESS_SUMS),
)


def _plan(
    session: AsyncSession, scope: ColumnElement[bool], window: Window
) -> tuple[str, tuple[datetime, datetime]] | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    days, on = whole_days(window), rollup_scope(scope)
    return None if days is None or on is None else (on, days)


def _spot_days(on: str, days: tuple[datetime, datetime], *where: Any) -> list[Any]:
    s = SPOTS.c
    return [
        s.day >= days[0].date(),
        s.day < days[1].date(),
        *([] if on == "*" else [s.street_id == on]),
        *where,
    ]


def _edges(window: Window, days: tuple[datetime, datetime]) -> tuple[Window, Window]:
    return Window(window.start, days[0]), Window(days[1], window.end)


async def spots_rolled(
    session: AsyncSession,
    scope: ColumnElement[bool],
    window: Window,
    *,
    min_count: int,
    limit: int,
) -> tuple[list[tuple[str, str, int]], int] | None:
    """高频: (grid, category, events not merged) with at least ``min_count``, most first;
    and 多跨: how many of the window's events crossed orgs. One pass over the roll-up's
    days (they are most of the work), both figures folded from it."""
    plan = _plan(session, scope, window)
    if plan is None:
        return None
    on, days = plan
    merged = case((Event.status == "merged", 0), else_=1)
    crossed = case((Event.cross_department.is_(True), 1), else_=0)
    raw = [
        select(
            Event.grid_id,
            Event.category_code,
            func.sum(merged).label("n"),
            func.sum(crossed).label("x"),
        )
        .where(scope, edge.clause())
        .group_by(Event.grid_id, Event.category_code)
        for edge in _edges(window, days)
    ]
    s = SPOTS.c
    rolled = (
        select(s.grid_id, s.category_code, func.sum(s.n).label("n"), func.sum(s.x).label("x"))
        .where(*_spot_days(on, days))
        .group_by(s.grid_id, s.category_code)
    )
    u = union_all(*raw, rolled).subquery("u")
    g = (
        select(
            u.c.grid_id,
            u.c.category_code,
            func.sum(u.c.n).label("n"),
            func.sum(u.c.x).label("x"),
        )
        .group_by(u.c.grid_id, u.c.category_code)
        .cte("g")
    )
    total = select(func.coalesce(func.sum(g.c.x), 0)).scalar_subquery()
    # A merged event is not the problem coming back: a group of merged events only (n 0)
    # is no spot, whatever min_count.
    rows = (
        await session.execute(
            select(g.c.grid_id, g.c.category_code, g.c.n, total)
            .where(g.c.n >= min_count, g.c.n > 0)
            .order_by(g.c.n.desc(), g.c.grid_id, g.c.category_code)
            .limit(limit)
        )
    ).all()
    if not rows:
        return [], int(await session.scalar(select(total)) or 0)
    return [(gr, c, int(k)) for gr, c, k, _ in rows], int(rows[0][3])


async def assessment_rolled(
    session: AsyncSession, scope: ColumnElement[bool], window: Window, zone: ZoneInfo
) -> list[tuple[Any, ...]] | None:
    """Per receiving org: (org, received, returned, handled with due, on time,
    satisfaction sum, visits, reports, failed verifications), when the window is whole
    days of ``zone`` (the assessment's month is)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    on = rollup_scope(scope)
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    if on is None or start.time() != time() or end.time() != time():
        return None
    r = ASSESS.c
    rows = await session.execute(
        select(r.org_id, *(func.sum(r[k]) for k in ASSESS_SUMS))
        .where(
            r.day >= start.date(),
            r.day < end.date(),
            *([] if on == "*" else [r.street_id == on]),
        )
        .group_by(r.org_id)
        .having(func.sum(r.rv) > 0)
    )
    return [(org, *(int(v or 0) for v in sums)) for org, *sums in rows]
