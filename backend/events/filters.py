"""The event-list filters, read once from the query string for every endpoint that lists
events (GET /events, the CSV export): one declaration, one validation."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import FromQuery, QueryParameter

from backend.common.geometry import parse_bbox
from backend.common.pagination import RFC3339, checked_instant
from backend.errors import ProblemError
from backend.events.service import EventFilters

__all__ = ["provide_event_filters"]


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


# Parsed by checked_instant, not by Litestar: its lenient datetime decoding reads a bare
# number ("0.5") as seconds since 1970, which the document's date-time refuses (found by
# schemathesis on the export). The pattern says what checked_instant accepts.
Instant = Annotated[str | None, QueryParameter(pattern=RFC3339)]


async def provide_event_filters(
    status: Annotated[str | None, QueryParameter(max_length=300)] = None,
    category: Annotated[str | None, QueryParameter(max_length=1000)] = None,
    street_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    community_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    grid_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    assignee_org_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    sla_state: FromQuery[Literal["normal", "warning", "overdue"] | None] = None,
    q: Annotated[str | None, QueryParameter(max_length=100, pattern=r"^[^\x00]*$")] = None,
    bbox: Annotated[str | None, QueryParameter(max_length=200)] = None,
    since: Instant = None,
    created_from: Instant = None,
    created_to: Instant = None,
) -> EventFilters:
    start = checked_instant(created_from, "created_from", "query")
    end = checked_instant(created_to, "created_to", "query")
    if start is not None and end is not None and start >= end:
        raise ProblemError(
            400,
            "validation_failed",
            "created_from must be before created_to",
            errors=[
                {"field": "created_from", "message": "must be before created_to", "source": "query"}
            ],
        )
    return EventFilters(
        status=_csv(status),
        category=_csv(category),
        street_id=street_id,
        community_id=community_id,
        grid_id=grid_id,
        assignee_org_id=assignee_org_id,
        sla_state=sla_state,
        q=q.strip() if q and q.strip() else None,
        bbox=parse_bbox(bbox),
        since=checked_instant(since, "since", "query"),
        created_from=start,
        created_to=end,
    )
