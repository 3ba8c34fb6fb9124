"""Reference data through HTTP: the org tree, grids with paging, locate, categories."""

from __future__ import annotations

from collections import Counter
from typing import Any

from shapely.geometry import Point, shape

from tests.integration.demo import demo, first_grid_of_street, grid_point, street_of_grid

ORG_KEYS = {"id", "code", "name", "type", "parent_id"}


def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.append(node)
        out.extend(walk(node["children"]))
    return out


async def test_org_tree_is_the_district_with_streets_communities_grids_departments(
    api: Any,
) -> None:
    r = await api.get("grid001", "/orgs")
    assert r.status_code == 200
    (root,) = r.json()
    d = demo()
    assert (root["code"], root["type"], root["parent_id"]) == (d.district.code, "district", None)
    assert set(root) == ORG_KEYS | {"children"}
    below = Counter(child["type"] for child in root["children"])
    assert below == {"street": len(d.streets), "department": len(d.departments)}
    nodes = walk([root])
    assert Counter(n["type"] for n in nodes) == Counter(o.type for o in d.orgs)
    assert len({n["id"] for n in nodes}) == len(d.orgs)
    # Every edge points at its real parent, and the shape nests the right types.
    by_id = {n["id"]: n for n in nodes}
    parent_type = {"street": "district", "department": "district", "community": "street"}
    parent_type["grid"] = "community"
    by_code = {o.code: o for o in d.orgs}
    for node in nodes:
        for child in node["children"]:
            assert child["parent_id"] == node["id"]
        if node["parent_id"] is not None:
            parent = by_id[node["parent_id"]]
            assert parent["type"] == parent_type[node["type"]]
            assert parent["code"] == by_code[node["code"]].parent_code
    grid001 = next(n for n in nodes if n["code"] == d.grids[0].code)
    assert grid001["name"] == d.grids[0].name
    assert grid001["children"] == []


async def page_through(api: Any, limit: int, **params: str) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = await api.get("grid001", "/grids", params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_grids_page_with_a_cursor(api: Any) -> None:
    total = len(demo().grids)
    pages = await page_through(api, 200)
    assert [len(p) for p in pages] == [200, total - 200]
    items = [g for page in pages for g in page]
    assert [g["code"] for g in items] == sorted(g.code for g in demo().grids)
    assert len({g["id"] for g in items}) == total
    first = items[0]
    assert set(first) == {"id", "code", "name", "community_id", "street_id", "boundary"}
    assert first["boundary"]["type"] == "Polygon"
    assert shape(first["boundary"]).contains(Point(grid_point(1)["lng"], grid_point(1)["lat"]))
    # Default page size is 50.
    r = await api.get("grid001", "/grids")
    assert len(r.json()["items"]) == 50
    assert r.json()["next_cursor"] is not None


async def test_grids_filtered_by_street(api: Any) -> None:
    located = await api.get("grid001", "/locate", params=grid_point(first_grid_of_street(2)))
    street_b = located.json()["street"]
    expected = sorted(
        g.code for i, g in enumerate(demo().grids, start=1) if street_of_grid(i) == street_b["code"]
    )
    assert len(expected) > 3
    pages = await page_through(api, 3, street_id=street_b["id"])
    assert [len(p) for p in pages][:-1] == [3] * (len(pages) - 1)
    items = [g for page in pages for g in page]
    assert [g["code"] for g in items] == expected
    assert {g["street_id"] for g in items} == {street_b["id"]}
    r = await api.get("grid001", "/grids", params={"street_id": "no-such-street"})
    assert r.json() == {"items": [], "next_cursor": None}


async def test_locate_a_point_in_grid001(api: Any) -> None:
    r = await api.get("grid001", "/locate", params=grid_point(1))
    assert r.status_code == 200
    body = r.json()
    d = demo()
    grid = d.grids[0]
    community = d.org(grid.parent_code)
    assert set(body) == {"grid", "community", "street"}
    for org in body.values():
        assert set(org) == ORG_KEYS
    assert (body["grid"]["code"], body["grid"]["type"]) == (grid.code, "grid")
    assert (body["community"]["code"], body["community"]["type"]) == (community.code, "community")
    assert (body["street"]["code"], body["street"]["type"]) == (street_of_grid(1), "street")
    assert body["grid"]["parent_id"] == body["community"]["id"]
    assert body["community"]["parent_id"] == body["street"]["id"]
    me = (await api.get("grid001", "/me")).json()
    assert body["grid"] == me["org"]


async def test_locate_outside_the_district(api: Any) -> None:
    beijing = {"lat": 39.9042, "lng": 116.4074}
    for point in (beijing, {"lat": 0, "lng": 0}, {"lat": -90, "lng": 180}):
        r = await api.get("grid001", "/locate", params=point)
        assert r.status_code == 422, point
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "out_of_district"


BAD_COORDINATES: list[tuple[dict[str, Any], str]] = [
    ({"lat": 91, "lng": 114.3}, "lat"),
    ({"lat": 30.5, "lng": -181}, "lng"),
    ({"lat": "north", "lng": 114.3}, "lat"),
    ({"lat": 30.5}, "lng"),
    ({"lng": 114.3}, "lat"),
    ({"lat": "nan", "lng": 114.3}, "lat"),
]


async def test_locate_bad_coordinates(api: Any) -> None:
    for params, field in BAD_COORDINATES:
        r = await api.get("grid001", "/locate", params=params)
        assert r.status_code == 400, params
        problem = r.json()
        assert problem["code"] == "validation_failed"
        assert [(e["field"], e["source"]) for e in problem["errors"]] == [(field, "query")]


async def test_categories(api: Any) -> None:
    r = await api.get("grid001", "/categories")
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) >= 40
    assert len(items) == len(demo().categories)
    assert len({c["code"] for c in items}) == len(items)
    for c in items:
        assert set(c) == {
            "code",
            "name",
            "group",
            "default_department",
            "sla",
            "photo_required",
            "duplicate_radius_m",
        }
        handle = c["sla"]["handle"]
        assert set(handle) == {"hours", "clock", "by_grade"}
        assert handle["clock"] in {"working", "natural"}
        assert set(handle["by_grade"]) == {"1", "2", "3", "4"}
        assert handle["hours"] == handle["by_grade"]["4"]
        assert c["duplicate_radius_m"] > 0
    by_code = {c["code"]: c for c in items}
    for expected in demo().categories:
        got = by_code[expected.code]
        assert got["name"] == expected.name
        assert got["group"] == expected.group
        assert got["sla"]["handle"]["clock"] == expected.clock
        assert [got["sla"]["handle"]["by_grade"][g] for g in "1234"] == list(expected.sla_hours)
        assert got["photo_required"] == expected.photo_required
        assert got["duplicate_radius_m"] == expected.duplicate_radius_m
        dept = got["default_department"]
        if expected.default_department is None:
            assert dept is None
        else:
            assert (dept["code"], dept["type"]) == (expected.default_department, "department")
    assert {c["sla"]["handle"]["clock"] for c in items} == {"working", "natural"}
