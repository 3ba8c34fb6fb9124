"""One map (一张图): layers, bbox, nearby (nearest first, metres), admin edits, import/export."""

from __future__ import annotations

import json
import math
from typing import Any

from backend.mapping.demo import demo_features

POINT = {"type": "Point", "coordinates": [114.35, 30.52]}


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r, rad = 6_371_008.8, math.radians
    a = (
        math.sin(rad(lat2 - lat1) / 2) ** 2
        + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(rad(lng2 - lng1) / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(a))


def feature(name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, **props}}


async def test_layers_and_demo_features(api: Any) -> None:
    r = await api.get("grid001", "/map/layers")
    assert r.status_code == 200
    counts = {layer: 0 for layer in ("hazards", "supplies", "rescue_teams", "shelters")}
    for layer, *_ in demo_features():
        counts[layer] += 1
    assert r.json() == [
        {"code": "hazards", "name": "风险隐患", "feature_count": counts["hazards"]},
        {"code": "supplies", "name": "物资储备", "feature_count": counts["supplies"]},
        {"code": "rescue_teams", "name": "救援力量", "feature_count": counts["rescue_teams"]},
        {"code": "shelters", "name": "避难场所", "feature_count": counts["shelters"]},
    ]
    assert min(counts.values()) >= 5
    fc = (await api.get("grid001", "/map/layers/shelters/features")).json()
    assert fc["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "南湖公园避难场所" in names and len(names) == counts["shelters"]
    assert (await api.get("grid001", "/map/layers/nope/features")).status_code == 404
    assert (await api.client.get("/api/v1/map/layers")).status_code == 401


async def test_bbox_filters_by_shape_not_only_by_box(api: Any) -> None:
    # A diagonal line whose bounding box covers the query window but which misses it.
    line = {"type": "LineString", "coordinates": [[114.30, 30.40], [114.32, 30.42]]}
    r = await api.post("admin", "/map/layers/hazards/features", feature("斜向管线", line))
    assert r.status_code == 201, r.text
    line_id = r.json()["id"]
    inside = "114.309,30.409,114.311,30.411"  # on the line
    corner = "114.317,30.401,114.319,30.403"  # in the line's box, away from the line
    ids = [
        f["id"]
        for f in (await api.get("grid001", f"/map/layers/hazards/features?bbox={inside}")).json()[
            "features"
        ]
    ]
    assert ids == [line_id]
    got = (await api.get("grid001", f"/map/layers/hazards/features?bbox={corner}")).json()
    assert got == {"type": "FeatureCollection", "features": []}
    bad = await api.get("grid001", "/map/layers/hazards/features?bbox=1,2,3")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "bbox")


async def test_nearby_is_nearest_first_in_metres(api: Any) -> None:
    lat, lng = 30.40, 114.20  # west of the demo features, so only ours are near
    made = {}
    for name, dlng in (("三百米", 0.003), ("一百米", 0.001), ("两千米", 0.02)):
        geom = {"type": "Point", "coordinates": [lng + dlng, lat]}
        r = await api.post("admin", "/map/layers/supplies/features", feature(name, geom))
        made[name] = r.json()["id"]
    # A polygon containing the query point is 0 m away.
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [114.199, 30.399],
                [114.201, 30.399],
                [114.201, 30.401],
                [114.199, 30.401],
                [114.199, 30.399],
            ]
        ],
    }
    r = await api.post("admin", "/map/layers/shelters/features", feature("包含点的场所", square))
    assert r.status_code == 201
    r = await api.get("grid001", f"/map/nearby?lat={lat}&lng={lng}&radius_m=1000")
    assert r.status_code == 200
    got = [
        (f["properties"]["name"], f["properties"]["layer"], f["distance_m"])
        for f in r.json()["features"]
    ]
    assert [g[:2] for g in got] == [
        ("包含点的场所", "shelters"),
        ("一百米", "supplies"),
        ("三百米", "supplies"),
    ]
    assert got[0][2] == 0
    for (name, _, d), dlng in zip(got[1:], (0.001, 0.003), strict=True):
        assert abs(d - haversine_m(lat, lng, lat, lng + dlng)) < 0.5, name
    only = await api.get(
        "grid001", f"/map/nearby?lat={lat}&lng={lng}&radius_m=5000&layer=supplies&limit=2"
    )
    assert [f["id"] for f in only.json()["features"]] == [made["一百米"], made["三百米"]]
    assert (await api.get("grid001", f"/map/nearby?lat={lat}&lng={lng}&layer=x")).status_code == 404
    assert (await api.get("grid001", f"/map/nearby?lat=91&lng={lng}")).status_code == 400


async def test_admin_edits_and_geometry_validation(api: Any) -> None:
    body = feature("临时物资点", POINT, items="沙袋100条")
    assert (await api.post("district01", "/map/layers/supplies/features", body)).status_code == 403
    r = await api.post("admin", "/map/layers/supplies/features", body)
    assert r.status_code == 201
    created = r.json()
    assert created["properties"] == {
        "name": "临时物资点",
        "items": "沙袋100条",
        "layer": "supplies",
        "code": None,
    }
    assert created["geometry"] == POINT
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    for geometry in (
        bow_tie,
        {"type": "Point", "coordinates": [200, 30]},
        {"type": "LineString", "coordinates": [[114.3, 30.5]]},
        {"type": "MultiPoint", "coordinates": [[114.3, 30.5]]},
        {"type": "Point", "coordinates": "x"},
    ):
        r = await api.post("admin", "/map/layers/supplies/features", feature("坏", geometry))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (400, "geometry"), geometry
    no_name = {"type": "Feature", "geometry": POINT, "properties": {}}
    assert (await api.post("admin", "/map/layers/supplies/features", no_name)).status_code == 400

    path = f"/api/v1/map/layers/supplies/features/{created['id']}"
    headers = await api.headers("admin")
    moved = feature("临时物资点（迁）", {"type": "Point", "coordinates": [114.36, 30.51]})
    r = await api.client.put(path, json=moved, headers=headers)
    assert (r.status_code, r.json()["properties"]["name"]) == (200, "临时物资点（迁）")
    r = await api.client.put(path, json=feature("x", bow_tie), headers=headers)
    assert r.status_code == 400
    wrong_layer = path.replace("supplies", "hazards")
    assert (await api.client.put(wrong_layer, json=moved, headers=headers)).status_code == 404
    assert (
        await api.client.delete(path, headers=await api.headers("district01"))
    ).status_code == 403
    assert (await api.client.delete(path, headers=headers)).status_code == 204
    assert (await api.get("grid001", path.removeprefix("/api/v1"))).status_code == 404


async def _import(api: Any, layer: str, doc: Any, mode: str = "append") -> Any:
    data = json.dumps(doc, ensure_ascii=False).encode()
    return await api.client.post(
        f"/api/v1/map/layers/{layer}/import?mode={mode}",
        files={"file": ("layer.geojson", data, "application/geo+json")},
        headers=await api.headers("admin"),
    )


async def test_import_is_all_or_nothing_and_export_round_trips(api: Any) -> None:
    good = {
        "type": "FeatureCollection",
        "features": [
            {**feature("救援队甲", POINT, members=10), "id": "team-a"},
            {**feature("救援队乙", {"type": "Point", "coordinates": [114.36, 30.53]}), "id": 7},
        ],
    }
    before = {x["code"]: x["feature_count"] for x in (await api.get("admin", "/map/layers")).json()}
    r = await _import(api, "rescue_teams", good)
    assert r.json() == {"layer": "rescue_teams", "created": 2, "updated": 0, "deleted": 0}
    # Same ids again: updated in place, nothing duplicated.
    r = await _import(api, "rescue_teams", good)
    assert r.json() == {"layer": "rescue_teams", "created": 0, "updated": 2, "deleted": 0}

    bad = {
        "type": "FeatureCollection",
        "features": [
            feature("好的", POINT),
            feature("坏的", {"type": "Point", "coordinates": [114.3]}),
            {"type": "Feature", "geometry": POINT, "properties": {"name": "多字段"}, "extra": 1},
        ],
    }
    r = await _import(api, "rescue_teams", bad)
    assert r.status_code == 400
    assert [e["index"] for e in r.json()["errors"]] == [1, 2]
    assert (await _import(api, "rescue_teams", {"type": "Feature"})).status_code == 400

    after = {x["code"]: x["feature_count"] for x in (await api.get("admin", "/map/layers")).json()}
    assert after == {**before, "rescue_teams": before["rescue_teams"] + 2}

    r = await api.get("grid001", "/map/layers/rescue_teams/export")
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["content-disposition"] == 'attachment; filename="rescue_teams.geojson"'
    exported = r.json()
    assert len(exported["features"]) == after["rescue_teams"]
    # Replace with the export minus one feature: exactly that one is deleted.
    kept = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f["properties"]["code"],
                "geometry": f["geometry"],
                "properties": f["properties"],
            }
            for f in exported["features"]
            if f["properties"]["code"] != "team-a"
        ],
    }
    r = await _import(api, "rescue_teams", kept, mode="replace")
    assert r.json() == {
        "layer": "rescue_teams",
        "created": 0,
        "updated": after["rescue_teams"] - 1,
        "deleted": 1,
    }
    r = await api.client.post(
        "/api/v1/map/layers/rescue_teams/import",
        files={"file": ("x.geojson", b"{}", "application/geo+json")},
        headers=await api.headers("district01"),
    )
    assert r.status_code == 403
