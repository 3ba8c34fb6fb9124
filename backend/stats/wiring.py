"""Keeps the statistics' columns on the event, in the action's own transaction.

``events.first_dispatched_at`` (the earliest assignment: a return and re-dispatch keeps it)
and ``events.satisfaction`` (the latest visit's), so the overview and the assessment read
a column instead of joining every event of a window with its assignments and visits.
Every assignment is made by a ``dispatch`` outcome and every visit is a ``visit`` outcome
(backend/events/actions.py), both through the events action hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.events.service import EventService

__all__ = ["install", "on_action"]


async def on_action(session: AsyncSession, outcome: Any, now: datetime) -> None:
    event = outcome.event
    if outcome.action == "dispatch":
        # The assignment was made at ``now``; min() keeps the earliest even if the clock
        # was set back between two dispatches.
        first = event.first_dispatched_at
        event.first_dispatched_at = now if first is None or now < first else first
    elif outcome.action == "visit":
        event.satisfaction = int(outcome.data["satisfaction"])


def install(ctx: AppContext) -> None:
    svc: EventService = ctx.part("events")
    svc.hooks.action.append(on_action)
