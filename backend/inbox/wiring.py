"""Event tasks follow every event change; the SLA sweep, briefing and cleanups are jobs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.context import AppContext
from backend.db.models import Event
from backend.events.hooks import DomainHooks
from backend.inbox.jobs import cleanup_job, daily_briefing
from backend.inbox.service import Known, reconcile_event_tasks
from backend.inbox.views import SyncCursors
from backend.sla.calendar import WorkingCalendar
from backend.sla.sweep import sla_sweep

__all__ = ["event_hooks", "install"]


def event_hooks(ctx: AppContext) -> DomainHooks:
    """Every event change reconciles the event's tasks (escalation deadlines included)."""
    calendar: WorkingCalendar = ctx.calendar
    delay = timedelta(hours=ctx.settings.escalate_after_working_hours)

    def escalate_at(due: datetime) -> datetime:
        return calendar.add_working_time(due, delay)

    async def on_created(session: AsyncSession, event: Event, _p: Principal, now: datetime) -> None:
        await reconcile_event_tasks(session, event, now, escalate_at=escalate_at, new=True)

    async def on_action(session: AsyncSession, outcome: Any, now: datetime) -> None:
        known = Known(outcome.extension_pending, outcome.assignee_org_type)
        await reconcile_event_tasks(
            session, outcome.event, now, escalate_at=escalate_at, known=known
        )

    return DomainHooks(created=on_created, action=on_action)


def install(ctx: AppContext) -> None:
    secret = hmac.new(ctx.settings.secret_key.encode(), b"inbox sync", hashlib.sha256).digest()
    ctx.sync_cursors = SyncCursors(secret)
    jobs = ctx.jobs
    jobs.every("sla_sweep", ctx.settings.sla_sweep_seconds, sla_sweep)
    jobs.daily("daily_briefing", 8, 0, daily_briefing)
    jobs.every("cleanup", 3600, cleanup_job)
