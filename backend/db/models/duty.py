"""Duty rosters (值班表): who is on duty for an org, per local date and shift."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow
from schemas.duty import Shift

__all__ = ["DutyRoster"]


class DutyRoster(Base):
    """One shift of one org on one Asia/Shanghai date.

    ``day`` covers 08:00-20:00 of ``date``; ``night`` covers ``date`` 20:00 to 08:00 of the
    next morning, so at 02:00 the roster on duty is the previous date's night shift.
    """

    __tablename__ = "duty_rosters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    date: Mapped[date] = mapped_column(Date)
    shift: Mapped[Shift] = mapped_column(String(10))
    # Ordered list of user ids; the leader is one of them (added if missing).
    user_ids: Mapped[list[str]] = mapped_column(JSONType)
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "date", "shift"),)
