"""The rooms' periodic job: instruction reminders (指令催办), one tick at a time."""

from __future__ import annotations

from datetime import timedelta

from backend.context import AppContext
from backend.db.transaction import transaction
from backend.rooms.instructions import remind_due

__all__ = ["instruction_sweep"]


async def instruction_sweep(ctx: AppContext) -> None:
    escalate_after = timedelta(minutes=ctx.settings.instruction_escalate_minutes)
    async with ctx.db.sessions() as session, transaction(session):
        await remind_due(ctx.notify, session, ctx.now(), escalate_after)
