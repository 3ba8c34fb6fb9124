"""Input rules Litestar's document left out (backend/common/openapi_inputs), each found by
schemathesis sending a request the document allowed and the server refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.common.openapi_inputs import RFC3339_INSTANT


@pytest.fixture
async def doc(client: Any) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_a_zero_lower_bound_is_on_the_integer(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/api/v1/rooms/{room_id}/messages"]["get"]
    schema = next(p["schema"] for p in op["parameters"] if p["name"] == "before_seq")
    integer = next(b for b in schema["oneOf"] if b["type"] == "integer")
    assert integer["minimum"] == 0


def test_uploads_require_the_file_part(doc: dict[str, Any]) -> None:
    for path in ["/api/v1/media", "/api/v1/duty/rosters/import"]:
        body = doc["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
        assert body["schema"]["required"] == ["file"], path


def test_times_carry_the_pattern_the_server_accepts(doc: dict[str, Any]) -> None:
    occurred = doc["components"]["schemas"]["EventCreateIn"]["properties"]["occurred_at"]
    string = next(b for b in occurred["anyOf"] if b["type"] == "string")
    assert string["format"] == "date-time"
    assert string["pattern"] == RFC3339_INSTANT
    assert re.match(RFC3339_INSTANT, "2026-03-01T08:00:00+08:00")
    assert not re.match(RFC3339_INSTANT, "0001-01-01T00:00:00Z")  # before the database's range
    assert not re.match(RFC3339_INSTANT, "2026-13-01T00:00:00Z")
