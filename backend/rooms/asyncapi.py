"""The WebSocket protocol as an AsyncAPI 3.0 document, generated from the frame types.

Every member of ``ClientFrame`` and ``ServerFrame`` (schemas/rooms.py) becomes a message
with its JSON Schema from msgspec, so the document can't drift from what the server
decodes and encodes. AsyncAPI describes the application's side: the server *receives*
client frames and *sends* server frames. Close codes and error codes have no AsyncAPI
field of their own; they are in the channel's description and in ``x-close-codes`` /
``x-error-codes``.
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

import msgspec
from litestar import Response, get

from schemas.rooms import ClientFrame, ServerFrame

__all__ = ["CLOSE_CODES", "ERROR_CODES", "asyncapi_document", "asyncapi_endpoint", "frame_types"]

WS_PATH = "/api/v1/ws"

CLOSE_CODES: dict[int, str] = {
    1001: "server shutting down (reconnect, then subscribe with since_seq)",
    1008: "handshake refused: request headers over the limit",
    1009: "frame over 1 MiB (frames over 64 KiB get an error frame instead)",
    4000: "silent for 60 s (no frame, not even pong)",
    4001: "auth missing (none within 5 s), invalid, expired or revoked (logout)",
    4003: "forbidden origin",
    4008: "too slow: the socket's send queue overflowed; reconnect with since_seq",
}

# Codes an ``error`` frame carries; `ref` names the refused frame's client_msg_id or room.
ERROR_CODES: dict[str, str] = {
    "bad_frame": "not JSON, not an object, unknown op, or a field out of its bounds",
    "payload_too_large": "frame over 64 KiB",
    "unauthenticated": "a refreshed auth frame with a bad or expired token",
    "already_authenticated": "a refreshed auth frame for another user",
    "not_found": "no such room, not a member, or no such instruction",
    "not_subscribed": "typing in a room this socket has not subscribed to",
    "forbidden": "observers may not send; instructions need the right role",
    "room_archived": "the room is archived",
    "rate_limited": "sending faster than the per-user limit; retry after the detail's delay",
    "validation_failed": "a send whose kind lacks what it needs (text, media_id, location)",
    "not_a_member": "instruction targets must be members of the room",
    "unknown_member": "a target user or org is not known",
}


def frame_types() -> dict[str, list[type[msgspec.Struct]]]:
    return {"receive": list(get_args(ClientFrame)), "send": list(get_args(ServerFrame))}


def _tag(cls: type[msgspec.Struct]) -> str:
    return str(cls.__struct_config__.tag)


def asyncapi_document(version: str = "1.0.0") -> dict[str, Any]:
    groups = frame_types()
    every = [cls for classes in groups.values() for cls in classes]
    (_, components) = msgspec.json.schema_components(
        every, ref_template="#/components/schemas/{name}"
    )
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for action, classes in groups.items():
        side = "client" if action == "receive" else "server"
        for cls in classes:
            name = f"{side}.{_tag(cls)}"
            messages[name] = {
                "name": _tag(cls),
                "title": f"{_tag(cls)} ({side} → {'server' if side == 'client' else 'client'})",
                "summary": (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
                or f"the `{_tag(cls)}` frame",
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
            }
            operations[f"{action}_{side}_{_tag(cls)}"] = {
                "action": action,
                "channel": {"$ref": "#/channels/rooms"},
                "messages": [{"$ref": f"#/channels/rooms/messages/{name}"}],
            }
    close = "\n".join(f"- {code}: {why}" for code, why in CLOSE_CODES.items())
    errors = "\n".join(f"- `{code}`: {why}" for code, why in ERROR_CODES.items())
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "chengyun dispatch rooms WebSocket",
            "version": version,
            "description": (
                "One socket per client, many rooms on it. Frames are JSON objects with an "
                "`op` field. The first frame must be `auth` within 5 s. The server pings "
                "every 20 s and closes a socket silent for 60 s. Frames over 64 KiB are "
                "refused with an error frame; a bad frame gets an error frame and the "
                "socket stays open."
            ),
        },
        "channels": {
            "rooms": {
                "address": WS_PATH,
                "title": "dispatch rooms (联勤联动)",
                "description": f"Close codes:\n{close}\n\nError frame codes:\n{errors}",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
                "bindings": {"ws": {"bindingVersion": "0.1.0"}},
                "x-close-codes": {str(k): v for k, v in CLOSE_CODES.items()},
                "x-error-codes": ERROR_CODES,
            }
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
    }


@cache
def _encoded() -> bytes:
    return msgspec.json.encode(asyncapi_document())


@get("/schema/asyncapi.json", include_in_schema=False, sync_to_thread=False)
def asyncapi_endpoint() -> Response[bytes]:
    return Response(
        _encoded(),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )
