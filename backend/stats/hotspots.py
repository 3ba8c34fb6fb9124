"""高频 (a grid and category that keep coming back) and 多跨 (events that crossed orgs)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Event, EventAssignment, Org
from backend.stats.rollup_reads import spots_rolled
from backend.stats.scope import Window
from backend.stats.service import category_names, org_names
from schemas.stats import (
    CrossDepartmentEvent,
    CrossDepartmentOut,
    HotspotsOut,
    OrgBrief,
    RecurringSpot,
)

__all__ = ["MAX_RECURRING", "hotspots"]

MAX_RECURRING = 200


async def hotspots(
    session: AsyncSession,
    *,
    scope: ColumnElement[bool],
    window: Window,
    min_count: int,
    limit: int,
) -> HotspotsOut:
    where = and_(scope, window.clause())
    names = await category_names(session)

    # A merged event is the same problem reported twice, not the problem coming back.
    # On PostgreSQL the whole days are read from the spot roll-up (backend/stats/
    # rollup_reads.py); SQLite and other scopes count the window's events.
    rolled = await spots_rolled(session, scope, window, min_count=min_count, limit=MAX_RECURRING)
    recurring_rows, total = rolled if rolled is not None else (None, None)
    if recurring_rows is None:
        n = func.count().label("n")
        recurring_rows = [
            (g, c, k)
            for g, c, k in await session.execute(
                select(Event.grid_id, Event.category_code, n)
                .where(where, Event.status != "merged")
                .group_by(Event.grid_id, Event.category_code)
                .having(func.count() >= min_count)
                .order_by(n.desc(), Event.grid_id, Event.category_code)
                .limit(MAX_RECURRING)
            )
        ]
    grids = {
        g.id: g
        for g in (
            await session.execute(select(Org).where(Org.id.in_({r[0] for r in recurring_rows})))
        ).scalars()
    }
    street_names = await org_names(session, {g.street_id for g in grids.values() if g.street_id})
    recurring = []
    for grid_id, category, count in recurring_rows:
        grid = grids.get(grid_id)
        street_id = grid.street_id if grid else None
        recurring.append(
            RecurringSpot(
                grid_id=grid_id,
                grid_name=grid.name if grid else grid_id,
                street_id=street_id,
                street_name=street_names.get(street_id or ""),
                category_code=category,
                category_name=names.get(category, category),
                count=count,
            )
        )

    # 多跨 is a column of the event (backend/stats/wiring.py): the count is an index-only
    # scan of the window, the items the newest few; only those few read their assignments.
    crossed = and_(where, Event.cross_department.is_(True))
    if total is None:
        total = await session.scalar(select(func.count()).where(crossed))
    events = list(
        (
            await session.execute(
                select(Event)
                .where(crossed)
                .order_by(Event.created_at.desc(), Event.id.desc())
                .limit(limit)
            )
        ).scalars()
    )
    a = EventAssignment
    path: dict[str, list[str]] = {}
    returns: dict[str, int] = {}
    if events:
        hops = await session.execute(
            select(a.event_id, a.org_id, a.end_reason)
            .where(a.event_id.in_([e.id for e in events]))
            .order_by(a.event_id, a.assigned_at, a.id)
        )
        for event_id, org_id, end_reason in hops:
            path.setdefault(event_id, []).append(org_id)
            returns[event_id] = returns.get(event_id, 0) + (end_reason == "returned")
    rows = [(e, len(set(path.get(e.id, []))), returns.get(e.id, 0)) for e in events]
    hop_names = await org_names(session, {o for hops_ in path.values() for o in hops_})
    items = [
        CrossDepartmentEvent(
            event_id=e.id,
            case_no=e.case_no,
            status=e.status,
            category_code=e.category_code,
            category_name=names.get(e.category_code, e.category_code),
            street_id=e.street_id,
            created_at=e.created_at,
            orgs_count=int(n_orgs),
            returns=int(n_returns or 0),
            orgs=[OrgBrief(org_id=o, org_name=hop_names.get(o, o)) for o in path.get(e.id, [])],
        )
        for e, n_orgs, n_returns in rows
    ]
    return HotspotsOut(
        from_=window.start,
        to=window.end,
        min_count=min_count,
        recurring=recurring,
        cross_department=CrossDepartmentOut(total=int(total or 0), items=items),
    )
