"""Events (事件), their timeline, assignments, media links, extensions and case numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow

__all__ = [
    "CaseCounter",
    "Event",
    "EventAssignment",
    "EventExtension",
    "EventMedia",
    "TimelineEntry",
]


# What the statistics read of a window's events (see backend/stats), after the range key.
STATS_COLUMNS = (
    "street_id",
    "status",
    "category_code",
    "source",
    "grid_id",
    "handled_at",
    "due_at",
    "first_dispatched_at",
    "satisfaction",
    "cross_department",
)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="mobile")
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    grade: Mapped[int] = mapped_column(default=4)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float]
    lng: Mapped[float]
    address: Mapped[str | None] = mapped_column(String(300))
    grid_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    community_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    street_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    reporter_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    assignee_org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    assignee_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # SLA clock of the current dispatch: started, warning instant (80 %), due.
    sla_clock: Mapped[str | None] = mapped_column(String(10))
    sla_started_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    supervision_count: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[bool] = mapped_column(default=False)
    duplicate_of: Mapped[str | None] = mapped_column(ForeignKey("events.id"))
    # Smart dispatch (backend/routing): the org suggested at acceptance and the rule that
    # chose it. No foreign key: a suggestion is advice, kept as it was when given.
    suggested_org_id: Mapped[str | None] = mapped_column(String(36))
    suggested_rule: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    occurred_at: Mapped[datetime | None]
    # Statistics (revision stats_0002), kept by the stats domain's action hook in the
    # action's own transaction: the earliest assignment's assigned_at (the first dispatch;
    # a return and re-dispatch keeps it), the latest visit's satisfaction (1-5), and 多跨
    # (dispatched to two or more distinct orgs, or returned at least once).
    first_dispatched_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None]
    cross_department: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_events_created", "created_at", "id"),
        Index("ix_events_street_created", "street_id", "created_at"),
        Index("ix_events_grid_created", "grid_id", "created_at"),
        Index("ix_events_reporter_created", "reporter_id", "created_at"),
        Index("ix_events_status", "status"),
        Index("ix_events_category_lat", "category_code", "lat"),
        Index("ix_events_assignee", "assignee_org_id"),
        # Statistics (revision stats_0002): covering indexes, so a window's grouped figures
        # are one index-only range scan, district-wide or for one street.
        Index("ix_events_stats_created", "created_at", *STATS_COLUMNS),
        Index("ix_events_stats_street", "street_id", "created_at", *STATS_COLUMNS[1:]),
        # The open cases whose SLA clock runs, by due time (overdue counts).
        Index(
            "ix_events_running_due",
            "due_at",
            "street_id",
            postgresql_where=text("status IN ('dispatched', 'handling')"),
            sqlite_where=text("status IN ('dispatched', 'handling')"),
        ),
    )


class EventAssignment(Base):
    """Every org an event was ever dispatched to: departments keep seeing their past cases."""

    __tablename__ = "event_assignments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_event_assignments_org_event", "org_id", "event_id"),
        # Statistics: assessment selects a month of assignments (revision stats_0001).
        Index("ix_event_assignments_assigned", "assigned_at"),
    )


class TimelineEntry(Base):
    __tablename__ = "event_timeline"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        UniqueConstraint("event_id", "seq", name="uq_event_timeline_event_seq"),
        # Statistics: latest visit / failed verifications per event (revision stats_0001).
        Index("ix_event_timeline_action_event", "action", "event_id", "seq"),
        # Assessment: reports and failed verifications since a month began (stats_0002).
        Index("ix_event_timeline_rework", "action", "at", "event_id", "to_status"),
    )


class EventMedia(Base):
    __tablename__ = "event_media"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    media_id: Mapped[str] = mapped_column(ForeignKey("media.id"), index=True)
    # The timeline entry the photo belongs to (1 = the report itself).
    timeline_seq: Mapped[int]
    location_mismatch: Mapped[bool] = mapped_column(default=False)


class EventExtension(Base):
    __tablename__ = "event_extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    hours: Mapped[float]
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class CaseCounter(Base):
    """Daily sequence behind ``case_no``; incremented with one atomic upsert."""

    __tablename__ = "case_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
