"""The AsyncAPI 3.0 document of the WebSocket: served, complete, and consistent.

It is generated from the frame types, so these tests fail when a frame type, a close code
or an error code exists that the document lacks."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import jsonschema
import msgspec

import schemas.rooms
from backend.rooms import connection
from backend.rooms.asyncapi import CLOSE_CODES, ERROR_CODES, asyncapi_document

ROOMS_DIR = Path(connection.__file__).parent


def _frame_classes() -> list[type]:
    """Every Struct in schemas/rooms.py tagged by ``op``, in a union or not."""
    out = []
    for _, cls in inspect.getmembers(schemas.rooms, inspect.isclass):
        config = getattr(cls, "__struct_config__", None)
        if config is not None and config.tag_field == "op" and not cls.__name__.startswith("_"):
            out.append(cls)
    return out


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


async def test_the_document_is_served(client: Any) -> None:
    r = await client.get("/schema/asyncapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["channels"]["rooms"]["address"] == "/api/v1/ws"


def test_every_frame_type_is_a_message_with_its_schema() -> None:
    doc = asyncapi_document()
    payloads = {
        m["payload"]["$ref"].rsplit("/", 1)[1] for m in doc["components"]["messages"].values()
    }
    missing = [cls.__name__ for cls in _frame_classes() if cls.__name__ not in payloads]
    assert not missing, f"frame types the AsyncAPI document lacks: {missing}"
    assert len(payloads) >= 20


def test_every_ref_resolves_and_operations_point_at_the_channel() -> None:
    doc = asyncapi_document()
    for ref in _refs(doc):
        assert ref.startswith("#/"), ref
        _resolve(doc, ref)
    actions = {op["action"] for op in doc["operations"].values()}
    assert actions == {"send", "receive"}
    for op in doc["operations"].values():
        assert op["channel"] == {"$ref": "#/channels/rooms"}


def test_payload_schemas_are_valid_and_match_what_the_server_encodes() -> None:
    doc = asyncapi_document()
    registry = {"components": doc["components"]}
    samples = [
        schemas.rooms.ErrorFrame(code="bad_frame", detail="x"),
        schemas.rooms.ErrorFrame(code="not_found", detail="x", ref="room-1"),
        schemas.rooms.PresenceFrame(room_id="r", online=["u"], online_count=1),
        schemas.rooms.ServerPongFrame(),
        schemas.rooms.SubscribedFrame(room_id="r", last_seq=3, recovered=True),
    ]
    for sample in samples:
        schema = {**registry, "$ref": f"#/components/schemas/{type(sample).__name__}"}
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(msgspec.to_builtins(sample), schema)
    bad = {**registry, "$ref": "#/components/schemas/SubscribeFrame"}
    try:
        jsonschema.validate({"op": "subscribe", "room_id": "r", "colour": 1}, bad)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("unknown fields in client frames must be refused by the schema")


def test_every_close_code_the_server_uses_is_documented() -> None:
    used = {v for k, v in vars(connection).items() if k.startswith("CLOSE_") and isinstance(v, int)}
    assert used <= set(CLOSE_CODES), used - set(CLOSE_CODES)
    assert {1001, 4001, 4003, 4008} <= set(CLOSE_CODES)


def test_every_error_code_the_rooms_raise_is_documented() -> None:
    pattern = re.compile(r'(?:ProblemError\(\s*\d+,\s*|_unprocessable\(\s*|_error\()"(\w+)"')
    used = {
        code
        for path in ROOMS_DIR.glob("*.py")
        for code in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert {"bad_frame", "payload_too_large", "not_found"} <= used
    assert used <= set(ERROR_CODES), used - set(ERROR_CODES)
