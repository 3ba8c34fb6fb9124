"""Demo features for the one map, placed inside the demo 洪山区 grids (idempotent by code)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import LineString, Point, mapping
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.common.geometry import parse_geometry
from backend.db.base import utcnow
from backend.db.models import MapFeature
from backend.orgs.demo_data import build_demo_district

__all__ = ["DEMO_FEATURES", "demo_features", "seed_map_features"]

# (layer, name, grid number the feature sits in, properties, shape: point|square|line)
DEMO_FEATURES: tuple[tuple[str, str, int, dict[str, Any], str], ...] = (
    (
        "hazards",
        "珞喻路地下通道易涝点",
        3,
        {"kind": "内涝", "level": "较大", "owner": "区水务和湖泊局"},
        "point",
    ),
    (
        "hazards",
        "关山大道燃气管线施工段",
        25,
        {"kind": "燃气", "level": "一般", "owner": "区住建局"},
        "line",
    ),
    (
        "hazards",
        "南湖老旧小区高空坠物隐患",
        48,
        {"kind": "高空坠物", "level": "一般", "owner": "街道办"},
        "point",
    ),
    (
        "hazards",
        "狮子山边坡地质灾害点",
        70,
        {"kind": "地质灾害", "level": "重大", "owner": "区自然资源局"},
        "square",
    ),
    (
        "hazards",
        "光谷广场人员密集场所",
        96,
        {"kind": "人员密集", "level": "较大", "owner": "区应急管理局"},
        "point",
    ),
    (
        "hazards",
        "青菱工业园危化品仓库",
        130,
        {"kind": "危化品", "level": "重大", "owner": "区应急管理局"},
        "point",
    ),
    (
        "supplies",
        "洪山区应急物资储备库",
        5,
        {"items": "帐篷200顶、折叠床500张", "contact": "027-87654321"},
        "point",
    ),
    (
        "supplies",
        "珞南街道防汛物资仓库",
        12,
        {"items": "沙袋5000条、抽水泵12台", "contact": "027-87000001"},
        "point",
    ),
    (
        "supplies",
        "关山街道应急物资点",
        30,
        {"items": "救生衣300件、应急灯100盏", "contact": "027-87000002"},
        "point",
    ),
    (
        "supplies",
        "张家湾街道防汛物资点",
        110,
        {"items": "沙袋3000条、雨衣200件", "contact": "027-87000003"},
        "point",
    ),
    (
        "supplies",
        "和平街道救灾物资仓库",
        160,
        {"items": "饮用水2000箱、方便食品1500箱", "contact": "027-87000004"},
        "point",
    ),
    ("rescue_teams", "洪山区消防救援大队", 8, {"members": 85, "speciality": "综合救援"}, "point"),
    ("rescue_teams", "区防汛抢险突击队", 40, {"members": 60, "speciality": "防汛抢险"}, "point"),
    ("rescue_teams", "光谷蓝天救援队", 90, {"members": 45, "speciality": "山地水域救援"}, "point"),
    ("rescue_teams", "区城管应急处置分队", 120, {"members": 30, "speciality": "市政抢修"}, "point"),
    ("rescue_teams", "洪山区医疗急救站", 200, {"members": 25, "speciality": "医疗救护"}, "point"),
    ("shelters", "洪山广场应急避难场所", 2, {"capacity": 5000, "level": "Ⅱ类"}, "square"),
    ("shelters", "南湖公园避难场所", 50, {"capacity": 8000, "level": "Ⅰ类"}, "square"),
    ("shelters", "华中科技大学体育场避难点", 100, {"capacity": 6000, "level": "Ⅱ类"}, "square"),
    ("shelters", "青菱中学操场避难点", 140, {"capacity": 1500, "level": "Ⅲ类"}, "point"),
    ("shelters", "东湖风景区磨山避难场所", 220, {"capacity": 10000, "level": "Ⅰ类"}, "square"),
)


def demo_features() -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """(layer, code, name, geometry, properties) for every demo feature."""
    grids = build_demo_district().grids
    out = []
    for seq, (layer, name, grid_no, props, kind) in enumerate(DEMO_FEATURES, start=1):
        grid = grids[(grid_no - 1) % len(grids)].polygon()
        if grid is None:
            continue
        at = grid.representative_point()
        if kind == "square":  # about 100 m across, well inside a grid
            geom = at.buffer(0.0005, cap_style="square")
        elif kind == "line":
            geom = LineString([(at.x - 0.0008, at.y), (at.x + 0.0008, at.y)])
        else:
            geom = Point(at.x, at.y)
        # Six decimals is about 0.1 m: enough, and no float noise in the JSON.
        geom = shapely.set_precision(geom, 1e-6)
        _shape, normal = parse_geometry(dict(mapping(geom)))
        out.append((layer, f"demo-{layer}-{seq:02d}", name, normal, props))
    return out


async def seed_map_features(session: AsyncSession) -> int:
    """Add the demo features that are missing; returns how many were added."""
    have = set(
        (
            await session.execute(select(MapFeature.code).where(MapFeature.code.like("demo-%")))
        ).scalars()
    )
    added = 0
    now = utcnow()
    for layer, code, name, geometry, props in demo_features():
        if code in have:
            continue
        shape, _ = parse_geometry(geometry)
        min_lng, min_lat, max_lng, max_lat = shape.bounds
        session.add(
            MapFeature(
                layer=layer,
                code=code,
                name=name,
                geometry=geometry,
                properties=dict(props),
                min_lng=min_lng,
                min_lat=min_lat,
                max_lng=max_lng,
                max_lat=max_lat,
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    await session.flush()
    return added
