"""Make Litestar's OpenAPI document say exactly what the server checks.

Litestar's own schema generation drops what msgspec enforces inside containers (the
pattern of each id in ``media_ids``), does not say ``additionalProperties: false`` for
``forbid_unknown_fields``, and documents its own validation error shape instead of our
problem documents. The msgspec types stay the source of truth: every component that is
one of our Structs is replaced by msgspec's own JSON Schema of it. Then each operation gets
bearer security (or none, for the public ones), and the problem statuses it can answer.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

from backend.common.openapi_inputs import exact_inputs
from backend.common.openapi_links import add_links
from schemas.common import Problem

__all__ = ["install_exact_openapi", "make_exact"]

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}
_STATUS = re.compile(r"(?:ProblemError|problem_response|Open311Error)\(\s*(\d{3})")
_NAMED = {"PermissionDeniedException": 403, "NotFoundException": 404, "NotAuthorizedException": 401}
_CALL = re.compile(r"\b([A-Za-z_]\w*)\(")
_DESCRIPTIONS = {
    400: "validation_failed: the offending fields are listed in `errors`",
    401: "unauthenticated: no, invalid or expired bearer token",
    403: "forbidden: the caller's role may not do this",
    404: "not_found: no such thing, or not visible to the caller",
    408: "request_timeout: the body arrived too slowly",
    409: "a state or version conflict (see `code`)",
    413: "payload_too_large",
    415: "unsupported_media",
    422: "valid JSON, impossible request (see `code`)",
    429: "rate_limited: see Retry-After",
    431: "headers_too_large: request headers over 16 KiB",
    503: "unavailable: a dependency is down; see Retry-After",
}
# Statuses raised below the controllers (services, idempotency), by operation.
_SERVICE_STATUSES: list[tuple[str, str, set[int]]] = [
    ("POST", "/api/v1/events", {403, 409, 422}),
    ("POST", "/api/v1/events/{event_id}/actions", {403, 409, 422}),
    ("POST", "/api/v1/rooms/{room_id}/messages", {403, 409, 422, 429}),
    ("POST", "/api/v1/rooms/{room_id}/messages/{seq}/ack", {403, 409}),
    ("POST", "/api/v1/incidents", {403, 409, 422}),
    ("POST", "/api/v1/auth/login", {429}),
    ("POST", "/api/v1/media", {413, 415, 422}),
    ("GET", "/api/v1/locate", {422}),
    ("POST", "/api/v1/auth/login", {401}),
    ("POST", "/api/v1/auth/refresh", {401}),
    ("POST", "/api/v1/incidents", {404}),
    ("POST", "/api/v1/rooms", {404, 422}),
    ("POST", "/api/v1/rooms/{room_id}/members", {422}),
    ("PUT", "/api/v1/duty/rosters", {403, 422}),
    ("POST", "/api/v1/duty/rosters/import", {403, 422}),
]
_GEOREPORT_JSON = {"type": ["array", "object"], "description": "as GeoReport v2 defines it"}
# Answers that are not JSON, by how the path ends.
_NOT_JSON_ANSWERS = {
    ".csv": "text/csv",
    "/export": "application/geo+json",
    ".xml": "text/xml",
    "/{media_id}/{variant}": "image/*",
}
_NOT_JSON_SCHEMAS: dict[str, dict[str, Any]] = {
    "application/geo+json": {"$ref": "#/components/schemas/FeatureCollectionOut"},
    "image/*": {"type": "string", "format": "binary"},
    "text/csv": {"type": "string"},
    "text/xml": {"type": "string"},
}
# Operations that answer 200 as well as their 201 (API.md: known device, identical upload,
# the event's existing room, a city case seen before).
_ALSO_200 = {
    ("POST", "/api/v1/devices"),
    ("POST", "/api/v1/media"),
    ("POST", "/api/v1/rooms"),
    ("POST", "/api/v1/city/cases"),
    ("POST", "/api/v1/rooms/{room_id}/messages"),  # the same client_msg_id again
}


# Examples of the main bodies (checked against their schemas by tests/integration/
# test_openapi_exact.py, so an example can't drift from its type).
EXAMPLES: dict[str, dict[str, Any]] = {
    "LoginIn": {"username": "grid001", "password": "chengyun-demo"},
    "RefreshIn": {"refresh_token": "2f0c5d1e8b7a4c3e9f1d2b3a4c5d6e7f"},
    "EventCreateIn": {
        "category_code": "garbage_exposed",
        "description": "珞喻路口垃圾暴露",
        "location": {"lat": 30.5052, "lng": 114.3372, "address": "珞喻路 1号"},
        "media_ids": ["0b6f2a4e-3c1d-4e5f-8a9b-1c2d3e4f5a6b"],
        "grade": 4,
    },
    "Dispatch": {
        "action": "dispatch",
        "org_id": "6a1f0c2e-9b8d-4c7e-a5f4-3e2d1c0b9a8f",
        "note": "请尽快处置",
        "expected_version": 2,
    },
    "RoomCreateIn": {
        "title": "珞喻路积水联勤",
        "kind": "joint_operation",
        "member_user_ids": ["5e855904-5b3f-4a09-b4ed-bbbb30863dfd"],
    },
    "MessageIn": {"client_msg_id": "c-20261124-0001", "kind": "text", "text": "已到达现场"},
    "IncidentIn": {"title": "珞喻路燃气泄漏", "level": 2},
    "DeviceIn": {"token": "fcm-token-abc123", "platform": "android", "app_version": "3.2.1"},
}


def _struct_types() -> dict[str, type]:
    """Our Structs by class name (a name defined twice is left to Litestar)."""
    import backend
    import schemas

    for package in (schemas, backend):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.startswith("backend.db.migrations"):
                importlib.import_module(module.name)
    seen: dict[str, type | None] = {}
    todo: list[type] = [msgspec.Struct]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(("schemas", "backend")) and not cls.__name__.startswith("_"):
            seen[cls.__name__] = None if cls.__name__ in seen else cls
    return {name: cls for name, cls in seen.items() if cls is not None}


def _exact_components(doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    ours = _struct_types()
    chosen = [ours[name] for name in components if name in ours] + [Problem]
    _, exact = msgspec.json.schema_components(
        chosen,
        ref_template="#/components/schemas/{name}",
        schema_hook=lambda _: {"description": "any JSON value"},  # `object`: free-form
    )
    components.update(exact)
    for name, example in EXAMPLES.items():
        if name in components:
            components[name]["examples"] = [example]


def _statuses(route: HTTPRoute, method: str, handler: Any, op: dict[str, Any]) -> set[int]:
    path = route.path
    found = {503, 431} | _raised(handler.fn, depth=2)
    if "{" in path:
        found |= {400, 404}
    if op.get("parameters") or op.get("requestBody"):
        found.add(400)
    if method in {"POST", "PUT", "PATCH"}:
        found |= {400, 408, 413}
    for m, p, extra in _SERVICE_STATUSES:
        if m == method and p == _plain(path):
            found |= extra
    return found


def _raised(fn: Any, depth: int) -> set[int]:
    """Statuses a function raises, and those of the same module's functions it calls."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return set()
    found = {int(s) for s in _STATUS.findall(source)}
    found |= {status for name, status in _NAMED.items() if name in source}
    if depth > 0:
        module = inspect.getmodule(fn)
        for name in set(_CALL.findall(source)):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper is not fn:
                found |= _raised(helper, depth - 1)
    return found


def _plain(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def make_exact(app: Litestar, doc: dict[str, Any]) -> dict[str, Any]:
    from backend.deps import require_bearer

    _exact_components(doc)
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, handler in _handlers(route):
            op = doc.get("paths", {}).get(_plain(route.path), {}).get(method.lower())
            if op is None:
                continue
            _exact_body(doc, handler, op)
            protected = not handler.opt.get("public") and any(
                require_bearer in (layer.guards or []) for layer in handler.ownership_layers
            )
            op["security"] = [{"bearer": []}] if protected else []
            statuses = _statuses(route, method, handler, op) | ({401} if protected else set())
            responses = op.setdefault("responses", {})
            open311 = route.path.startswith("/open311/")
            for status in sorted(statuses):
                responses[str(status)] = (
                    _open311_error(status, route.path)
                    if open311 and status != 431  # 431 comes from RequestLimits, before routing
                    else _problem_response(status)
                )
            _answer_media_type(responses, handler, _plain(route.path))
            if (method, _plain(route.path)) in _ALSO_200 and "201" in responses:
                responses["200"] = {**responses["201"], "description": "already known: the same"}
    exact_inputs(app, doc, _plain, _handlers, _struct_types())
    add_links(doc)
    return doc


def _exact_body(doc: dict[str, Any], handler: Any, op: dict[str, Any]) -> None:
    """The JSON body as msgspec sees the handler's ``data`` type (bounds on lists too)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    content = op.get("requestBody", {}).get("content", {})
    if data is None or "application/json" not in content:
        return
    try:
        (schema,), components = msgspec.json.schema_components(
            [data.raw],  # with its Annotated bounds (.annotation drops them)
            ref_template="#/components/schemas/{name}",
            schema_hook=lambda _: {"description": "any JSON value"},
        )
    except TypeError:
        return
    known = doc["components"]["schemas"]
    for name, component in components.items():
        known.setdefault(name, component)
    content["application/json"]["schema"] = schema


def _handlers(route: HTTPRoute) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for handler in route.route_handlers:
        for method in handler.http_methods:
            if method not in {"HEAD", "OPTIONS"}:
                out.append((method, handler))
    return out


def _open311_error(status: int, path: str) -> dict[str, Any]:
    """GeoReport v2 answers errors in its own shape: [{"code", "description"}]."""
    errors = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        },
    }
    media = "text/xml" if path.endswith(".xml") else "application/json"
    schema: dict[str, Any] = {"type": "string"} if media == "text/xml" else errors
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "an error"),
        "content": {media: {"schema": schema}},
    }
    if status in {429, 503}:
        response["headers"] = _RETRY_AFTER
    return response


def _answer_media_type(responses: dict[str, Any], handler: Any, path: str) -> None:
    """A 2xx that is not JSON (CSV, GeoJSON, XML) says its own media type."""
    if path.startswith("/open311/") and not path.endswith(".xml"):
        # The handlers return encoded bytes, which Litestar documents as a string.
        for status, response in responses.items():
            if status.startswith("2") and response.get("content"):
                response["content"] = {"application/json": {"schema": _GEOREPORT_JSON}}
        return
    media = next((m for end, m in _NOT_JSON_ANSWERS.items() if path.endswith(end)), None)
    if media is None:
        return
    for status, response in responses.items():
        content = response.get("content")
        if status.startswith("2") and content:
            schema = _NOT_JSON_SCHEMAS.get(media) or next(iter(content.values())).get("schema", {})
            response["content"] = {media: {"schema": schema}}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "a problem document"),
        "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
    }
    if status in {429, 503}:
        response["headers"] = _RETRY_AFTER
    return response


def install_exact_openapi(app: Litestar) -> None:
    """Post-process the document once, when it is first served or printed.

    Litestar always builds its own OpenAPIPlugin (slotted, so its method can't be
    patched); the instance becomes our subclass, which only adds the post-processing."""
    from litestar._openapi.plugin import OpenAPIPlugin

    class ExactOpenAPIPlugin(OpenAPIPlugin):
        __slots__ = ()

        def provide_openapi_schema(self) -> dict[str, Any]:
            if not self._openapi_schema:
                self._openapi_schema = make_exact(app, super().provide_openapi_schema())
            return self._openapi_schema

    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = ExactOpenAPIPlugin
