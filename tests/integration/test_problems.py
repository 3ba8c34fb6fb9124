"""Error answers are problem documents: unknown fields, malformed and mistyped input, bad
paging, unknown paths, and 401 on every protected route (enumerated from the app, so a new
route is covered the day it is added). Bad input never answers 500."""

from __future__ import annotations

import re
from typing import Any

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
    ("POST", "/api/v1/city/cases"),  # the city platform's HMAC signature, no bearer
    ("GET", "/metrics"),  # Prometheus scrapes it; refused from public addresses instead
}
PUBLIC_PREFIXES = (
    "/api/v1/health/",
    "/schema",  # the OpenAPI document and its viewers
    "/open311/",  # GeoReport v2: public GETs, POST authenticated by api_key
    "/app",  # the H5 pages' static build: the pages log in through the API
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


async def test_every_protected_route_answers_401_without_a_valid_token(
    app: Any, client: Any
) -> None:
    routes = protected_routes(app)
    known = {("GET", "/api/v1/me"), ("POST", "/api/v1/events"), ("POST", "/api/v1/media")}
    assert known <= set(routes)
    wrong = []
    for authorization in (None, "Bearer not-a-token", "Basic Z3JpZDAwMTpjaGVuZ3l1bi1kZW1v"):
        headers = {"Authorization": authorization} if authorization else {}
        for method, path in routes:
            r = await client.request(method, _fill(path), headers=headers)
            if (
                r.status_code != 401
                or r.headers.get("content-type") != "application/problem+json"
                or r.json().get("code") != "unauthenticated"
            ):
                wrong.append((authorization, method, path, r.status_code))
    assert wrong == []


async def test_public_routes_need_no_token(client: Any) -> None:
    assert (await client.get("/api/v1/health/live")).status_code == 200
    assert (await client.get("/schema/openapi.json")).status_code == 200
    r = await client.post("/api/v1/auth/login", json={"username": "grid001", "password": "x"})
    assert_problem(r, 401, "unauthenticated")  # answered by the login itself, not a guard


async def test_token_is_checked_before_parameters_and_body(client: Any) -> None:
    # A client with a stale token must be told to log in again, not that its request was
    # malformed: authentication comes before parameters and the body are read.
    assert_problem(await client.get("/api/v1/locate"), 401, "unauthenticated")
    r = await client.get("/api/v1/grids", params={"limit": "x"})
    assert_problem(r, 401, "unauthenticated")
    for path in ("/api/v1/events", f"/api/v1/events/{SOME_ID}/actions", "/api/v1/auth/logout"):
        r = await client.post(
            path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert_problem(r, 401, "unauthenticated")


# -- request bodies ----------------------------------------------------------------------------


async def test_unknown_field_is_named_and_nothing_changes(api: Any) -> None:
    for body, field in [
        (valid_event(priority="high"), "priority"),
        (valid_event(location={**grid_point(1), "floor": 3}), "location.floor"),
        (valid_event(reporter_id=SOME_ID), "reporter_id"),
    ]:
        problem = assert_problem(
            await api.post("grid001", "/events", body), 400, "validation_failed"
        )
        assert error_fields(problem) == [field]
        assert field.split(".")[-1] in problem["detail"]
    assert (await api.get("grid001", "/events")).json()["items"] == []

    event_id = await an_event(api)
    for body, field in [
        ({"action": "comment", "note": "看一下", "status": "closed"}, "status"),
        ({"action": "supervise", "note": "快", "version": 3}, "version"),
        ({"action": "accept", "org_id": SOME_ID}, "org_id"),
    ]:
        r = await api.post("street01a", f"/events/{event_id}/actions", body)
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == [field]
    after = (await api.get("street01a", f"/events/{event_id}")).json()
    assert (after["status"], after["version"], len(after["timeline"])) == ("reported", 1, 1)


BAD_EVENTS: list[tuple[Any, str]] = [
    ({"description": "x", "location": grid_point(1)}, "category_code"),
    (valid_event(category_code=7), "category_code"),
    (valid_event(description=""), "description"),
    (valid_event(description="垃圾\x00"), "description"),
    (valid_event(location={"lat": "north", "lng": 114.3}), "location.lat"),
    (valid_event(location={"lat": 95, "lng": 114.3}), "location.lat"),
    (valid_event(location={"lat": "30.54", "lng": "114.33"}), "location.lat"),
    (valid_event(grade=5), "grade"),
    (valid_event(grade=1.5), "grade"),
    (valid_event(grade=True), "grade"),
    (valid_event(grade="1"), "grade"),
    (valid_event(media_ids="abc"), "media_ids"),
    (valid_event(occurred_at="yesterday"), "occurred_at"),
    (valid_event(occurred_at="0001-01-01T00:00:00+14:00"), "occurred_at"),
    (valid_event(source="sms"), "source"),
    (["not", "an", "object"], ""),
]
BAD_ACTIONS: list[tuple[Any, str]] = [
    ({"action": "visit", "satisfaction": "five"}, "satisfaction"),
    ({"action": "visit", "satisfaction": 6}, "satisfaction"),
    ({"action": "fly"}, "action"),
    ({"note": "no action"}, ""),
    ({"action": "supervise", "expected_version": 0}, ""),
    ({"action": "comment", "note": "\x00"}, "note"),
]


async def test_wrong_types_and_values_are_400(api: Any) -> None:
    for body, field in BAD_EVENTS:
        problem = assert_problem(
            await api.post("grid001", "/events", body), 400, "validation_failed"
        )
        if field:
            assert field in error_fields(problem), body
    assert (await api.get("grid001", "/events")).json()["items"] == []
    event_id = await an_event(api)
    for body, field in BAD_ACTIONS:
        r = await api.post("street01a", f"/events/{event_id}/actions", body)
        problem = assert_problem(r, 400, "validation_failed")
        if field:
            assert field in error_fields(problem), body
    assert (await api.get("street01a", f"/events/{event_id}")).json()["version"] == 1


MALFORMED = [b"{not json", b"", b'{"a": 1', '{"note": "\xff"}'.encode("latin-1"), b"\x00"]


async def test_malformed_json_is_400(api: Any) -> None:
    event_id = await an_event(api)
    headers = await api.headers("street01a", **{"Content-Type": "application/json"})
    for method, path in [
        ("POST", "/api/v1/events"),
        ("POST", f"/api/v1/events/{event_id}/actions"),
        ("PUT", "/api/v1/me/preferences"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
    ]:
        for raw in MALFORMED:
            r = await api.client.request(method, path, content=raw, headers=headers)
            assert_problem(r, 400, "validation_failed")
    assert len((await api.get("street01a", "/events")).json()["items"]) == 1


# -- query strings and paging ------------------------------------------------------------------


async def test_invalid_limit_is_400_and_the_bounds_are_not(api: Any) -> None:
    for path in ("/events", "/grids"):
        for limit in ("0", "201", "x", "-1", "1.5", ""):
            r = await api.get("street01a", path, params={"limit": limit})
            problem = assert_problem(r, 400, "validation_failed")
            assert [(e["field"], e["source"]) for e in problem["errors"]] == [("limit", "query")]
        for limit in ("1", "200"):
            assert (await api.get("street01a", path, params={"limit": limit})).status_code == 200


BAD_CURSORS = {
    "not base64": "!!!",
    "not json": "bm90IGpzb24",
    "json list": encode_cursor([1]),  # type: ignore[arg-type]
    "missing keys": encode_cursor({"x": 1}),
    "too long": "A" * 513,
}


async def test_bad_cursor_is_400(api: Any) -> None:
    for path in ("/events", "/grids"):
        for what, cursor in BAD_CURSORS.items():
            r = await api.get("street01a", path, params={"cursor": cursor})
            problem = assert_problem(r, 400, "validation_failed")
            assert error_fields(problem) == ["cursor"], (path, what)
    # Decodable, but not what this server writes into its cursors.
    for code in (5, ["a"], {"a": 1}, True):
        r = await api.get("grid001", "/grids", params={"cursor": encode_cursor({"code": code})})
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == ["cursor"], code
    for t in ("2026-01-01T00:00:00", "9999-12-31T23:59:59-23:00", "soon"):
        cursor = encode_cursor({"t": t, "id": SOME_ID})
        r = await api.get("street01a", "/events", params={"cursor": cursor})
        assert_problem(r, 400, "validation_failed")
    cursor = encode_cursor({"t": "2026-01-01T00:00:00+00:00", "id": 5})
    assert_problem(
        await api.get("street01a", "/events", params={"cursor": cursor}), 400, "validation_failed"
    )


async def test_events_cursor_time_that_is_not_a_string_is_400(api: Any) -> None:
    for t in (None, 5, [1], {"a": 1}, True):
        cursor = encode_cursor({"t": t, "id": SOME_ID})
        r = await api.get("street01a", "/events", params={"cursor": cursor})
        assert_problem(r, 400, "validation_failed")


async def test_bad_filters_are_400(api: Any) -> None:
    for street_id in ("\x00", "a b", "x" * 65, "'; drop table orgs; --"):
        r = await api.get("grid001", "/grids", params={"street_id": street_id})
        problem = assert_problem(r, 400, "validation_failed")
        assert error_fields(problem) == ["street_id"], street_id
    for params in (
        {"since": "0001-01-01T00:00:00+14:00"},
        {"since": "2026-01-01T00:00:00"},
        {"since": "yesterday"},
        {"q": "垃圾\x00"},
        {"bbox": "1,2,3"},
        {"bbox": "114.4,30.6,114.3,30.5"},
        {"sla_state": "late"},
    ):
        r = await api.get("street01a", "/events", params=params)
        assert_problem(r, 400, "validation_failed")


# -- unknown paths and methods -----------------------------------------------------------------


async def test_unknown_path_is_a_404_problem(api: Any) -> None:
    headers = await api.headers("grid001")
    for path in ("/api/v1/no-such-thing", "/nope", "/api/v2/events", "/api/v1/events/x/y/z"):
        assert_problem(await api.client.get(path, headers=headers), 404, "not_found")
        assert_problem(await api.client.get(path), 404, "not_found")


async def test_missing_event_is_a_404_problem(api: Any) -> None:
    assert_problem(await api.get("district01", f"/events/{SOME_ID}"), 404, "not_found")
    assert_problem(await api.get("district01", "/events/" + "x" * 300), 404, "not_found")


async def test_wrong_method_is_a_405_problem(api: Any) -> None:
    r = await api.client.delete("/api/v1/events", headers=await api.headers("grid001"))
    assert_problem(r, 405, "method_not_allowed")
