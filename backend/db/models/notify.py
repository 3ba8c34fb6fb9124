"""Notifications (the in-app centre), devices, and the push outbox with its attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow
from push.message import Platform, Priority

__all__ = ["Device", "Notification", "PushAttempt", "PushDelivery"]


class Notification(Base):
    """One message for one user: stored first, so the in-app centre is the guarantee."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(String(10), default="normal")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Pushes sharing it replace each other on the phone (five reminders show as one).
    collapse_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)


class Device(Base):
    """A phone's push token. One row per token; the token follows whoever registered last."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token: Mapped[str] = mapped_column(String(512), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    platform: Mapped[Platform] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # "token_dead: UNREGISTERED" (the provider's word: never used again) or "signed_out".
    deactivated_reason: Mapped[str | None] = mapped_column(String(200))


class PushDelivery(Base):
    """The outbox: one push of one notification to one device.

    pending -> sending (claimed under a lease) -> delivered | pending (retry) | failed |
    dead; skipped when the device cannot or may not be pushed to (in-app only, muted,
    moved to another user, deactivated).
    """

    __tablename__ = "push_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), index=True)
    # SET NULL: the 270-day cleanup drops devices; their delivery history stays readable.
    device_id: Mapped[str | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    platform: Mapped[Platform] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    # While "sending": the lease. A relay that dies mid-send loses it and the row is sent
    # again (at most one duplicate, never a loss); also the fence for recording results.
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_push_deliveries_state_due", "state", "next_attempt_at"),)


class PushAttempt(Base):
    """One send of one delivery and what the provider said: the admin's delivery view."""

    __tablename__ = "push_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("push_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(500))
    provider_id: Mapped[str | None] = mapped_column(String(200))
