"""The other domains rooms talk to (notify, inbox, duty), through their service APIs.

Notify is the app's ``NotifyService``, handed to the caller when the rooms are built
(notify is installed before rooms, backend/composition.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import User

if TYPE_CHECKING:
    from backend.notify.service import NotifyService

__all__ = [
    "close_instruction_task",
    "notify_users",
    "on_duty",
    "on_duty_leader",
    "open_instruction_task",
]

log = logging.getLogger("chengyun.rooms")


async def notify_users(
    notify: NotifyService,
    session: AsyncSession,
    *,
    user_ids: list[str],
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
    now: datetime,
    priority: Literal["normal", "high"] = "normal",
    collapse_key: str | None = None,
) -> None:
    if not user_ids:
        return
    await notify.notify_users(
        session,
        user_ids=user_ids,
        kind=kind,
        title=title,
        body=body,
        data=data,
        priority=priority,
        collapse_key=collapse_key,
        now=now,
    )


async def open_instruction_task(
    session: AsyncSession,
    *,
    user_id: str,
    room_id: str,
    seq: int,
    due_at: datetime | None,
    now: datetime,
) -> None:
    from backend.inbox import service as inbox

    await inbox.open_task(
        session,
        kind="instruction",
        now=now,
        user_id=user_id,
        room_id=room_id,
        message_seq=seq,
        due_at=due_at,
    )


async def close_instruction_task(
    session: AsyncSession, *, user_id: str, room_id: str, seq: int, now: datetime
) -> None:
    from backend.inbox import service as inbox

    await inbox.close_tasks(
        session, now=now, kind="instruction", user_id=user_id, room_id=room_id, message_seq=seq
    )


async def on_duty(session: AsyncSession, org_id: str, at: datetime) -> list[str]:
    """Whoever is on duty for the org now; with no roster, its active users."""
    from backend.duty import service as duty

    ids = await duty.on_duty_user_ids(session, org_id, at)
    if ids:
        return ids
    rows = await session.scalars(
        select(User.id)
        .where(User.org_id == org_id, User.is_active.is_(True))
        .order_by(User.username)
    )
    return list(rows.all())


async def on_duty_leader(session: AsyncSession, org_id: str, at: datetime) -> str | None:
    from backend.duty import service as duty

    return await duty.on_duty_leader_id(session, org_id, at)
