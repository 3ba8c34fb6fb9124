"""Reminders for unacknowledged instructions (指令催办), run by the elected scheduler
(``instruction_sweep`` in backend/rooms/jobs.py).

At its due time an unacknowledged instruction is pushed to its target once more; after a
further ``instruction_escalate_minutes`` it goes to the on-duty leader of the target's
org. Each step stamps its row, so a doubled or late tick never repeats a push.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import InstructionTarget, Room, RoomMessage, User
from backend.rooms import peers

if TYPE_CHECKING:
    from backend.notify.service import NotifyService

__all__ = ["remind_due"]

BATCH = 200


async def _context(session: AsyncSession, t: InstructionTarget) -> tuple[str, str, str]:
    """(room title, instruction text, target's name) for the push text."""
    row = (
        await session.execute(
            select(Room.title, RoomMessage.text)
            .join(RoomMessage, RoomMessage.room_id == Room.id)
            .where(Room.id == t.room_id, RoomMessage.seq == t.seq)
        )
    ).one()
    name = await session.scalar(select(User.display_name).where(User.id == t.user_id)) or ""
    return row[0], row[1], name


async def remind_due(
    notify: NotifyService, session: AsyncSession, now: datetime, escalate_after: timedelta
) -> tuple[int, int]:
    """One pass: (reminders sent, escalations sent)."""
    delay = escalate_after
    reminded = escalated = 0
    due = (
        await session.scalars(
            select(InstructionTarget)
            .where(
                InstructionTarget.acked_at.is_(None),
                InstructionTarget.escalated_at.is_(None),
                or_(
                    and_(InstructionTarget.reminded_at.is_(None), InstructionTarget.due_at <= now),
                    InstructionTarget.due_at <= now - delay,
                ),
            )
            .order_by(InstructionTarget.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for t in due:
        title, text, name = await _context(session, t)
        data = {"room_id": t.room_id, "seq": str(t.seq)}
        if t.reminded_at is None:
            t.reminded_at = now
            reminded += 1
            await peers.notify_users(
                notify,
                session,
                user_ids=[t.user_id],
                kind="instruction_reminder",
                title=f"指令待反馈 · {title}",
                body=text[:60],
                data=data,
                priority="high",
                now=now,
                collapse_key=f"instr:{t.room_id}:{t.seq}",
            )
        elif t.due_at is not None and t.due_at + delay <= now:
            t.escalated_at = now
            leader = await peers.on_duty_leader(session, t.org_id, now)
            if leader is not None and leader != t.user_id:
                escalated += 1
                await peers.notify_users(
                    notify,
                    session,
                    user_ids=[leader],
                    kind="instruction_reminder",
                    title=f"{name}未反馈指令 · {title}",
                    body=text[:60],
                    data={**data, "target_user_id": t.user_id},
                    priority="high",
                    now=now,
                )
    await session.flush()
    return reminded, escalated
