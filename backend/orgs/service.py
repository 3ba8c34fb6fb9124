"""Organisations, grids, locating a point, and the category catalogue."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

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
    "CategoryCache",
    "GridIndexHolder",
    "Located",
    "category_out",
    "get_category",
    "get_org",
    "list_categories",
    "list_grids",
    "locate",
    "locate_ids",
    "located_out",
    "org_out",
    "org_tree",
    "orgs_by_id",
    "set_ancestry",
]


def set_ancestry(org: Org, parent: Org | None) -> None:
    """Fill a new org's denormalised ``street_id``/``community_id`` from its parent.

    ``org.id`` must be set (flushed, or given). Visibility and event filters read these
    columns instead of walking the tree, so every writer of orgs goes through here.
    """
    if org.type == "street":
        org.street_id = org.id
    elif org.type == "community" and parent is not None:
        org.street_id, org.community_id = parent.id, org.id
    elif org.type == "grid" and parent is not None:
        org.street_id, org.community_id = parent.street_id, parent.id


def org_out(org: Org) -> OrgOut:
    return OrgOut(id=org.id, code=org.code, name=org.name, type=org.type, parent_id=org.parent_id)


class GridIndexHolder:
    """Builds the grid index on first use and rebuilds it when the grids change.

    Beside the polygons it keeps each grid's community and street, read in the same query:
    a report then finds its three orgs without a round trip (``locate_ids``). At most once
    per ``refresh_seconds`` a use compares the grids' count and newest ``updated_at`` with
    those the index was built from, so a district import run by another process (``chengyun
    import-district``) reaches this one within that time, without a restart.
    """

    def __init__(self, refresh_seconds: float = 60.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._index: GridIndex | None = None
        self._ancestry: dict[str, tuple[str | None, str | None]] = {}
        self._stamp: tuple[int, Any] | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._index = None

    @staticmethod
    async def _grids_stamp(session: AsyncSession) -> tuple[int, Any]:
        row = (
            await session.execute(
                select(func.count(), func.max(Org.updated_at)).where(Org.type == "grid")
            )
        ).one()
        return int(row[0]), row[1]

    async def get(self, session: AsyncSession) -> GridIndex:
        if self._index is not None:
            if time.monotonic() - self._checked_at < self.refresh_seconds:
                return self._index
            self._checked_at = time.monotonic()
            if await self._grids_stamp(session) == self._stamp:
                return self._index
        async with self._lock:
            stamp = await self._grids_stamp(session)
            if self._index is None or stamp != self._stamp:
                rows = (
                    await session.execute(
                        select(Org.id, Org.boundary, Org.community_id, Org.street_id).where(
                            Org.type == "grid", Org.boundary.is_not(None)
                        )
                    )
                ).all()
                self._ancestry = {gid: (community, street) for gid, _, community, street in rows}
                self._index = GridIndex((gid, boundary) for gid, boundary, _, _ in rows)
                self._stamp = stamp
                self._checked_at = time.monotonic()
            return self._index

    async def ancestry(
        self, session: AsyncSession, grid_id: str
    ) -> tuple[str | None, str | None] | None:
        """(community id, street id) of a grid of the current index."""
        await self.get(session)
        return self._ancestry.get(grid_id)


class CategoryCache:
    """The category catalogue, read once per ``ttl_seconds`` instead of once per report.

    Categories change only by seeding or migration (no API edits them), in this process
    or another, so a short TTL bounds how long a change goes unseen; ``invalidate`` is for
    code in this process that changes them. Kept on the app context (``ctx.grid_index``), never
    module-level, so every app (and every test) has its own.
    """

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl = ttl_seconds
        self._by_code: dict[str, Category] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._loaded_at = None

    def _fresh(self) -> bool:
        return self._loaded_at is not None and time.monotonic() - self._loaded_at < self.ttl

    async def get_active(self, session: AsyncSession, code: str) -> Category | None:
        """Like ``get_category``: the active category, attached to ``session``.

        ``merge(load=False)`` puts a copy in the session's identity map without SQL, so
        later ``session.get(Category, code)`` in the same request (routing's duplicate
        link, for one) need no query either.
        """
        await self._load(session)
        cached = self._by_code.get(code)
        if cached is None or not cached.active:
            # Not known active here: ask the database, so a category added or reactivated
            # since the last load is usable at once (only a deactivation can lag the TTL).
            return await get_category(session, code)
        return await session.merge(cached, load=False)

    async def get(self, session: AsyncSession, code: str) -> Category | None:
        """Like ``session.get(Category, code)`` (active or not), attached to ``session``."""
        await self._load(session)
        cached = self._by_code.get(code)
        if cached is None:
            return await session.get(Category, code)
        return await session.merge(cached, load=False)

    async def _load(self, session: AsyncSession) -> None:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    # Plain rows made into detached objects: loading entities through the
                    # request's session would tie the cached objects to that session.
                    rows = await session.execute(select(*Category.__table__.c))
                    by_code = {}
                    for row in rows:
                        category = Category(**row._asdict())
                        make_transient_to_detached(category)
                        by_code[category.code] = category
                    self._by_code = by_code
                    self._loaded_at = time.monotonic()


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


async def locate_ids(
    session: AsyncSession, holder: GridIndexHolder, lat: float, lng: float
) -> tuple[str, str, str]:
    """``locate`` for callers that need only the ids (grid, community, street): answered
    from the holder's index and ancestry, with the same refusals, without a query."""
    index = await holder.get(session)
    grid_id = index.locate(lat, lng)
    if grid_id is None:
        raise ProblemError(
            422,
            "out_of_district",
            "the location is outside the district's grids",
            location={"lat": lat, "lng": lng},
        )
    community_id, street_id = await holder.ancestry(session, grid_id) or (None, None)
    if community_id is None or street_id is None:
        holder.invalidate()
        raise ProblemError(422, "out_of_district", "the location is outside the district's grids")
    return grid_id, community_id, street_id


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
