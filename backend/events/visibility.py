"""Who sees which events, as one SQL condition (lists and single reads use the same one)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select, true

from backend.auth.principal import Principal
from backend.db.models import Event, EventAssignment

__all__ = ["visible_clause"]


def _dispatched_to(org_id: str) -> ColumnElement[bool]:
    return exists(
        select(EventAssignment.id).where(
            EventAssignment.event_id == Event.id, EventAssignment.org_id == org_id
        )
    )


def visible_clause(p: Principal) -> ColumnElement[bool]:
    if p.sees_all:
        return true()
    # Everyone sees what they reported themselves.
    mine = Event.reporter_id == p.id
    if p.role == "street_dispatcher":
        return or_(mine, Event.street_id == p.street_id, _dispatched_to(p.org_id))
    if p.role == "dept_handler":
        return or_(mine, _dispatched_to(p.org_id))
    if p.role == "grid_worker":
        return or_(mine, Event.grid_id == p.org_id)
    return mine
