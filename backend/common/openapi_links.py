"""OpenAPI links from each create to the reads and actions on what it created.

A generated client (and the fuzzer's stateful phase) learns from them that the ``id`` a
``POST /events`` answers is the ``{event_id}`` of ``GET /events/{event_id}`` and of
``POST /events/{event_id}/actions``. They are derived from the document itself, so a new
create or a new sub-resource gets its links without anyone writing them: a ``POST`` on a
collection ``P`` links to every operation under ``P/{name}``; ``{name}`` takes the created
thing's field of that name (``seq`` for a room message) or its ``id`` when the parameter
is named after the collection (``/rooms`` -> ``room_id``), and the
path parameters of ``P`` itself are passed on from the request.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["add_links"]

_PARAM = re.compile(r"\{(\w+)\}")


def _properties(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = doc["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
    return set(schema.get("properties", {}))


def _created(doc: dict[str, Any], op: dict[str, Any]) -> tuple[str, set[str]] | None:
    for status in ("201", "200"):
        content = op.get("responses", {}).get(status, {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is not None:
            return status, _properties(doc, schema)
    return None


def _operation_id(op: dict[str, Any], method: str, path: str) -> str:
    return str(op.get("operationId") or f"{method.upper()} {path}")


def add_links(doc: dict[str, Any]) -> None:
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for base, item in paths.items():
        create = item.get("post")
        created = _created(doc, create) if create else None
        if create is None or created is None:
            continue
        status, fields = created
        own = _PARAM.findall(base)
        for path, target_item in paths.items():
            rest = path[len(base) :]
            if not path.startswith(base + "/{") or path == base:
                continue
            name = _PARAM.match(rest[1:])
            if name is None:
                continue
            param = name.group(1)
            field = _field_for(param, base, fields)
            if field is None:
                continue
            parameters = {param: f"$response.body#/{field}"}
            parameters |= {p: f"$request.path.{p}" for p in own}
            if set(_PARAM.findall(path)) != set(parameters):
                continue  # a deeper path needs ids this create does not give
            links = create["responses"][status].setdefault("links", {})
            for method, target in target_item.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                links[_link_name(method, path)] = {
                    "operationId": _operation_id(target, method, path),
                    "parameters": parameters,
                }


def _field_for(param: str, base: str, fields: set[str]) -> str | None:
    """The created thing's field that fills ``{param}``: the field of that name, or its
    ``id`` when the parameter is named after the collection (``/rooms`` -> ``room_id``)."""
    if param in fields:
        return param
    collection = base.rstrip("/").rsplit("/", 1)[-1]
    if "id" in fields and param == collection.removesuffix("s") + "_id":
        return "id"
    return None


def _link_name(method: str, path: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w and w not in {"api", "v1"}]
    return method.capitalize() + "".join(w.capitalize() for w in words)
