"""体征 overview: counts and rates over a window of events, computed by aggregate SQL.

All the window's figures come from one query over the event rows alone (the first
dispatch and the latest satisfaction are columns of the event): one grouped pass, folded in
the database into the four breakdowns; the rows that come back are tens of groups, never
events. The overdue count is a second, index-only query.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Category, Event, Org
from backend.events.rules import SLA_RUNNING, TERMINAL_STATUSES
from backend.stats.rollup import SUMS, rollup_part, rollup_scope, whole_days
from backend.stats.scope import Window, micros_between, rate
from schemas.stats import CategoryCount, OverviewOut, StreetCount

__all__ = ["STATUS_ORDER", "category_names", "org_names", "overview"]

# Lifecycle order, so a dashboard's bars come in a stable order (zeros included).
STATUS_ORDER = (
    "reported",
    "registered",
    "dispatched",
    "handling",
    "handled",
    "verified",
    "closed",
    "rejected",
    "cancelled",
    "merged",
)


async def category_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Category.code, Category.name))).all())


async def org_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Org.id, Org.name).where(Org.id.in_(ids)))
    return dict(rows.all())


async def overview(
    session: AsyncSession,
    *,
    scope: ColumnElement[bool],
    window: Window,
    street_id: str | None,
    now: datetime,
    sqlite: bool,
) -> OverviewOut:
    handled_with_due = and_(Event.handled_at.is_not(None), Event.due_at.is_not(None))
    on_time = and_(handled_with_due, Event.handled_at <= Event.due_at)
    # First dispatch to handled, per handled event; a return and re-dispatch is part of
    # the time the citizen waited, so the clock starts at the first dispatch (kept on the
    # event by backend/stats/wiring.py). Null unless both are set, so sum/count skip it.
    handle_us = micros_between(Event.handled_at, Event.first_dispatched_at, sqlite=sqlite)

    # One pass over the window (an index-only range scan of ix_events_stats_created, or
    # ix_events_stats_street for one street) groups the events by every dimension at once;
    # the database then folds those groups (thousands) into the four breakdowns (tens of
    # rows), each carrying the sums the rates need, so few rows come back.
    def raw(part: Window) -> Any:
        return (
            select(
                Event.status,
                Event.category_code,
                Event.source,
                Event.street_id,
                func.count().label("n"),
                func.sum(case((handled_with_due, 1), else_=0)).label("hd"),
                func.sum(case((on_time, 1), else_=0)).label("ot"),
                func.sum(handle_us).label("hs"),
                func.count(handle_us).label("hn"),
                func.sum(Event.satisfaction).label("ss"),
                func.count(Event.satisfaction).label("sn"),
            )
            .where(scope, part.clause())
            .group_by(Event.status, Event.category_code, Event.source, Event.street_id)
        )

    # On PostgreSQL the whole days come from the daily roll-up and only the partial days
    # at the edges from the events (backend/stats/rollup.py says why the sums are the
    # raw scan's); SQLite, and a scope the roll-up can't express, scan the window raw.
    def folded(g: Any) -> list[Any]:
        sums = [func.sum(g.c[k]).label(k) for k in SUMS]
        return [
            select(literal(dim).label("dim"), g.c[col].label("key"), *sums).group_by(g.c[col])
            for dim, col in (
                ("status", "status"),
                ("category", "category_code"),
                ("source", "source"),
                ("street", "street_id"),
            )
        ]

    days = None if sqlite else whole_days(window)
    on_rollup = None if days is None else rollup_scope(scope)
    if days is not None and on_rollup is not None:
        edges = union_all(raw(Window(window.start, days[0])), raw(Window(days[1], window.end)))
        u = union_all(*folded(edges.cte("g")), rollup_part(on_rollup, days)).subquery("u")
        query: Any = (
            select(u.c.dim, u.c.key, *(func.sum(u.c[k]) for k in SUMS))
            .group_by(u.c.dim, u.c.key)
            .having(func.sum(u.c.n) > 0)  # a roll-up key whose events all moved away
        )
    else:
        query = union_all(*folded(raw(window).cte("g")))
    rows = (await session.execute(query)).all()
    counters: dict[str, Counter[str]] = {
        d: Counter() for d in ("status", "category", "source", "street")
    }
    for dim, key, n, *_ in rows:
        counters[dim][key] += int(n)
    by_status, by_category = counters["status"], counters["category"]
    by_source, by_street = counters["source"], counters["street"]
    # The rates' sums, once (from the status breakdown: every event has one status).
    handled_due = on_time_n = handle_n = sat_n = sat_sum = 0
    handle_sum: Any = 0
    for _dim, _key, _n, hd, ot, hs, hn, ss, sn in (r for r in rows if r[0] == "status"):
        handled_due += int(hd or 0)
        on_time_n += int(ot or 0)
        handle_sum += hs or 0
        handle_n += int(hn or 0)
        sat_sum += int(ss or 0)
        sat_n += int(sn or 0)
    avg_hours = float(handle_sum) / handle_n / 3_600_000_000 if handle_n else None
    sat_avg = sat_sum / sat_n if sat_n else None

    # A now-figure: open events past due, whatever the window (the dashboard's red number);
    # the terms match the partial index ix_events_running_due.
    overdue = await session.scalar(
        select(func.count()).where(Event.status.in_(sorted(SLA_RUNNING)), Event.due_at < now, scope)
    )

    names = await category_names(session)
    streets = await org_names(session, set(by_street))
    return OverviewOut(
        from_=window.start,
        to=window.end,
        street_id=street_id,
        total=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in STATUS_ORDER}
        | {s: n for s, n in by_status.items() if s not in STATUS_ORDER},
        by_category=[
            CategoryCount(code=c, name=names.get(c, c), count=n)
            for c, n in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        by_source=dict(sorted(by_source.items())),
        by_street=[
            StreetCount(street_id=s, name=streets.get(s, s), count=n)
            for s, n in sorted(by_street.items(), key=lambda kv: (-kv[1], streets.get(kv[0], "")))
        ],
        on_time_rate=rate(on_time_n, handled_due),
        avg_handle_hours=round(avg_hours, 2) if avg_hours is not None else None,
        open=sum(n for s, n in by_status.items() if s not in TERMINAL_STATUSES),
        overdue_open=int(overdue or 0),
        satisfaction_avg=round(sat_avg, 2) if sat_avg is not None else None,
        handled_with_due=handled_due,
        visits=sat_n,
    )
