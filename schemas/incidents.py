"""Incidents (战时): declaring one opens a room with the response plan's departments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from schemas.common import NO_NUL, Location, Strict

__all__ = ["IncidentIn", "IncidentOut", "PlanOut"]


class IncidentIn(Strict):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
    level: Annotated[int, msgspec.Meta(ge=1, le=4)]
    event_id: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)] | None = None
    plan_code: Annotated[str, msgspec.Meta(max_length=40, pattern=NO_NUL)] | None = None
    location: Location | None = None


class IncidentOut(msgspec.Struct, kw_only=True):
    id: str
    room_id: str
    title: str
    level: int
    status: str
    plan_code: str | None
    event_id: str | None
    location: dict[str, object] | None
    department_org_ids: list[str]
    member_count: int
    declared_by: str
    created_at: datetime
    closed_at: datetime | None


class PlanOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    departments: list[str]
