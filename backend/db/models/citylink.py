"""City platform link (市城运中心): the outbound outbox and inbound case ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, utcnow

__all__ = ["CityCase", "CityOutbox"]


class CityOutbox(Base):
    """One message to the city, written in the transaction of the change it reports."""

    __tablename__ = "city_outbox"

    # Increasing: messages about one event go out in the order they were written.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Due time of the next attempt (also the lease while a relay is sending it); null once
    # delivered or given up.
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_city_outbox_due", "next_attempt_at"),)


class CityCase(Base):
    """A case the city sent us, so a replay of it answers with the same event."""

    __tablename__ = "city_cases"

    city_case_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
