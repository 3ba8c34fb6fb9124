"""``chengyun import-district``: a district's own orgs, grid polygons and categories.

Plan first, then write: ``plan_district`` reads the database and checks the whole file
against it, collecting every problem; only a file with none gets a plan, and
``apply_district`` writes that plan in the caller's transaction (the CLI commits once, so
the import is all or nothing). Matching is by code, so a second run of the same file
finds everything unchanged. Nothing is ever deleted. An existing org may get a new name
or boundary, but never a new type or parent: events and users carry the denormalised
``street_id``/``community_id`` of where they were, and moving an org would leave them
pointing at the wrong street.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import new_id
from backend.db.models import Category, Org
from backend.orgs.district_file import PARENT_TYPE, DecodedDistrict, Entry, where
from backend.orgs.geo import overlap_m2
from backend.orgs.service import set_ancestry
from schemas.orgs import DistrictCategoryIn, DistrictOrgIn

__all__ = [
    "SLIVER_WIDTH_M",
    "Change",
    "DistrictImportError",
    "DistrictPlan",
    "apply_district",
    "plan_district",
]

# Two grids may share a strip no wider than this (digitising noise along a common edge);
# anything wider is a real overlap, where a report's grid would depend on list order.
SLIVER_WIDTH_M = 1.0
# Parents before children, so every new org's parent exists when it is added.
_DEPTH = {"district": 0, "street": 1, "department": 1, "community": 2, "grid": 3}


class DistrictImportError(Exception):
    """The file was refused; ``problems`` lists every reason, each with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the district file")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the file: ``added``, ``updated`` (with what changed) or ``unchanged``."""

    kind: str  # "org" | "category"
    code: str
    outcome: str
    what: tuple[str, ...] = ()

    def describe(self) -> str:
        detail = f": {', '.join(self.what)}" if self.what else ""
        return f"{self.outcome} {self.kind} {self.code}{detail}"


@dataclass(slots=True)
class DistrictPlan:
    orgs: list[tuple[Entry[DistrictOrgIn], Change]] = field(default_factory=list)
    categories: list[tuple[Entry[DistrictCategoryIn], Change]] = field(default_factory=list)
    polygons: dict[str, dict[str, Any]] = field(default_factory=dict)

    def counts(self, kind: str) -> dict[str, int]:
        changes = self.orgs if kind == "org" else self.categories
        out = {"added": 0, "updated": 0, "unchanged": 0}
        for _, change in changes:
            out[change.outcome] += 1
        return out

    @property
    def changes(self) -> list[Change]:
        return [c for _, c in [*self.orgs, *self.categories] if c.outcome != "unchanged"]


def _check_orgs(
    decoded: DecodedDistrict, stored: dict[str, Org], stored_codes: dict[str, str]
) -> None:
    """Type and parent rules, over the file and the database together."""
    problems = decoded.problems
    in_file = {e.item.code: e.item for e in decoded.orgs}
    for entry in decoded.orgs:
        org = entry.item
        old = stored.get(org.code)
        if old is not None and old.type != org.type:
            problems.add(
                "orgs",
                entry.index,
                org.code,
                f"type {org.type!r}, but it is a {old.type} in the database; an org's type "
                "never changes (events and users hang off it)",
            )
        old_parent = stored_codes.get(old.parent_id or "") if old is not None else None
        if old is not None and old.type == org.type and old_parent != org.parent_code:
            problems.add(
                "orgs",
                entry.index,
                org.code,
                f"parent_code {org.parent_code!r}, but its parent in the database is "
                f"{old_parent!r}; moving an org is refused (events keep the street and "
                "community they were reported in)",
            )
        want = PARENT_TYPE[org.type]
        if org.parent_code is None or want is None:
            continue  # the shape check already said what is missing
        # A stored org's type is the one that counts: a file claiming another is refused.
        parent = stored.get(org.parent_code) or in_file.get(org.parent_code)
        if parent is None:
            if org.parent_code not in decoded.broken_codes:
                problems.add(
                    "orgs", entry.index, org.code, f"parent_code {org.parent_code!r} is not an org"
                )
        elif parent.type != want:
            problems.add(
                "orgs",
                entry.index,
                org.code,
                f"parent_code {org.parent_code!r} is a {parent.type}; "
                f"a {org.type} hangs under a {want}",
            )
    districts = [e for e in decoded.orgs if e.item.type == "district"]
    stored_district = next((o for o in stored.values() if o.type == "district"), None)
    for extra in districts[1:]:
        problems.add(
            "orgs",
            extra.index,
            extra.item.code,
            f"a second district (the first is orgs[{districts[0].index}]); "
            "one database holds one district",
        )
    if districts and stored_district and stored_district.code != districts[0].item.code:
        problems.add(
            "orgs",
            districts[0].index,
            districts[0].item.code,
            f"the database already holds district {stored_district.code!r}; "
            "one database holds one district",
        )
    if decoded.orgs and not districts and stored_district is None:
        problems.add("orgs", None, None, "no district (exactly one org of type district)")


def _check_overlaps(decoded: DecodedDistrict, stored: dict[str, Org]) -> None:
    """Grids of the file against each other and against stored grids the file keeps."""
    index_of = {e.item.code: e.index for e in decoded.orgs}
    codes: list[str] = []
    geoms: list[BaseGeometry] = []
    for code, (polygon, _) in decoded.polygons.items():
        codes.append(code)
        geoms.append(polygon)
    for code, org in stored.items():
        if org.type == "grid" and org.boundary and code not in index_of:
            codes.append(code)
            geoms.append(shape(org.boundary))
    tree = STRtree(geoms)
    for i, code in enumerate(codes[: len(decoded.polygons)]):
        for j in sorted(int(k) for k in tree.query(geoms[i], predicate="intersects")):
            if j >= i and codes[j] in index_of:
                continue  # each pair of file grids once, at the later of the two
            area = overlap_m2(geoms[i], geoms[j], SLIVER_WIDTH_M)
            if area > 0:
                other = (
                    where("orgs", index_of[codes[j]], codes[j])
                    if codes[j] in index_of
                    else f"grid {codes[j]} in the database"
                )
                decoded.problems.add(
                    "orgs",
                    index_of[code],
                    code,
                    f"boundary overlaps {other} by {area:.0f} m² "
                    f"(more than a {SLIVER_WIDTH_M:g} m sliver)",
                )


def _check_categories(decoded: DecodedDistrict, stored: dict[str, Org]) -> None:
    types: dict[str, str] = {e.item.code: e.item.type for e in decoded.orgs}
    types.update({code: o.type for code, o in stored.items()})
    for entry in decoded.categories:
        dept = entry.item.default_department
        if dept not in types:
            if dept not in decoded.broken_codes:
                decoded.problems.add(
                    "categories",
                    entry.index,
                    entry.item.code,
                    f"default_department {dept!r} is not an org",
                )
        elif types[dept] != "department":
            decoded.problems.add(
                "categories",
                entry.index,
                entry.item.code,
                f"default_department {dept!r} is a {types[dept]}, not a department",
            )


def _org_change(entry: Entry[DistrictOrgIn], old: Org | None, boundary: Any) -> Change:
    org = entry.item
    if old is None:
        return Change("org", org.code, "added", (f"{org.type} {org.name}",))
    what = []
    if old.name != org.name:
        what.append(f"name {old.name!r} → {org.name!r}")
    if org.type == "grid" and old.boundary != boundary:
        what.append("boundary")
    return Change("org", org.code, "updated" if what else "unchanged", tuple(what))


def _category_values(item: DistrictCategoryIn, order: int, dept_id: str | None) -> dict[str, Any]:
    """The Category columns an entry sets; the app lists categories in file order."""
    h = item.sla_hours
    return {
        "name": item.name,
        "group": item.group,
        "default_department_id": dept_id,
        "sla_hours": {"1": h.grade1, "2": h.grade2, "3": h.grade3, "4": h.grade4},
        "sla_clock": item.sla_clock,
        "photo_required": item.photo_required,
        "duplicate_radius_m": item.duplicate_radius_m,
        "auto_dispatch": item.auto_dispatch,
        "sort_order": order,
    }


async def plan_district(session: AsyncSession, decoded: DecodedDistrict) -> DistrictPlan:
    """Check the decoded file against the database; raises DistrictImportError listing
    every problem, or returns what an import would add and update. Reads only."""
    stored = {o.code: o for o in (await session.execute(select(Org))).scalars()}
    stored_codes = {o.id: o.code for o in stored.values()}
    _check_orgs(decoded, stored, stored_codes)
    _check_overlaps(decoded, stored)
    _check_categories(decoded, stored)
    if decoded.problems:
        raise DistrictImportError(decoded.problems.lines())
    plan = DistrictPlan(polygons={c: normal for c, (_, normal) in decoded.polygons.items()})
    for entry in sorted(decoded.orgs, key=lambda e: (_DEPTH[e.item.type], e.index)):
        old = stored.get(entry.item.code)
        plan.orgs.append((entry, _org_change(entry, old, plan.polygons.get(entry.item.code))))
    categories = {
        c.code: c
        for c in (
            await session.execute(
                select(Category).where(Category.code.in_([e.item.code for e in decoded.categories]))
            )
        ).scalars()
    }
    for cat_entry in decoded.categories:
        item, old_cat = cat_entry.item, categories.get(cat_entry.item.code)
        if old_cat is None:
            plan.categories.append(
                (cat_entry, Change("category", item.code, "added", (item.name,)))
            )
            continue
        old_dept = stored_codes.get(old_cat.default_department_id or "")
        new = _category_values(item, cat_entry.index, old_cat.default_department_id)
        what = [k for k, v in new.items() if getattr(old_cat, k) != v]
        if old_dept != item.default_department:
            what.append(f"default_department {old_dept!r} → {item.default_department!r}")
        outcome = "updated" if what else "unchanged"
        plan.categories.append((cat_entry, Change("category", item.code, outcome, tuple(what))))
    return plan


async def apply_district(session: AsyncSession, plan: DistrictPlan) -> None:
    """Write a plan from ``plan_district`` in the session's transaction (never commits)."""
    by_code = {o.code: o for o in (await session.execute(select(Org))).scalars()}
    for entry, change in plan.orgs:
        item = entry.item
        boundary = plan.polygons.get(item.code)
        if change.outcome == "added":
            parent = by_code[item.parent_code] if item.parent_code else None
            org = Org(
                id=new_id(),
                code=item.code,
                name=item.name,
                type=item.type,
                parent_id=parent.id if parent else None,
                boundary=boundary,
            )
            set_ancestry(org, parent)
            session.add(org)  # added parents first: inserts keep this order
            by_code[item.code] = org
        elif change.outcome == "updated":
            org = by_code[item.code]
            org.name = item.name
            if boundary is not None:
                org.boundary = boundary
    # Without a relationship() between them the unit of work may insert categories before
    # the departments they point at; orgs go in first.
    await session.flush()
    for cat_entry, change in plan.categories:
        if change.outcome == "unchanged":
            continue
        dept = by_code[cat_entry.item.default_department]
        values = _category_values(cat_entry.item, cat_entry.index, dept.id)
        if change.outcome == "added":
            session.add(Category(code=cat_entry.item.code, **values))
        else:
            category = await session.get(Category, cat_entry.item.code)
            assert category is not None  # planned as existing, in this transaction
            for key, value in values.items():
                setattr(category, key, value)
    await session.flush()
