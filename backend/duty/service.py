"""Duty rosters: who is on duty for an org at an instant, and roster upserts.

Public API used by other domains (notify, incidents):

- ``on_duty_user_ids(session, org_id, at)`` -> the user ids on duty, or ``None`` when no
  roster covers that org at that instant (callers then fall back to the org's members).
- ``on_duty_leader_id(session, org_id, at)`` -> the shift leader's id, or ``None``.

Shifts: day 08:00-20:00, night 20:00 to 08:00 the next morning (Asia/Shanghai); the night
shift of date D covers D 20:00 -> D+1 08:00, so at 02:00 the previous date's night roster
answers. See ``backend.duty.shifts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import DutyRoster
from backend.duty.shifts import shift_at

__all__ = ["on_duty_leader_id", "on_duty_user_ids", "roster_at"]


async def roster_at(session: AsyncSession, org_id: str, at: datetime) -> DutyRoster | None:
    """The roster row covering ``org_id`` at the aware instant ``at``."""
    day, shift = shift_at(at)
    return await session.scalar(
        select(DutyRoster).where(
            DutyRoster.org_id == org_id, DutyRoster.date == day, DutyRoster.shift == shift
        )
    )


async def on_duty_user_ids(session: AsyncSession, org_id: str, at: datetime) -> list[str] | None:
    roster = await roster_at(session, org_id, at)
    return None if roster is None else list(roster.user_ids)


async def on_duty_leader_id(session: AsyncSession, org_id: str, at: datetime) -> str | None:
    roster = await roster_at(session, org_id, at)
    return None if roster is None else roster.leader_id
