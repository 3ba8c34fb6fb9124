"""Hostile bodies a fuzzer does not generate, sent to every operation that takes a body
(enumerated from the OpenAPI document, plus the two that read their body by hand): each
answers a 4xx problem document, never 500, and nothing is stored."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.rooms_helpers import make_room
from tests.integration.test_problems import (
    PROBLEM_KEYS,
    SOME_ID,
    an_event,
    assert_problem,
    valid_event,
)

DEEP = 100_000
# Bodies that are not JSON a careful client could mean, whatever the operation.
HOSTILE: dict[str, bytes] = {
    "array nested 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "object nested 100,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "value nested 3,000 deep": b'{"description":' + b"[" * 3000 + b"]" * 3000 + b"}",
    "NaN": b'{"grade": NaN}',
    "Infinity": b'{"grade": Infinity}',
    "-Infinity": b'{"lat": -Infinity}',
    "invalid UTF-8": b'{"description": "\xff\xfe"}',
    "lone surrogate": b'{"description": "\\ud800"}',
    "escaped NUL": b'{"description": "a\\u0000b", "title": "\\u0000"}',
    "raw NUL": b'{"description": "a\x00b"}',
    "byte-order mark": b'\xef\xbb\xbf{"description": "x"}',
    "number beyond double": b'{"grade": 1e400, "level": -1e400, "seq": 1e999}',
}
# Operations that read their body themselves and so are not in the OpenAPI document's
# request bodies (signed or form-encoded bodies).
BY_HAND = [("POST", "/api/v1/open311/v2/requests.json")]
ADMIN_PREFIXES = ("/api/v1/routing", "/api/v1/map", "/api/v1/open311/keys", "/api/v1/duty")


def is_problem(r: Any) -> bool:
    return r.headers.get("content-type") == "application/problem+json" and PROBLEM_KEYS <= set(
        r.json()
    )


def _json_operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    doc = app.openapi_schema.to_schema()
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = _resolve(doc, content["application/json"]["schema"])
                out.append((method.upper(), path, schema))
    return out


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


async def _fill(api: Any, path: str) -> str:
    event_id = await an_event(api)
    room_id = await make_room(api)
    values = {"event_id": event_id, "room_id": room_id, "code": "hazards", "seq": "1"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), SOME_ID), path)


def _caller(path: str) -> str:
    return "admin" if path.startswith(ADMIN_PREFIXES) else "district01"


async def _send(api: Any, method: str, path: str, raw: bytes, **headers: str) -> Any:
    h = await api.headers(_caller(path), **{"Content-Type": "application/json", **headers})
    return await api.client.request(method, path, content=raw, headers=h)


async def _event_count(api: Any) -> int:
    return len((await api.get("district01", "/events")).json()["items"])


def test_the_enumeration_sees_the_body_taking_operations(app: Any) -> None:
    ops = {(m, p) for m, p, _ in _json_operations(app)}
    assert ("POST", "/api/v1/events") in ops
    assert ("POST", "/api/v1/rooms/{room_id}/messages") in ops
    assert len(ops) >= 15, ops


async def test_hostile_bodies_are_4xx_problems_on_every_operation(api: Any, app: Any) -> None:
    targets = [(m, p) for m, p, _ in _json_operations(app)] + BY_HAND
    filled = {p: await _fill(api, p) for _, p in targets}
    before = await _event_count(api)
    failures = []
    for name, raw in HOSTILE.items():
        for method, path in targets:
            r = await _send(api, method, filled[path], raw)
            if not (400 <= r.status_code < 500 and is_problem(r)):
                failures.append(f"{name}: {method} {path} -> {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)
    assert await _event_count(api) == before


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_post_events_refuses_each_with_400(api: Any, name: str) -> None:
    r = await _send(api, "POST", "/api/v1/events", HOSTILE[name])
    assert_problem(r, 400, "validation_failed")


async def test_deep_nesting_with_an_idempotency_key_is_400_and_claims_nothing(api: Any) -> None:
    raw = b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"
    for _ in range(2):  # the same key again: still a plain 400, never a replay or 409
        r = await _send(api, "POST", "/api/v1/events", raw, **{"Idempotency-Key": "deep-1"})
        assert_problem(r, 400, "validation_failed")
        assert "nested deeper" in r.json()["detail"]
    key = {"Idempotency-Key": "deep-1"}
    r = await api.post("district01", "/events", valid_event(), headers=key)
    assert r.status_code == 201, r.text


async def test_out_of_range_numbers_and_huge_strings_on_every_operation(api: Any, app: Any) -> None:
    """Every top-level field of every body set to a number no field allows, then to a
    string far past any limit: a 4xx each time."""
    failures = []
    for method, path, schema in _json_operations(app):
        fields = list(schema.get("properties", {})) or ["x"]
        target = await _fill(api, path)
        for value in ("100000000000000000000000000000", '"' + "字" * 20_000 + '"'):
            raw = ("{" + ",".join(f'"{f}": {value}' for f in fields) + "}").encode()
            if schema.get("type") == "array":
                raw = b"[" + raw + b"]"
            r = await _send(api, method, target, raw)
            if not (400 <= r.status_code < 500 and is_problem(r)):
                failures.append(f"{method} {path} -> {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


async def test_strings_over_their_limit_name_the_field(api: Any) -> None:
    r = await api.post("grid001", "/events", valid_event(description="字" * 100_000))
    body = assert_problem(r, 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["description"]
    r = await api.post("grid001", "/events", valid_event(grade=2**64))
    body = assert_problem(r, 400, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["grade"]


async def test_duplicate_keys_the_last_one_wins(api: Any) -> None:
    raw = (
        b'{"category_code": "garbage_exposed", "description": "first", "description": "last",'
        b' "location": {"lat": 1, "lng": 1, "lat": %s, "lng": %s}}'
    )
    point = valid_event()["location"]
    raw = raw % (str(point["lat"]).encode(), str(point["lng"]).encode())
    h = await api.headers("grid001", **{"Content-Type": "application/json"})
    r = await api.client.post("/api/v1/events", content=raw, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["description"] == "last"


async def test_a_path_seq_out_of_range_is_400_not_500(api: Any) -> None:
    """Found by schemathesis: a seq past the column's range reached the database (500)."""
    room_id = await make_room(api)
    for seq in ("-562988720680865196330700505088", str(2**40), "0"):
        r = await api.get("district01", f"/rooms/{room_id}/messages/{seq}/acks")
        assert_problem(r, 400, "validation_failed")
        r = await api.post("district01", f"/rooms/{room_id}/messages/{seq}/ack", {"text": "收到"})
        assert_problem(r, 400, "validation_failed")
