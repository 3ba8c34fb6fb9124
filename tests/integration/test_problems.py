"""Error answers are problem documents: unknown fields, malformed and mistyped input, bad
paging, unknown paths, and 401 on every protected route (enumerated from the app, so a new
route is covered the day it is added). Bad input never answers 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from backend.common.pagination import encode_cursor
from tests.integration.demo import grid_point

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
SOME_ID = "00000000-0000-4000-8000-000000000000"

# What API.md lets through without a bearer token. A new public route must be added here on
# purpose; anything else must answer 401 without a token.
PUBLIC_ROUTES = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/media/{media_id:str}/{variant:str}"),  # the signature is the permission
}
PUBLIC_PREFIXES = (
    "/api/v1/health/",
    "/schema",  # the OpenAPI document and its viewers
    "/open311/",  # GeoReport v2: public GETs, POST authenticated by api_key
)


def assert_problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


def error_fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


def valid_event(**changes: Any) -> dict[str, Any]:
    return {
        "category_code": "garbage_exposed",
        "description": "路边垃圾",
        "location": {**grid_point(1), "address": "珞喻路"},
        **changes,
    }


async def an_event(api: Any) -> str:
    r = await api.post("grid001", "/events", valid_event())
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


# -- 401 everywhere a token is needed ----------------------------------------------------------


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(?::(\w+))?\}", lambda m: "1" if m.group(2) == "int" else SOME_ID, path)


def protected_routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue  # the WebSocket authenticates with its first frame (close 4001)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            if (method, route.path) in PUBLIC_ROUTES or route.path.startswith(PUBLIC_PREFIXES):
                continue
            out.append((method, route.path))
    return out


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic Z3JpZDAwMTpjaGVuZ3l1bi1kZW1v"]
)
async def test_every_protected_route_answers_401_without_a_valid_token(
    app: Any, client: Any, authorization: str | None
) -> None:
    routes = protected_routes(app)
    known = {("GET", "/api/v1/me"), ("POST", "/api/v1/events"), ("POST", "/api/v1/media")}
    assert known <= set(routes)
    headers = {"Authorization": authorization} if authorization else {}
    wrong = []
    for method, path in routes:
        r = await client.request(method, _fill(path), headers=headers)
        if (
            r.status_code != 401
            or r.headers.get("content-type") != "application/problem+json"
            or r.json().get("code") != "unauthenticated"
        ):
            wrong.append((method, path, r.status_code))
    assert wrong == []


async def test_public_routes_need_no_token(client: Any) -> None:
    assert (await client.get("/api/v1/health/live")).status_code == 200
    assert (await client.get("/schema/openapi.json")).status_code == 200
    r = await client.post("/api/v1/auth/login", json={"username": "grid001", "password": "x"})
    assert_problem(r, 401, "unauthenticated")  # answered by the login itself, not a guard


async def test_missing_query_parameter_without_a_token_is_401(client: Any) -> None:
    # Authentication comes before parameter parsing: a client with a stale token must be
    # told to log in again, not that its request was malformed.
    assert_problem(await client.get("/api/v1/locate"), 401, "unauthenticated")
    r = await client.get("/api/v1/grids", params={"limit": "x"})
    assert_problem(r, 401, "unauthenticated")


@pytest.mark.parametrize(
    "path", ["/api/v1/events", f"/api/v1/events/{SOME_ID}/actions", "/api/v1/auth/logout"]
)
async def test_malformed_body_without_a_token_is_401(client: Any, path: str) -> None:
    r = await client.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_problem(r, 401, "unauthenticated")


# -- request bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (valid_event(priority="high"), "priority"),
        (valid_event(location={**grid_point(1), "floor": 3}), "location.floor"),
        (valid_event(reporter_id=SOME_ID), "reporter_id"),
    ],
)
async def test_unknown_field_in_a_new_event_is_named(api: Any, body: Any, field: str) -> None:
    r = await api.post("grid001", "/events", body)
    problem = assert_problem(r, 400, "validation_failed")
    assert error_fields(problem) == [field]
    assert field.split(".")[-1] in problem["detail"]
    assert (await api.get("grid001", "/events")).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "comment", "note": "看一下", "status": "closed"}, "status"),
        ({"action": "supervise", "note": "快", "version": 3}, "version"),
        ({"action": "accept", "org_id": SOME_ID}, "org_id"),
    ],
)
async def test_unknown_field_in_an_action_is_named(api: Any, body: Any, field: str) -> None:
    event_id = await an_event(api)
    r = await api.post("street01a", f"/events/{event_id}/actions", body)
    problem = assert_problem(r, 400, "validation_failed")
    assert error_fields(problem) == [field]
    after = (await api.get("street01a", f"/events/{event_id}")).json()
    assert (after["status"], after["version"]) == ("reported", 1)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/events", {"description": "x", "location": grid_point(1)}, "category_code"),
        ("/events", valid_event(category_code=7), "category_code"),
        ("/events", valid_event(description=""), "description"),
        ("/events", valid_event(location={"lat": "north", "lng": 114.3}), "location.lat"),
        ("/events", valid_event(location={"lat": 95, "lng": 114.3}), "location.lat"),
        ("/events", valid_event(grade=5), "grade"),
        ("/events", valid_event(grade=1.5), "grade"),
        ("/events", valid_event(grade=True), "grade"),
        ("/events", valid_event(media_ids="abc"), "media_ids"),
        ("/events", valid_event(occurred_at="yesterday"), "occurred_at"),
        ("/events", valid_event(source="sms"), "source"),
        ("/events", ["not", "an", "object"], ""),
        ("/events/{id}/actions", {"action": "visit", "satisfaction": "five"}, "satisfaction"),
        ("/events/{id}/actions", {"action": "visit", "satisfaction": 6}, "satisfaction"),
        ("/events/{id}/actions", {"action": "fly"}, "action"),
        ("/events/{id}/actions", {"note": "no action"}, ""),
        ("/events/{id}/actions", {"action": "supervise", "expected_version": 0}, ""),
    ],
)
async def test_wrong_types_and_values_are_400(api: Any, path: str, body: Any, field: str) -> None:
    if "{id}" in path:
        path = path.replace("{id}", await an_event(api))
    r = await api.post("street01a", path, body)
    problem = assert_problem(r, 400, "validation_failed")
    if field:
        assert field in error_fields(problem)


@pytest.mark.parametrize(
    "body", [valid_event(grade="1"), valid_event(location={"lat": "30.54", "lng": "114.33"})]
)
async def test_numbers_as_strings_are_400(api: Any, body: Any) -> None:
    assert_problem(await api.post("grid001", "/events", body), 400, "validation_failed")


MALFORMED = [b"{not json", b"", b'{"a": 1', '{"note": "\xff"}'.encode("latin-1"), b"\x00"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/events"),
        ("POST", "/api/v1/events/{id}/actions"),
        ("PUT", "/api/v1/me/preferences"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
    ],
)
async def test_malformed_json_is_400(api: Any, method: str, path: str) -> None:
    if "{id}" in path:
        path = path.replace("{id}", await an_event(api))
    headers = await api.headers("street01a", **{"Content-Type": "application/json"})
    for raw in MALFORMED:  # one database for all five: they must all leave it untouched
        r = await api.client.request(method, path, content=raw, headers=headers)
        assert_problem(r, 400, "validation_failed")


# -- paging ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/events", "/grids"])
async def test_invalid_limit_is_400(api: Any, path: str) -> None:
    for limit in ("0", "201", "x", "-1", "1.5", ""):
        r = await api.get("street01a", path, params={"limit": limit})
        problem = assert_problem(r, 400, "validation_failed")
        assert [(e["field"], e["source"]) for e in problem["errors"]] == [("limit", "query")]


async def test_limit_bounds_are_accepted(api: Any) -> None:
    for limit in ("1", "200"):
        for path in ("/events", "/grids"):
            assert (await api.get("street01a", path, params={"limit": limit})).status_code == 200


BAD_CURSORS = {
    "not base64": "!!!",
    "not json": "bm90IGpzb24",
    "json list": encode_cursor([1]),  # type: ignore[arg-type]
    "missing keys": encode_cursor({"x": 1}),
    "too long": "A" * 513,
}


@pytest.mark.parametrize("path", ["/events", "/grids"])
async def test_bad_cursor_is_400(api: Any, path: str) -> None:
    for what, cursor in BAD_CURSORS.items():
        r = await api.get("street01a", path, params={"cursor": cursor})
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == ["cursor"], what


async def test_grid_cursor_with_a_foreign_value_is_400(api: Any) -> None:
    for code in (5, ["a"], {"a": 1}, True):
        r = await api.get("grid001", "/grids", params={"cursor": encode_cursor({"code": code})})
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == ["cursor"], code


async def test_malformed_street_id_on_grids_is_400(api: Any) -> None:
    for street_id in ("\x00", "a b", "x" * 65, "'; drop table orgs; --"):
        r = await api.get("grid001", "/grids", params={"street_id": street_id})
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == ["street_id"], street_id


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": encode_cursor({"t": "2026-01-01T00:00:00", "id": SOME_ID})},
        {"cursor": encode_cursor({"t": "9999-12-31T23:59:59-23:00", "id": SOME_ID})},
        {"since": "0001-01-01T00:00:00+14:00"},
    ],
    ids=["naive-t", "overflowing-t", "since-before-year-1-utc"],
)
async def test_events_list_with_out_of_range_times_is_400(api: Any, params: Any) -> None:
    r = await api.get("street01a", "/events", params=params)
    assert_problem(r, 400, "validation_failed")


async def test_event_with_out_of_range_occurred_at_is_400(api: Any) -> None:
    r = await api.post("grid001", "/events", valid_event(occurred_at="0001-01-01T00:00:00+14:00"))
    assert_problem(r, 400, "validation_failed")


@pytest.mark.parametrize("where", ["description", "q"])
async def test_nul_byte_in_text_is_400(api: Any, where: str) -> None:
    if where == "description":
        r = await api.post("grid001", "/events", valid_event(description="垃圾\x00"))
    else:
        r = await api.get("grid001", "/events", params={"q": "垃圾\x00"})
    assert_problem(r, 400, "validation_failed")


# -- unknown paths and methods -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/nope", "/api/v2/events", "/api/v1/events/x/y/z"]
)
async def test_unknown_path_is_a_404_problem(api: Any, path: str) -> None:
    r = await api.client.get(path, headers=await api.headers("grid001"))
    assert_problem(r, 404, "not_found")
    assert_problem(await api.client.get(path), 404, "not_found")


async def test_missing_event_is_a_404_problem(api: Any) -> None:
    assert_problem(await api.get("district01", f"/events/{SOME_ID}"), 404, "not_found")
    assert_problem(await api.get("district01", "/events/" + "x" * 300), 404, "not_found")


async def test_wrong_method_is_a_405_problem(api: Any) -> None:
    r = await api.client.delete("/api/v1/events", headers=await api.headers("grid001"))
    assert_problem(r, 405, "method_not_allowed")
