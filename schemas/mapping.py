"""One map (一张图): GeoJSON in and out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from schemas.common import NO_NUL, Strict

__all__ = ["FeatureCollectionOut", "FeatureIn", "FeatureOut", "LayerOut"]


PropertyName = Annotated[str, msgspec.Meta(max_length=100, pattern=NO_NUL)]
BboxNumber = Annotated[float, msgspec.Meta(ge=-20000, le=20000)]


class FeatureIn(Strict):
    """A GeoJSON Feature; ``properties.name`` is required, other properties are kept."""

    type: Literal["Feature"]
    # Checked by backend.common.geometry after decoding (type, rings, WGS-84 ranges); its
    # nesting is bounded by the decoding layer and its size by the body limit.
    geometry: dict[str, Any]
    # Free-form GeoJSON properties, kept as given; at most 100 of them.
    properties: Annotated[dict[PropertyName, Any], msgspec.Meta(max_length=100)]
    # The source's own id: a re-import with the same id updates that feature.
    id: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NO_NUL)]
        | Annotated[int, msgspec.Meta(ge=0, le=2**53)]
        | None
    ) = None
    # [west, south, east, north] or with altitudes (metres) as 6 numbers.
    bbox: Annotated[list[BboxNumber], msgspec.Meta(min_length=4, max_length=6)] | None = None


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
