"""Keeps the statistics' columns on the event, in the action's own transaction.

``events.first_dispatched_at`` (the earliest assignment: a return and re-dispatch keeps it),
``events.satisfaction`` (the latest visit's) and ``events.cross_department`` (多跨: with two
or more distinct orgs, or returned at least once), so the overview, hotspots and the
assessment read a column instead of joining every event of a window with its assignments
and visits. Every assignment is made by a ``dispatch`` outcome, every return is a
``return`` outcome and every visit a ``visit`` outcome (backend/events/actions.py), all
through the events action hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import EventAssignment
from backend.events.hooks import DomainHooks

__all__ = ["event_hooks", "on_action"]


async def on_action(session: AsyncSession, outcome: Any, now: datetime) -> None:
    event = outcome.event
    if outcome.action == "dispatch":
        # The assignment was made at ``now``; min() keeps the earliest even if the clock
        # was set back between two dispatches.
        first = event.first_dispatched_at
        event.first_dispatched_at = now if first is None or now < first else first
        if first is not None and not event.cross_department:
            # A second dispatch: 多跨 once the event has been with two distinct orgs (the
            # query's autoflush writes the new assignment first).
            orgs = await session.scalar(
                select(func.count(func.distinct(EventAssignment.org_id))).where(
                    EventAssignment.event_id == event.id
                )
            )
            event.cross_department = (orgs or 0) >= 2
    elif outcome.action == "return":
        event.cross_department = True
    elif outcome.action == "visit":
        event.satisfaction = int(outcome.data["satisfaction"])


def event_hooks() -> DomainHooks:
    # Before the action's flush: the columns go out in the action's own UPDATE of the
    # event (a second dispatch's count flushes the new assignment first, by autoflush).
    return DomainHooks(before_write=on_action)
