"""高频 (a grid and category that keep coming back) and 多跨 (events that crossed orgs)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Event, EventAssignment, Org
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
    n = func.count().label("n")
    recurring_rows = (
        await session.execute(
            select(Event.grid_id, Event.category_code, n)
            .where(where, Event.status != "merged")
            .group_by(Event.grid_id, Event.category_code)
            .having(func.count() >= min_count)
            .order_by(n.desc(), Event.grid_id, Event.category_code)
            .limit(MAX_RECURRING)
        )
    ).all()
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

    a = EventAssignment
    orgs_n = func.count(func.distinct(a.org_id))
    returns = func.sum(case((a.end_reason == "returned", 1), else_=0))
    crossed = (
        select(a.event_id, orgs_n.label("orgs_n"), returns.label("returns"))
        .join(Event, Event.id == a.event_id)
        .where(where)
        .group_by(a.event_id)
        .having(or_(orgs_n >= 2, returns >= 1))
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(crossed))
    rows = (
        await session.execute(
            select(Event, crossed.c.orgs_n, crossed.c.returns)
            .join(crossed, crossed.c.event_id == Event.id)
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(limit)
        )
    ).all()
    path: dict[str, list[str]] = {}
    if rows:
        hops = await session.execute(
            select(a.event_id, a.org_id)
            .where(a.event_id.in_([r[0].id for r in rows]))
            .order_by(a.event_id, a.assigned_at, a.id)
        )
        for event_id, org_id in hops:
            path.setdefault(event_id, []).append(org_id)
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
