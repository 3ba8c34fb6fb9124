"""Live event frames: after a report or an action commits, every connected user who sees
the event gets ``{"op": "event", "event": {...}}`` on their socket.

A triage board, a department queue and the district's screen then read again what they
show, without polling. The audience is computed in the writing transaction from the same
rules as every read (``backend.events.visibility.audience``); frames go out only after the
commit, so a rolled-back change announces nothing. The frame says what changed, never
more than the list would show to that user. With the in-memory channels backend and no
socket open in the process there is nobody to tell, and the audience is not read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.engine import on_commit
from backend.db.models import Event
from backend.events.hooks import DomainHooks
from backend.events.visibility import audience
from backend.rooms.hub import RoomHub
from schemas.events import EventChange, EventFrame

__all__ = ["event_feed_hooks"]

_enc = msgspec.json.Encoder()


def event_frame(event: Event, action: str) -> bytes:
    return _enc.encode(
        EventFrame(
            event=EventChange(
                id=event.id,
                case_no=event.case_no,
                action=action,
                status=event.status,
                version=event.version,
                street_id=event.street_id,
                grid_id=event.grid_id,
                assignee_org_id=event.assignee_org_id,
                lat=event.lat,
                lng=event.lng,
                updated_at=event.updated_at,
            )
        )
    )


def event_feed_hooks(hub: RoomHub) -> DomainHooks:
    async def announce(session: AsyncSession, event: Event, action: str) -> None:
        if not hub.may_reach_users():
            return  # no socket to tell: skip the audience's query on the write path
        users = await audience(session, event)
        frame = event_frame(event, action)

        on_commit(session, lambda: hub.publish_to_users(users, frame))

    async def on_created(
        session: AsyncSession, event: Event, principal: Principal, now: datetime
    ) -> None:
        await announce(session, event, "report")

    async def on_action(session: AsyncSession, outcome: Any, now: datetime) -> None:
        await announce(session, outcome.event, outcome.action)

    return DomainHooks(created=on_created, action=on_action)
