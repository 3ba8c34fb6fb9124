"""One-map (一张图) features: GeoJSON geometry plus its bounding box for SQL prefilters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow

__all__ = ["MapFeature"]


class MapFeature(Base):
    __tablename__ = "map_features"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    layer: Mapped[str] = mapped_column(String(30))
    # Optional stable key from the source (an imported feature's "id", demo seed keys):
    # a re-import updates instead of duplicating.
    code: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSONType)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Bounding box of the geometry: bbox and nearby queries filter on these in SQL, then
    # refine with shapely, so no query reads a whole layer.
    min_lng: Mapped[float]
    min_lat: Mapped[float]
    max_lng: Mapped[float]
    max_lat: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("layer", "code"),
        Index("ix_map_features_layer_lng", "layer", "min_lng"),
        Index("ix_map_features_layer_lat", "layer", "min_lat"),
    )
