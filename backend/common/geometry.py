"""GeoJSON geometry checks (shapely) and metre distances in a local projection."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.errors import GEOSException
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

from backend.errors import ProblemError

__all__ = [
    "ALLOWED_TYPES",
    "GeometryError",
    "circle_bbox",
    "distance_m",
    "parse_bbox",
    "parse_geometry",
]

ALLOWED_TYPES = frozenset({"Point", "LineString", "Polygon"})
# Mean Earth radius (IUGG). An equirectangular projection around the query point is
# accurate to well under a metre over the few kilometres a nearby search spans.
EARTH_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    """The geometry is not a valid GeoJSON Point, LineString or Polygon in WGS-84."""


def parse_geometry(value: Any) -> tuple[BaseGeometry, dict[str, Any]]:
    """(shapely geometry, normalised GeoJSON dict) or GeometryError saying why."""
    if not isinstance(value, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = value.get("type")
    if kind not in ALLOWED_TYPES:
        raise GeometryError(
            f"geometry type must be one of Point, LineString, Polygon; not {kind!r}"
        )
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException) as exc:
        raise GeometryError(f"malformed {kind} coordinates: {str(exc).strip()}") from exc
    if geom.is_empty:
        raise GeometryError(f"{kind} has no coordinates")
    if geom.has_z:
        geom = shapely.force_2d(geom)
    min_x, min_y, max_x, max_y = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds):
        raise GeometryError("coordinates must be finite numbers")
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise GeometryError("coordinates are [lng, lat] in WGS-84 degrees")
    if not geom.is_valid:
        raise GeometryError(f"invalid {kind}: {shapely.is_valid_reason(geom)}")
    # mapping() gives tuples; JSON columns and clients want lists.
    normal = _lists(mapping(geom))
    return geom, normal


def _lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def circle_bbox(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) enclosing a circle; a little generous."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lng - dlng, lat - dlat, lng + dlng, lat + dlat


def distance_m(lat: float, lng: float, geom: BaseGeometry) -> float:
    """Metres from (lat, lng) to the geometry's nearest point (0 inside a polygon)."""
    k_lat = math.radians(1) * EARTH_RADIUS_M
    k_lng = k_lat * math.cos(math.radians(lat))
    local = shapely.transform(geom, lambda xy: (xy - (lng, lat)) * (k_lng, k_lat))
    return float(local.distance(Point(0, 0)))


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLng,minLat,maxLng,maxLat`` from a query string, or a 400 naming ``bbox``."""
    if value is None:
        return None
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    ok = len(parts) == 4 and all(math.isfinite(v) for v in parts)
    if not ok or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ProblemError(
            400,
            "validation_failed",
            "bbox is minLng,minLat,maxLng,maxLat",
            errors=[
                {"field": "bbox", "message": "four numbers, min before max", "source": "query"}
            ],
        )
    return parts[0], parts[1], parts[2], parts[3]
