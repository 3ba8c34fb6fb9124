"""Organisations, grids, locate and the category catalogue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from schemas.common import Strict

__all__ = [
    "CategoryOut",
    "DistrictCategoryIn",
    "DistrictFileIn",
    "DistrictOrgIn",
    "GridOut",
    "GridPolygonIn",
    "LocateOut",
    "OrgOut",
    "OrgTreeNode",
    "SlaHoursIn",
    "SlaOut",
    "SlaRule",
]

OrgType = Literal["district", "street", "community", "grid", "department"]


class OrgOut(msgspec.Struct, kw_only=True):
    id: str
    code: str
    name: str
    type: str
    parent_id: str | None


class OrgTreeNode(msgspec.Struct, kw_only=True):
    id: str
    code: str
    name: str
    type: str
    parent_id: str | None
    children: list[OrgTreeNode]


class GridOut(msgspec.Struct, kw_only=True):
    id: str
    code: str
    name: str
    community_id: str | None
    street_id: str | None
    boundary: dict[str, Any]


class LocateOut(msgspec.Struct, kw_only=True):
    grid: OrgOut
    community: OrgOut
    street: OrgOut


class SlaRule(msgspec.Struct, kw_only=True):
    hours: float
    clock: Literal["working", "natural"]
    by_grade: dict[str, float]


class SlaOut(msgspec.Struct, kw_only=True):
    handle: SlaRule


class CategoryOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    group: str
    default_department: OrgOut | None
    sla: SlaOut
    photo_required: bool
    duplicate_radius_m: int


# -- the district file read by ``chengyun import-district`` (docs/operations.md) ----------
# Not an HTTP body, but an input all the same: strict Structs, unknown fields are errors.

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^\S+$")]
# [lng, lat] or [lng, lat, altitude] (GeoJSON positions; the altitude is dropped).
Position = Annotated[list[float], msgspec.Meta(min_length=2, max_length=3)]
Hours = Annotated[float, msgspec.Meta(gt=0, le=8760)]


class GridPolygonIn(Strict):
    """A GeoJSON Polygon: an exterior ring and optional holes, [lng, lat] in WGS-84."""

    type: Literal["Polygon"]
    coordinates: Annotated[
        list[Annotated[list[Position], msgspec.Meta(min_length=4)]], msgspec.Meta(min_length=1)
    ]
    bbox: list[float] | None = None


class DistrictOrgIn(Strict):
    code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: OrgType
    parent_code: Code | None = None
    # Grids only: streets and communities derive their outline from their grids.
    boundary: GridPolygonIn | None = None


class SlaHoursIn(Strict):
    """Hours to handle an event, per grade (1 特急 ... 4 一般)."""

    grade1: Hours = msgspec.field(name="1")
    grade2: Hours = msgspec.field(name="2")
    grade3: Hours = msgspec.field(name="3")
    grade4: Hours = msgspec.field(name="4")


class DistrictCategoryIn(Strict):
    code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    group: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    default_department: Code
    sla_hours: SlaHoursIn
    sla_clock: Literal["working", "natural"] = "working"
    photo_required: bool = False
    duplicate_radius_m: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 50
    auto_dispatch: bool = False


class DistrictFileIn(Strict):
    """The whole file. Entries stay raw here and are decoded one by one, so one bad entry
    does not hide the problems of the others."""

    orgs: list[msgspec.Raw] = []
    categories: list[msgspec.Raw] = []
