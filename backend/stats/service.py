"""体征 overview: counts and rates over a window of events, computed by aggregate SQL.

Each figure is one grouped query; the rows that come back are groups (statuses x
categories x sources x streets, a few thousand at most), never events.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Category, Event, EventAssignment, Org, TimelineEntry
from backend.events.rules import SLA_RUNNING
from backend.stats.scope import Window, hours_between, rate
from schemas.stats import CategoryCount, OverviewOut, StreetCount

__all__ = ["STATUS_ORDER", "category_names", "latest_visits", "org_names", "overview"]

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


def latest_visits(where: ColumnElement[bool], partition: object = None) -> object:
    """Subquery (event_id, satisfaction, rn): visits of the events ``where`` selects; rn = 1
    is the latest per event (a second visit replaces the first's verdict)."""
    t = TimelineEntry
    return (
        select(
            t.event_id,
            t.data["satisfaction"].as_float().label("satisfaction"),
            func.row_number()
            .over(partition_by=partition or t.event_id, order_by=t.seq.desc())
            .label("rn"),
        )
        .join(Event, Event.id == t.event_id)
        .where(t.action == "visit", where)
        .subquery()
    )


async def overview(
    session: AsyncSession,
    *,
    scope: ColumnElement[bool],
    window: Window,
    street_id: str | None,
    now: datetime,
    sqlite: bool,
) -> OverviewOut:
    where = and_(scope, window.clause())
    handled_with_due = and_(Event.handled_at.is_not(None), Event.due_at.is_not(None))
    on_time = and_(handled_with_due, Event.handled_at <= Event.due_at)
    groups = await session.execute(
        select(
            Event.status,
            Event.category_code,
            Event.source,
            Event.street_id,
            func.count(),
            func.sum(case((handled_with_due, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .where(where)
        .group_by(Event.status, Event.category_code, Event.source, Event.street_id)
    )
    by_status: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    by_street: Counter[str] = Counter()
    handled_due = on_time_n = 0
    for status, category, source, street, n, hd, ot in groups:
        by_status[status] += n
        by_category[category] += n
        by_source[source] += n
        by_street[street] += n
        handled_due += int(hd or 0)
        on_time_n += int(ot or 0)

    # First dispatch to handled, per handled event; a return and re-dispatch is part of
    # the time the citizen waited, so the clock starts at the first dispatch.
    per_event = (
        select(
            Event.handled_at.label("handled_at"),
            func.min(EventAssignment.assigned_at).label("first_at"),
        )
        .join(EventAssignment, EventAssignment.event_id == Event.id)
        .where(where, Event.handled_at.is_not(None))
        .group_by(Event.id, Event.handled_at)
        .subquery()
    )
    avg_hours = await session.scalar(
        select(func.avg(hours_between(per_event.c.handled_at, per_event.c.first_at, sqlite=sqlite)))
    )

    visits = latest_visits(where)
    sat_avg, sat_n = (
        await session.execute(
            select(func.avg(visits.c.satisfaction), func.count()).where(visits.c.rn == 1)
        )
    ).one()

    # A now-figure: open events past due, whatever the window (the dashboard's red number).
    overdue = await session.scalar(
        select(func.count()).where(scope, Event.status.in_(SLA_RUNNING), Event.due_at < now)
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
        avg_handle_hours=round(float(avg_hours), 2) if avg_hours is not None else None,
        overdue_open=int(overdue or 0),
        satisfaction_avg=round(float(sat_avg), 2) if sat_avg is not None else None,
        handled_with_due=handled_due,
        visits=int(sat_n or 0),
    )
