"""Demo geography of 洪山区: streets, communities and grids with exactly tiling polygons.

The street list is real (the streets and towns of Hongshan District inside the
30.45-30.60 N, 114.25-114.50 E box; 天兴乡, an island in the Yangtze north of the box, is left
out). Each street is an axis-aligned rectangle placed roughly where the street really lies;
the shapes are a schematic, not surveyed boundaries. Community names mix real ones with
plausible ones in the same style; they are demo data, not a register.

Tiling is exact by construction: every breakpoint is computed once, rounded once, and the
same float is used on both sides of a shared edge, so grids of a community have no gaps or
overlaps and their union is the community (and communities tile their street).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shapely.geometry import Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

__all__ = [
    "DISTRICT_CODE",
    "DISTRICT_NAME",
    "STREETS",
    "DemoOrg",
    "OrgType",
    "Ring",
    "StreetSpec",
    "build_geography",
]

DISTRICT_CODE = "420111"
DISTRICT_NAME = "洪山区"

OrgType = Literal["district", "street", "community", "grid", "department"]
# A closed exterior ring of (lng, lat) pairs, counter-clockwise (GeoJSON right-hand rule).
Ring = tuple[tuple[float, float], ...]

# Six decimals is ~0.1 m: plenty for grid boundaries and stable in JSON round trips.
_PRECISION = 6
# Rough km per degree at 30.5 N; used only to decide which way to cut a rectangle.
_KM_PER_DEG_LNG = 95.9
_KM_PER_DEG_LAT = 110.9
# Unequal community widths so the map does not look like graph paper.
_COMMUNITY_WEIGHTS = (1.0, 1.3, 0.85, 1.15, 0.95)
# Grids per community, cycled over the district's communities.
_GRIDS_PER_COMMUNITY = (4, 6, 5, 6)


@dataclass(frozen=True)
class DemoOrg:
    """One organisation node; ``seq`` is its 1-based ordinal among orgs of its type."""

    code: str
    name: str
    type: OrgType
    parent_code: str | None
    seq: int
    boundary: Ring | None = None

    def polygon(self) -> Polygon | None:
        return Polygon(self.boundary) if self.boundary is not None else None

    def geojson(self) -> dict[str, Any] | None:
        """The boundary as a GeoJSON Polygon (coordinates as [lng, lat] lists)."""
        if self.boundary is None:
            return None
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.boundary]]}


@dataclass(frozen=True)
class StreetSpec:
    """A street: its 3-digit code suffix, name, rectangle (west, south, east, north)."""

    suffix: str
    name: str
    bbox: tuple[float, float, float, float]
    communities: tuple[str, ...]


# Rows from north to south: 梨园/和平/花山/左岭 along the north (East Lake's west and north
# shores, out to the eastern towns); 洪山/珞南/卓刀泉/关山 through the middle (南湖 north
# shore, 街道口, 光谷); 青菱/张家湾/狮子山 in the south-west; 九峰 east of 关山.
STREETS: tuple[StreetSpec, ...] = (
    StreetSpec(
        "001",
        "珞南街道",
        (114.330, 30.505, 114.360, 30.545),
        ("街道口社区", "广八路社区", "马房山社区", "珞狮路社区"),
    ),
    StreetSpec(
        "002",
        "关山街道",
        (114.385, 30.505, 114.430, 30.545),
        ("关山社区", "关南社区", "鲁巷社区", "光谷社区"),
    ),
    StreetSpec(
        "003",
        "狮子山街道",
        (114.340, 30.465, 114.390, 30.505),
        ("华农社区", "狮城名居社区", "南湖山庄社区", "丽岛花园社区"),
    ),
    StreetSpec(
        "004",
        "张家湾街道",
        (114.300, 30.465, 114.340, 30.505),
        ("张家湾社区", "南湖花园社区", "松涛苑社区", "保利花园社区"),
    ),
    StreetSpec(
        "005",
        "梨园街道",
        (114.330, 30.545, 114.385, 30.595),
        ("梨园社区", "东湖社区", "磨山社区", "先锋社区"),
    ),
    StreetSpec(
        "006",
        "卓刀泉街道",
        (114.360, 30.505, 114.385, 30.545),
        ("卓刀泉社区", "虎泉社区", "杨家湾社区", "民族大道社区"),
    ),
    StreetSpec(
        "007",
        "洪山街道",
        (114.280, 30.505, 114.330, 30.545),
        ("书城路社区", "野芷湖社区", "文馨社区"),
    ),
    StreetSpec(
        "008",
        "和平街道",
        (114.385, 30.545, 114.430, 30.595),
        ("和平社区", "罗家港社区", "杨春湖社区", "建和社区"),
    ),
    StreetSpec(
        "009",
        "青菱街道",
        (114.260, 30.455, 114.300, 30.505),
        ("青菱社区", "红霞社区", "烽火社区", "涂家沟社区"),
    ),
    StreetSpec(
        "010",
        "九峰街道",
        (114.430, 30.465, 114.490, 30.545),
        ("九峰社区", "新竹社区", "石门峰社区", "马驿社区"),
    ),
    StreetSpec(
        "011",
        "花山街道",
        (114.430, 30.545, 114.470, 30.595),
        ("花山社区", "严西湖社区", "春和社区", "花城社区"),
    ),
    StreetSpec(
        "012",
        "左岭街道",
        (114.470, 30.545, 114.498, 30.595),
        ("左岭社区", "锦绣社区", "新城社区"),
    ),
)


def _rect(west: float, south: float, east: float, north: float) -> Ring:
    return ((west, south), (east, south), (east, north), (west, north), (west, south))


def _breakpoints(lo: float, hi: float, weights: Sequence[float]) -> list[float]:
    """Cut [lo, hi] into len(weights) parts; the ends are lo and hi themselves, not recomputed."""
    total = sum(weights)
    points = [lo]
    running = 0.0
    for w in weights[:-1]:
        running += w
        points.append(round(lo + (hi - lo) * running / total, _PRECISION))
    points.append(hi)
    return points


def _split_rect(
    bbox: tuple[float, float, float, float], weights: Sequence[float]
) -> list[tuple[float, float, float, float]]:
    """Cut a rectangle into strips across its longer side (measured in km, not degrees)."""
    west, south, east, north = bbox
    if (east - west) * _KM_PER_DEG_LNG >= (north - south) * _KM_PER_DEG_LAT:
        xs = _breakpoints(west, east, weights)
        return [(xs[i], south, xs[i + 1], north) for i in range(len(weights))]
    ys = _breakpoints(south, north, weights)
    # North first, so strip 1 is the northernmost as on a map read top-down.
    return [(west, ys[i], east, ys[i + 1]) for i in reversed(range(len(weights)))]


def _grid_shape(bbox: tuple[float, float, float, float], count: int) -> tuple[int, int]:
    """(columns, rows) with columns * rows == count whose cells are closest to square."""
    west, south, east, north = bbox
    width = (east - west) * _KM_PER_DEG_LNG
    height = (north - south) * _KM_PER_DEG_LAT
    best: tuple[float, int, int] | None = None
    for cols in range(1, count + 1):
        if count % cols:
            continue
        rows = count // cols
        cell_ratio = (width / cols) / (height / rows)
        badness = max(cell_ratio, 1 / cell_ratio)
        if best is None or badness < best[0]:
            best = (badness, cols, rows)
    assert best is not None
    return best[1], best[2]


def _grid_cells(
    bbox: tuple[float, float, float, float], count: int
) -> list[tuple[float, float, float, float]]:
    cols, rows = _grid_shape(bbox, count)
    west, south, east, north = bbox
    xs = _breakpoints(west, east, [1.0] * cols)
    ys = _breakpoints(south, north, [1.0] * rows)
    # Numbered row by row from the north-west corner, the way a paper grid map is read.
    return [
        (xs[c], ys[r], xs[c + 1], ys[r + 1]) for r in reversed(range(rows)) for c in range(cols)
    ]


def _union_ring(rings: Sequence[Ring]) -> Ring:
    merged = unary_union([Polygon(r) for r in rings])
    if not isinstance(merged, Polygon) or merged.interiors:
        raise ValueError("the street layout must form one polygon without holes")
    merged = orient(merged, sign=1.0)
    return tuple((float(x), float(y)) for x, y in merged.exterior.coords)


def build_geography() -> tuple[DemoOrg, ...]:
    """District, streets, communities and grids, parents before children."""
    streets: list[DemoOrg] = []
    communities: list[DemoOrg] = []
    grids: list[DemoOrg] = []
    for spec in STREETS:
        street_code = DISTRICT_CODE + spec.suffix
        streets.append(
            DemoOrg(
                street_code, spec.name, "street", DISTRICT_CODE, len(streets) + 1, _rect(*spec.bbox)
            )
        )
        weights = [
            _COMMUNITY_WEIGHTS[i % len(_COMMUNITY_WEIGHTS)] for i in range(len(spec.communities))
        ]
        for c_index, (name, c_box) in enumerate(
            zip(spec.communities, _split_rect(spec.bbox, weights), strict=True), start=1
        ):
            community_code = f"{street_code}{c_index:03d}"
            count = _GRIDS_PER_COMMUNITY[len(communities) % len(_GRIDS_PER_COMMUNITY)]
            communities.append(
                DemoOrg(
                    community_code,
                    name,
                    "community",
                    street_code,
                    len(communities) + 1,
                    _rect(*c_box),
                )
            )
            for g_index, g_box in enumerate(_grid_cells(c_box, count), start=1):
                grids.append(
                    DemoOrg(
                        f"{community_code}{g_index:03d}",
                        f"{name}第{g_index}网格",
                        "grid",
                        community_code,
                        len(grids) + 1,
                        _rect(*g_box),
                    )
                )
    district = DemoOrg(
        DISTRICT_CODE,
        DISTRICT_NAME,
        "district",
        None,
        1,
        _union_ring([s.boundary for s in streets if s.boundary is not None]),
    )
    return (district, *streets, *communities, *grids)
