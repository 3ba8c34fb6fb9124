"""One map (一张图): GeoJSON in and out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from schemas.common import Strict

__all__ = ["FeatureCollectionOut", "FeatureIn", "FeatureOut", "LayerOut"]


class FeatureIn(Strict):
    """A GeoJSON Feature; ``properties.name`` is required, other properties are kept."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]
    # The source's own id: a re-import with the same id updates that feature.
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | int | None = None
    bbox: list[float] | None = None


class LayerOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    feature_count: int


class FeatureOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    # Stored properties plus "name", "layer" and "code" (null unless the source gave one).
    properties: dict[str, Any]
    # Only on /map/nearby answers: metres from the query point (0 inside a polygon).
    distance_m: float | None = None


class FeatureCollectionOut(msgspec.Struct, kw_only=True):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]
