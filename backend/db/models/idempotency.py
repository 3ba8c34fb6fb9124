"""Stored outcomes of requests sent with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow

__all__ = ["IdempotencyRecord"]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # Who holds the in-flight claim; a stale claim can be taken over by a retry.
    claim: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(12))  # in_flight | done
    status_code: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
