"""Plugs smart dispatch into the events domain through its hooks.

Its hooks run last (``backend.composition.event_hooks``): the auto-dispatch runs inside the
``accept`` outcome's hook loop, so the other domains' hooks must have seen the ``accept``
before they see the ``dispatch``. The suggestion itself is set before the action's flush
(``before_write``), so it goes out in the action's one UPDATE of the event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.context import AppContext
from backend.db.models import Event
from backend.events.actions import dispatch_event
from backend.events.hooks import DomainHooks
from backend.events.service import EventService
from backend.routing.service import link_duplicate, suggest

__all__ = ["event_hooks"]

# Re-suggest whenever an event comes (back) to "registered": the category or grade may
# have changed at acceptance, and a returned case wants a fresh look.
SUGGEST_ON = frozenset({"accept", "return", "reopen"})


def event_hooks(ctx: AppContext) -> DomainHooks:
    svc: EventService = ctx.events
    window = timedelta(hours=ctx.settings.duplicate_window_hours)

    async def on_created(
        session: AsyncSession, event: Event, principal: Principal, now: datetime
    ) -> None:
        await link_duplicate(session, event, principal, window=window, now=now)

    async def suggest_before_write(session: AsyncSession, outcome: Any, now: datetime) -> None:
        """The suggestion goes out in the action's own UPDATE of the event: the rules'
        query must not flush the action's changes before it is set."""
        if outcome.action not in SUGGEST_ON or outcome.to_status != "registered":
            return
        event: Event = outcome.event
        with session.no_autoflush:
            suggestion = await suggest(session, event, svc.categories)
        event.suggested_org_id, event.suggested_rule = suggestion or (None, None)

    async def on_action(session: AsyncSession, outcome: Any, now: datetime) -> None:
        event: Event = outcome.event
        if outcome.action != "accept" or outcome.to_status != "registered":
            return
        if event.suggested_org_id is None:
            return
        category = await svc.categories.get(session, event.category_code)
        if category is not None and category.auto_dispatch:
            org_id, rule = event.suggested_org_id, event.suggested_rule or {}
            await dispatch_event(
                svc,
                session,
                event,
                org_id=org_id,
                note="智能派遣：按分拨规则自动派遣",
                data={"auto": True, "rule": rule},
                now=now,
            )

    return DomainHooks(created=on_created, action=on_action, before_write=suggest_before_write)
