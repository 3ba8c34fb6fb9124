"""Statistics and assessment (体征, 考核) and smart-dispatch routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from schemas.common import NO_NUL, Strict

__all__ = [
    "AssessmentOut",
    "AssessmentRow",
    "CategoryCount",
    "CrossDepartmentEvent",
    "CrossDepartmentOut",
    "HotspotsOut",
    "OrgBrief",
    "OverviewOut",
    "RecurringSpot",
    "RoutingRuleIn",
    "RoutingRuleOut",
    "StreetCount",
]


class CategoryCount(msgspec.Struct, kw_only=True):
    code: str
    name: str
    count: int


class StreetCount(msgspec.Struct, kw_only=True):
    street_id: str
    name: str
    count: int


class OverviewOut(msgspec.Struct, kw_only=True):
    # The window the figures cover: events created in [from, to).
    from_: datetime = msgspec.field(name="from")
    to: datetime
    street_id: str | None
    total: int
    by_status: dict[str, int]
    by_category: list[CategoryCount]
    by_source: dict[str, int]
    by_street: list[StreetCount]
    on_time_rate: float | None
    avg_handle_hours: float | None
    # Events of the window not yet in a final status (closed, rejected, cancelled, merged).
    open: int
    overdue_open: int
    satisfaction_avg: float | None
    handled_with_due: int
    visits: int


class RecurringSpot(msgspec.Struct, kw_only=True):
    grid_id: str
    grid_name: str
    street_id: str | None
    street_name: str | None
    category_code: str
    category_name: str
    count: int


class OrgBrief(msgspec.Struct, kw_only=True):
    org_id: str
    org_name: str


class CrossDepartmentEvent(msgspec.Struct, kw_only=True):
    event_id: str
    case_no: str
    status: str
    category_code: str
    category_name: str
    street_id: str
    created_at: datetime
    orgs_count: int
    returns: int
    orgs: list[OrgBrief]


class CrossDepartmentOut(msgspec.Struct, kw_only=True):
    total: int
    items: list[CrossDepartmentEvent]


class HotspotsOut(msgspec.Struct, kw_only=True):
    from_: datetime = msgspec.field(name="from")
    to: datetime
    min_count: int
    recurring: list[RecurringSpot]
    cross_department: CrossDepartmentOut


class AssessmentRow(msgspec.Struct, kw_only=True):
    org_id: str
    org_name: str
    org_type: str
    received: int
    returned: int
    handled_with_due: int
    on_time: int
    on_time_rate: float | None
    return_rate: float
    reports: int
    failed_verifications: int
    rework_rate: float | None
    visits: int
    satisfaction_avg: float | None
    score: float
    rank: int


class AssessmentOut(msgspec.Struct, kw_only=True):
    month: str
    from_: datetime = msgspec.field(name="from")
    to: datetime
    formula: str
    items: list[AssessmentRow]


Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class RoutingRuleIn(Strict):
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    org_id: Id
    street_id: Id | None = None
    grade: Annotated[int, msgspec.Meta(ge=1, le=4)] | None = None
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0


class RoutingRuleOut(msgspec.Struct, kw_only=True):
    id: str
    category_code: str
    street_id: str | None
    grade: int | None
    org_id: str
    org_name: str
    priority: int
    created_at: datetime
