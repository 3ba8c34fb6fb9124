"""Who sees which events, as one SQL condition (lists and single reads use the same one)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import SEES_ALL_ROLES, Principal
from backend.db.models import Event, EventAssignment, Org, User

__all__ = ["audience", "visible_clause", "visible_event"]


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


def visible_event(p: Principal, event_id: str) -> Select[Event]:
    """The one event ``event_id`` if ``p`` sees it, as a query (for the presenter's loader)."""
    return select(Event).where(Event.id == event_id, visible_clause(p))


async def audience(session: AsyncSession, event: Event) -> list[str]:
    """The active users who see ``event``: ``visible_clause`` turned around, one query.

    Live frames about an event go to exactly these users; a test holds the two rules
    together over every demo login.
    """
    assigned = select(EventAssignment.org_id).where(EventAssignment.event_id == event.id)
    rows = await session.scalars(
        select(User.id)
        .join(Org, Org.id == User.org_id)
        .where(
            User.is_active.is_(True),
            or_(
                User.role.in_(SEES_ALL_ROLES),
                User.id == event.reporter_id,
                and_(
                    User.role == "street_dispatcher",
                    or_(Org.street_id == event.street_id, User.org_id.in_(assigned)),
                ),
                and_(User.role == "dept_handler", User.org_id.in_(assigned)),
                and_(User.role == "grid_worker", User.org_id == event.grid_id),
            ),
        )
    )
    return list(rows)
