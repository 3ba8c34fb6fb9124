"""One-map layers and features: reads by bbox and distance, admin writes, import/export.

Layers are a fixed list (the app ships a legend and an icon per layer); features are rows.
Every geometry goes through shapely before it is stored; its bounding box is stored next to
it so bbox and nearby queries filter in SQL and only refine the few candidates in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from shapely.geometry import box, shape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.common.geometry import GeometryError, circle_bbox, distance_m, parse_geometry
from backend.common.jsonbody import decode_json
from backend.db.models import MapFeature
from backend.errors import ProblemError
from schemas.mapping import FeatureIn, FeatureOut, LayerOut

__all__ = [
    "LAYERS",
    "MAX_FEATURES",
    "Checked",
    "GeometryError",
    "check_collection",
    "check_feature",
    "decode_collection",
    "feature_out",
    "features_in_bbox",
    "import_features",
    "layer_or_404",
    "layers",
    "nearby",
    "store",
]

LAYERS: dict[str, str] = {
    "hazards": "风险隐患",
    "supplies": "物资储备",
    "rescue_teams": "救援力量",
    "shelters": "避难场所",
}
# One answer never carries more than this; the map asks by bbox as it zooms in.
MAX_FEATURES = 5000
NAME_MAX = 200


@dataclass(frozen=True, slots=True)
class Checked:
    """A feature that passed validation, ready to store."""

    code: str | None
    name: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    bounds: tuple[float, float, float, float]


def layer_or_404(code: str) -> str:
    if code not in LAYERS:
        raise ProblemError(404, "not_found", f"no map layer {code!r}")
    return code


async def layers(session: AsyncSession) -> list[LayerOut]:
    counts = dict(
        (
            await session.execute(select(MapFeature.layer, func.count()).group_by(MapFeature.layer))
        ).all()
    )
    return [LayerOut(code=c, name=n, feature_count=counts.get(c, 0)) for c, n in LAYERS.items()]


def check_feature(feature: FeatureIn) -> Checked:
    """Raises GeometryError (geometry) or ValueError (properties) with a readable reason."""
    _geom, normal = parse_geometry(feature.geometry)
    props = dict(feature.properties)
    name = props.pop("name", None)
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX or "\x00" in name:
        raise ValueError(f"properties.name must be a text of 1-{NAME_MAX} characters")
    # Derived on the way out; a client echoing them back must not store stale copies.
    for derived in ("layer", "code", "distance_m"):
        props.pop(derived, None)
    return Checked(
        code=None if feature.id is None else str(feature.id),
        name=name.strip(),
        geometry=normal,
        properties=props,
        bounds=_geom.bounds,
    )


def store(row: MapFeature, checked: Checked, now: datetime) -> None:
    row.name = checked.name
    row.geometry = checked.geometry
    row.properties = checked.properties
    row.min_lng, row.min_lat, row.max_lng, row.max_lat = checked.bounds
    row.updated_at = now
    if checked.code is not None:
        row.code = checked.code


def feature_out(row: MapFeature, distance: float | None = None) -> FeatureOut:
    return FeatureOut(
        id=row.id,
        geometry=row.geometry,
        properties={**row.properties, "name": row.name, "layer": row.layer, "code": row.code},
        distance_m=None if distance is None else round(distance, 1),
    )


def _bbox_filter(q: Any, bbox: tuple[float, float, float, float]) -> Any:
    min_lng, min_lat, max_lng, max_lat = bbox
    return q.where(
        MapFeature.min_lng <= max_lng,
        MapFeature.max_lng >= min_lng,
        MapFeature.min_lat <= max_lat,
        MapFeature.max_lat >= min_lat,
    )


async def features_in_bbox(
    session: AsyncSession, layer: str, bbox: tuple[float, float, float, float] | None
) -> list[MapFeature]:
    q = select(MapFeature).where(MapFeature.layer == layer)
    if bbox is not None:
        q = _bbox_filter(q, bbox)
    q = q.order_by(MapFeature.created_at, MapFeature.id).limit(MAX_FEATURES)
    rows = list((await session.scalars(q)).all())
    if bbox is None:
        return rows
    # Bounding boxes overlap more often than shapes do (a diagonal road, an L-shaped park).
    window = box(*bbox)
    return [r for r in rows if shape(r.geometry).intersects(window)]


async def nearby(
    session: AsyncSession,
    lat: float,
    lng: float,
    radius_m: float,
    layer_codes: Sequence[str],
    limit: int,
) -> list[tuple[MapFeature, float]]:
    q = _bbox_filter(
        select(MapFeature).where(MapFeature.layer.in_(layer_codes)),
        circle_bbox(lat, lng, radius_m),
    )
    found = []
    for row in await session.scalars(q.limit(MAX_FEATURES)):
        d = distance_m(lat, lng, shape(row.geometry))
        if d <= radius_m:
            found.append((row, d))
    found.sort(key=lambda pair: (pair[1], pair[0].id))
    return found[:limit]


def decode_collection(data: bytes) -> list[Any]:
    """The ``features`` of a FeatureCollection document (still undecoded per feature)."""
    doc = decode_json(data)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ProblemError(400, "validation_failed", "the file must be a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise ProblemError(400, "validation_failed", "the FeatureCollection has no features")
    if len(features) > MAX_FEATURES:
        raise ProblemError(400, "validation_failed", f"at most {MAX_FEATURES} features per file")
    return features


def check_collection(features: list[Any]) -> list[Checked]:
    """Every feature checked; any failure is one 400 listing all of them (nothing stored)."""
    checked: list[Checked] = []
    errors: list[dict[str, Any]] = []
    codes: set[str] = set()
    for i, raw in enumerate(features):
        try:
            item = check_feature(msgspec.convert(raw, FeatureIn, strict=True))
        except (msgspec.ValidationError, ValueError) as exc:
            errors.append({"index": i, "message": str(exc)})
            continue
        if item.code is not None:
            if item.code in codes:
                errors.append({"index": i, "message": f"id {item.code!r} appears twice"})
            codes.add(item.code)
        checked.append(item)
    if errors:
        detail = "; ".join(f"feature {e['index']}: {e['message']}" for e in errors[:10])
        raise ProblemError(400, "validation_failed", detail, errors=errors)
    return checked


async def import_features(
    session: AsyncSession, layer: str, checked: list[Checked], replace: bool, now: datetime
) -> tuple[int, int, int]:
    """(created, updated, deleted). Features with an id update the feature of that id."""
    deleted = 0
    if replace:
        old = list(await session.scalars(select(MapFeature).where(MapFeature.layer == layer)))
        keep = {c.code for c in checked if c.code is not None}
        for row in old:
            if row.code is None or row.code not in keep:
                await session.delete(row)
                deleted += 1
    codes = [c.code for c in checked if c.code is not None]
    existing = {
        r.code: r
        for r in await session.scalars(
            select(MapFeature).where(MapFeature.layer == layer, MapFeature.code.in_(codes))
        )
    }
    created = updated = 0
    for item in checked:
        feature = existing.get(item.code) if item.code is not None else None
        if feature is None:
            feature = MapFeature(layer=layer, created_at=now)
            session.add(feature)
            created += 1
        else:
            updated += 1
        store(feature, item, now)
    await session.flush()
    return created, updated, deleted
