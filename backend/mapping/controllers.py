"""HTTP: the one map's layers, features by bbox and by distance, admin edits, import/export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter
from sqlalchemy import select

from backend.auth.principal import Principal
from backend.common.geometry import parse_bbox
from backend.db.models import MapFeature
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.mapping.service import (
    LAYERS,
    Checked,
    check_collection,
    check_feature,
    decode_collection,
    feature_out,
    features_in_bbox,
    import_features,
    layer_or_404,
    layers,
    nearby,
    store,
)
from backend.parts import ContextDep
from schemas.mapping import FeatureCollectionOut, FeatureIn, FeatureOut, LayerOut

__all__ = ["MapController"]

IMPORT_BODY_LIMIT = 10 * 1024 * 1024


class ImportOut(msgspec.Struct, kw_only=True):
    layer: str
    created: int
    updated: int
    deleted: int


def _admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise ProblemError(403, "forbidden", "only admins edit map layers")


def _checked(feature: FeatureIn) -> Checked:
    try:
        return check_feature(feature)
    except ValueError as exc:  # GeometryError is a ValueError
        field = "properties.name" if "properties.name" in str(exc) else "geometry"
        raise ProblemError(
            400,
            "validation_failed",
            str(exc),
            errors=[{"field": field, "message": str(exc), "source": "body"}],
        ) from exc


async def _feature(db: DB, code: str, feature_id: str) -> MapFeature:
    row = await db.get(MapFeature, feature_id)
    if row is None or row.layer != code:
        raise ProblemError(404, "not_found", "no such feature in this layer")
    return row


class MapController(Controller):
    path = "/map"
    tags = ["map"]

    @get("/layers")
    async def list_layers(self, db: DB, principal: Caller) -> list[LayerOut]:
        return await layers(db)

    @get("/layers/{code:str}/features")
    async def features(
        self,
        db: DB,
        principal: Caller,
        code: FromPath[str],
        bbox: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> FeatureCollectionOut:
        rows = await features_in_bbox(db, layer_or_404(code), parse_bbox(bbox))
        return FeatureCollectionOut(features=[feature_out(r) for r in rows])

    @get("/layers/{code:str}/features/{feature_id:str}")
    async def read_feature(
        self, db: DB, principal: Caller, code: FromPath[str], feature_id: FromPath[str]
    ) -> FeatureOut:
        return feature_out(await _feature(db, layer_or_404(code), feature_id))

    @post("/layers/{code:str}/features", status_code=201)
    async def create_feature(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        code: FromPath[str],
        data: JSONBody[FeatureIn],
    ) -> FeatureOut:
        _admin(principal)
        layer = layer_or_404(code)
        checked = _checked(data)
        if checked.code is not None:
            taken = await db.scalar(
                select(MapFeature.id).where(
                    MapFeature.layer == layer, MapFeature.code == checked.code
                )
            )
            if taken:
                raise ProblemError(409, "conflict", f"feature id {checked.code!r} exists: PUT it")
        now = ctx.now()
        row = MapFeature(layer=layer, created_at=now)
        store(row, checked, now)
        db.add(row)
        await db.flush()
        return feature_out(row)

    @put("/layers/{code:str}/features/{feature_id:str}")
    async def replace_feature(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        code: FromPath[str],
        feature_id: FromPath[str],
        data: JSONBody[FeatureIn],
    ) -> FeatureOut:
        _admin(principal)
        row = await _feature(db, layer_or_404(code), feature_id)
        checked = _checked(data)
        # The path names the feature; a body "id" would rename its source key: refuse that.
        if checked.code is not None and checked.code != row.code:
            raise ProblemError(409, "conflict", "the body's id differs from the feature's")
        store(row, checked, ctx.now())
        await db.flush()
        return feature_out(row)

    @delete("/layers/{code:str}/features/{feature_id:str}", status_code=204)
    async def delete_feature(
        self, db: DB, principal: Caller, code: FromPath[str], feature_id: FromPath[str]
    ) -> None:
        _admin(principal)
        await db.delete(await _feature(db, layer_or_404(code), feature_id))

    @post("/layers/{code:str}/import", status_code=200, request_max_body_size=IMPORT_BODY_LIMIT)
    async def import_layer(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        code: FromPath[str],
        data: MultipartBody[dict[str, Any]],
        mode: Annotated[Literal["append", "replace"], QueryParameter()] = "append",
    ) -> ImportOut:
        _admin(principal)
        layer = layer_or_404(code)
        file = data.get("file")
        if not isinstance(file, UploadFile):
            raise ProblemError(
                400,
                "validation_failed",
                "send one multipart part named 'file' (a GeoJSON FeatureCollection)",
                errors=[{"field": "file", "message": "missing", "source": "body"}],
            )
        content = await file.read()
        await file.close()
        checked = check_collection(decode_collection(content))
        created, updated, deleted = await import_features(
            db, layer, checked, mode == "replace", ctx.now()
        )
        return ImportOut(layer=layer, created=created, updated=updated, deleted=deleted)

    @get("/layers/{code:str}/export")
    async def export_layer(self, db: DB, principal: Caller, code: FromPath[str]) -> Response[bytes]:
        layer = layer_or_404(code)
        rows = await features_in_bbox(db, layer, None)
        body = msgspec.json.encode(FeatureCollectionOut(features=[feature_out(r) for r in rows]))
        return Response(
            content=body,
            media_type="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{layer}.geojson"'},
        )

    @get("/nearby")
    async def nearby_features(
        self,
        db: DB,
        principal: Caller,
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lng: Annotated[float, QueryParameter(ge=-180, le=180)],
        radius_m: Annotated[float, QueryParameter(gt=0, le=50_000)] = 1000,
        layer: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> FeatureCollectionOut:
        codes = [c.strip() for c in (layer or "").split(",") if c.strip()] or list(LAYERS)
        for c in codes:
            layer_or_404(c)
        found = await nearby(db, lat, lng, radius_m, codes, limit)
        return FeatureCollectionOut(features=[feature_out(r, d) for r, d in found])
