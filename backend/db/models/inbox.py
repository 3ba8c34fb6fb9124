"""Inbox tasks, their removal tombstones for offline sync, and the change counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, new_id, utcnow

__all__ = ["InboxCounter", "Task", "TaskTombstone"]

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class Task(Base):
    """One thing one person (or any member of an org with a role) has to do."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"), index=True)
    room_id: Mapped[str | None] = mapped_column(String(36))
    message_seq: Mapped[int | None]
    # Either a user, or every user of an org who has the role.
    assignee_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    assignee_org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    assignee_role: Mapped[str | None] = mapped_column(String(30))
    due_at: Mapped[datetime | None]
    # SLA crossings: when each falls due and whether it has fired; the sweep reads only
    # next_crossing_at (indexed), never every open task.
    warn_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    warned: Mapped[bool] = mapped_column(default=False)
    overdue_fired: Mapped[bool] = mapped_column(default=False)
    escalation_fired: Mapped[bool] = mapped_column(default=False)
    next_crossing_at: Mapped[datetime | None]
    # Global change number for offline sync: strictly increasing in commit order.
    rev: Mapped[int] = mapped_column(_BIGINT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(30))

    __table_args__ = (
        Index("ix_tasks_user_open", "assignee_user_id", "state"),
        Index("ix_tasks_org_open", "assignee_org_id", "assignee_role", "state"),
        Index("ix_tasks_rev", "rev"),
        Index("ix_tasks_crossing", "state", "next_crossing_at"),
    )


class TaskTombstone(Base):
    """A task left an audience (closed, or reassigned away): synced as ``removed``."""

    __tablename__ = "task_tombstones"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(36))
    rev: Mapped[int] = mapped_column(_BIGINT)
    audience_user_id: Mapped[str | None] = mapped_column(String(36))
    audience_org_id: Mapped[str | None] = mapped_column(String(36))
    audience_role: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_task_tombstones_user_rev", "audience_user_id", "rev"),
        Index("ix_task_tombstones_org_rev", "audience_org_id", "audience_role", "rev"),
    )


class InboxCounter(Base):
    """The one row whose value numbers inbox changes.

    Incrementing it locks the row until commit, so changes become visible in the order of
    their numbers: a sync cursor never skips a change that commits late.
    """

    __tablename__ = "inbox_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(_BIGINT, default=0)
