"""Point-in-grid lookup over an STRtree, distances on the sphere, and grid overlaps."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

__all__ = ["GridIndex", "haversine_m", "overlap_m2"]

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def overlap_m2(a: BaseGeometry, b: BaseGeometry, sliver_width_m: float) -> float:
    """Square metres two lng/lat polygons share, or 0.0 when what they share is at most a
    sliver: nowhere wider than ``sliver_width_m`` (or only an edge or a corner).

    Width, not area, tells a digitising sliver along a long shared edge (hundreds of m²
    but centimetres wide) from a real overlap. Measured in a local equirectangular
    projection around the overlap, exact enough over the few hundred metres of a grid.
    """
    common = a.intersection(b)
    if common.area == 0:
        return 0.0
    centre = common.centroid
    k_lat = math.radians(1) * EARTH_RADIUS_M
    k_lng = k_lat * math.cos(math.radians(centre.y))
    local = shapely.transform(common, lambda xy: (xy - (centre.x, centre.y)) * (k_lng, k_lat))
    if local.buffer(-sliver_width_m / 2).is_empty:
        return 0.0
    return float(local.area)


class GridIndex:
    """Immutable spatial index of grid polygons (grid id → polygon).

    Locate asks the tree for the few polygons whose boxes hold the point, then tests only
    those: no scan of every grid.
    """

    def __init__(self, grids: Iterable[tuple[str, dict[str, Any]]]) -> None:
        self._ids: list[str] = []
        geoms = []
        for grid_id, geojson in grids:
            self._ids.append(grid_id)
            geoms.append(shape(geojson))
        self._geoms = geoms
        self._tree = STRtree(geoms)

    def __len__(self) -> int:
        return len(self._ids)

    def locate(self, lat: float, lng: float) -> str | None:
        point = Point(lng, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        # On a shared edge two grids touch the point; the lowest index keeps it stable.
        return self._ids[int(min(hits))]
