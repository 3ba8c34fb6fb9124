"""Open311 GeoReport v2: API keys of client systems, and the requests they submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow

__all__ = ["Open311Key", "Open311Request"]


class Open311Key(Base):
    __tablename__ = "open311_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # sha256 of the key: the key itself is shown once, when it is issued.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Open311Request(Base):
    """A service request posted through Open311: its token, and what events do not hold."""

    __tablename__ = "open311_requests"

    token: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), unique=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    # email, first_name, last_name, phone, device_id, account_id as submitted (never shown).
    contact: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
