"""Organisations, grids, locating a point, and the category catalogue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Category, Org
from backend.errors import ProblemError
from backend.orgs.geo import GridIndex
from schemas.orgs import (
    CategoryOut,
    GridOut,
    LocateOut,
    OrgOut,
    OrgTreeNode,
    SlaOut,
    SlaRule,
)

__all__ = [
    "GridIndexHolder",
    "Located",
    "category_out",
    "get_category",
    "get_org",
    "list_categories",
    "list_grids",
    "locate",
    "located_out",
    "org_out",
    "org_tree",
    "orgs_by_id",
]


def org_out(org: Org) -> OrgOut:
    return OrgOut(id=org.id, code=org.code, name=org.name, type=org.type, parent_id=org.parent_id)


class GridIndexHolder:
    """Builds the grid index on first use and rebuilds it after the org tree changes."""

    def __init__(self) -> None:
        self._index: GridIndex | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._index = None

    async def get(self, session: AsyncSession) -> GridIndex:
        if self._index is not None:
            return self._index
        async with self._lock:
            if self._index is None:
                rows = await session.execute(
                    select(Org.id, Org.boundary).where(
                        Org.type == "grid", Org.boundary.is_not(None)
                    )
                )
                self._index = GridIndex((gid, boundary) for gid, boundary in rows.all())
            return self._index


@dataclass(frozen=True, slots=True)
class Located:
    grid: Org
    community: Org
    street: Org


async def get_org(session: AsyncSession, org_id: str) -> Org | None:
    return await session.get(Org, org_id)


async def orgs_by_id(session: AsyncSession, ids: set[str]) -> dict[str, Org]:
    if not ids:
        return {}
    rows = await session.execute(select(Org).where(Org.id.in_(ids)))
    return {o.id: o for o in rows.scalars()}


async def org_tree(session: AsyncSession) -> list[OrgTreeNode]:
    orgs = (await session.execute(select(Org).order_by(Org.code))).scalars().all()
    nodes = {
        o.id: OrgTreeNode(
            id=o.id, code=o.code, name=o.name, type=o.type, parent_id=o.parent_id, children=[]
        )
        for o in orgs
    }
    roots: list[OrgTreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


async def list_grids(
    session: AsyncSession, *, street_id: str | None, limit: int, after_code: str | None
) -> list[GridOut]:
    query = select(Org).where(Org.type == "grid").order_by(Org.code).limit(limit)
    if street_id is not None:
        query = query.where(Org.street_id == street_id)
    if after_code is not None:
        query = query.where(Org.code > after_code)
    grids = (await session.execute(query)).scalars().all()
    return [
        GridOut(
            id=g.id,
            code=g.code,
            name=g.name,
            community_id=g.community_id,
            street_id=g.street_id,
            boundary=g.boundary or {},
        )
        for g in grids
    ]


async def locate(session: AsyncSession, holder: GridIndexHolder, lat: float, lng: float) -> Located:
    index = await holder.get(session)
    grid_id = index.locate(lat, lng)
    if grid_id is None:
        raise ProblemError(
            422,
            "out_of_district",
            "the location is outside the district's grids",
            location={"lat": lat, "lng": lng},
        )
    grid = await session.get(Org, grid_id)
    if grid is None or grid.community_id is None or grid.street_id is None:
        holder.invalidate()
        raise ProblemError(422, "out_of_district", "the location is outside the district's grids")
    found = await orgs_by_id(session, {grid.community_id, grid.street_id})
    return Located(grid=grid, community=found[grid.community_id], street=found[grid.street_id])


def located_out(located: Located) -> LocateOut:
    return LocateOut(
        grid=org_out(located.grid),
        community=org_out(located.community),
        street=org_out(located.street),
    )


def category_out(category: Category, department: Org | None) -> CategoryOut:
    by_grade = {str(k): float(v) for k, v in sorted(category.sla_hours.items())}
    return CategoryOut(
        code=category.code,
        name=category.name,
        group=category.group,
        default_department=org_out(department) if department else None,
        sla=SlaOut(
            handle=SlaRule(
                hours=by_grade.get("4", 0.0),
                clock="natural" if category.sla_clock == "natural" else "working",
                by_grade=by_grade,
            )
        ),
        photo_required=category.photo_required,
        duplicate_radius_m=category.duplicate_radius_m,
    )


async def get_category(session: AsyncSession, code: str) -> Category | None:
    category = await session.get(Category, code)
    return category if category is not None and category.active else None


async def list_categories(session: AsyncSession) -> list[CategoryOut]:
    categories = (
        (
            await session.execute(
                select(Category)
                .where(Category.active.is_(True))
                .order_by(Category.sort_order, Category.code)
            )
        )
        .scalars()
        .all()
    )
    depts = await orgs_by_id(
        session, {c.default_department_id for c in categories if c.default_department_id}
    )
    return [category_out(c, depts.get(c.default_department_id or "")) for c in categories]
