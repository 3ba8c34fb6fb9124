"""Organisations, grids, locate and the category catalogue."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "CategoryOut",
    "GridOut",
    "LocateOut",
    "OrgOut",
    "OrgTreeNode",
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
