"""An action's outcome: its timeline entry, version and audit row, and the other domains'
hooks around the flush that writes them (``before_write``, then ``action``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.auth.principal import Principal
from backend.db.models import Event, TimelineEntry
from backend.events.service import EventService

__all__ = ["ActionOutcome", "append_entry", "record_system_action"]


@dataclass
class ActionOutcome:
    event: Event
    action: str
    from_status: str
    to_status: str
    seq: int
    data: dict[str, Any] = field(default_factory=dict)
    # None for actions the system takes (SLA supervision, escalation, city sync).
    actor: Principal | None = None
    note: str | None = None
    # What the action already knows that the hooks would query (None: not known): whether
    # an extension is pending after it, and the type of the org it dispatched to.
    extension_pending: bool | None = None
    assignee_org_type: str | None = None


async def append_entry(
    svc: EventService,
    session: AsyncSession,
    event: Event,
    *,
    action: str,
    actor: Principal | None,
    from_status: str,
    to_status: str,
    note: str | None,
    data: dict[str, Any],
    now: datetime,
    known: dict[str, Any] | None = None,
) -> ActionOutcome:
    """One timeline row, one version, one audit row, the other domains' hooks around the
    flush; ``known``: the outcome's hints for the hooks (``extension_pending``, …)."""
    seq = event.version + 1
    event.status = to_status
    event.version = seq
    event.updated_at = now
    session.add(
        TimelineEntry(
            event_id=event.id,
            seq=seq,
            at=now,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data,
        )
    )
    audit.record(
        session,
        action=f"event.{action}",
        actor_id=actor.id if actor else None,
        target_type="event",
        target_id=event.id,
        data={"from": from_status, "to": to_status, "seq": seq},
    )
    outcome = ActionOutcome(
        event, action, from_status, to_status, seq, data, actor, note, **(known or {})
    )
    for hook in svc.hooks.before_write:
        await hook(session, outcome, now)
    await session.flush()
    for hook in svc.hooks.action:
        await hook(session, outcome, now)
    return outcome


async def record_system_action(
    svc: EventService,
    session: AsyncSession,
    event: Event,
    *,
    action: str,
    note: str,
    data: dict[str, Any],
    now: datetime,
    to_status: str | None = None,
) -> ActionOutcome:
    """An entry the system writes on its own (e.g. automatic supervision at overdue)."""
    return await append_entry(
        svc,
        session,
        event,
        action=action,
        actor=None,
        from_status=event.status,
        to_status=to_status or event.status,
        note=note,
        data=data,
        now=now,
    )
