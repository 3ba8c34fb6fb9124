"""Organisations (district → street → community → grid, and departments) and categories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow

__all__ = ["Category", "Org"]


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    # For a grid: its GeoJSON Polygon. Streets and communities derive theirs from grids.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Denormalised ancestry so visibility checks need no recursive query.
    street_id: Mapped[str | None] = mapped_column(String(36), index=True)
    community_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every change (a rename, a new boundary): processes holding the grid index
    # compare it to notice a district import.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_orgs_type", "type"),)


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(50))
    default_department_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    # {"1": hours, "2": hours, "3": hours, "4": hours}
    sla_hours: Mapped[dict[str, float]] = mapped_column(JSONType)
    sla_clock: Mapped[str] = mapped_column(String(10), default="working")
    photo_required: Mapped[bool] = mapped_column(default=False)
    duplicate_radius_m: Mapped[int] = mapped_column(default=50)
    # Smart dispatch: accepted events go straight to the suggested org (urgent hazards).
    auto_dispatch: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
