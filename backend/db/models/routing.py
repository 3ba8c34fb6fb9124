"""Smart-dispatch routing rules: which org a category (optionally per street and grade) goes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, new_id, utcnow

__all__ = ["RoutingRule"]


class RoutingRule(Base):
    """One rule. The most specific match wins (street and grade set beat street only, which
    beats grade only, which beats category only); ``priority`` breaks ties, higher first."""

    __tablename__ = "routing_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    street_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    grade: Mapped[int | None]
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    priority: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_routing_rules_category", "category_code"),)
