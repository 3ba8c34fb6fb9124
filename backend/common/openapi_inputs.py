"""Input rules the code enforces that Litestar's document leaves out (found by schemathesis).

- Parameter bounds: Litestar drops a bound of zero (``ge=0`` tests falsy) and puts the
  bounds of an optional parameter beside its ``oneOf`` instead of on the integer; here the
  bounds are copied from each handler's own ``KwargDefinition`` onto the number branch.
- Times: msgspec's schema of a ``datetime`` is a bare string; it decodes RFC 3339 and the
  server keeps instants from 1970 to 2199 (``checked_instant``), so each ``datetime``
  field of our Structs says ``format: date-time``, and of our request bodies that pattern.
- Uploads: every multipart body of ours is one part named ``file`` (the handlers refuse
  a body without it); the document says so.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

__all__ = ["RFC3339_INSTANT", "exact_inputs"]

# What msgspec decodes as an aware datetime, within the years the database keeps.
RFC3339_INSTANT = (
    r"^(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3])"
    r":[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_FILE_PART = {
    "type": "object",
    "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}},
}


def _is_number(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return isinstance(kind, str) and kind in {"integer", "number"}


def _number_branch(schema: dict[str, Any]) -> dict[str, Any] | None:
    if _is_number(schema):
        return schema
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        if _is_number(branch):
            return branch  # type: ignore[no-any-return]  # the schema is a dict[str, Any]: its items are Any
    return None


def _bound_parameters(route: HTTPRoute, op: dict[str, Any], handler: Any) -> None:
    fields = handler.parsed_fn_signature.parameters
    for param in op.get("parameters", []):
        field = fields.get(param["name"])
        kwarg = getattr(field, "kwarg_definition", None)
        schema = param.get("schema", {})
        branch = _number_branch(schema)
        if kwarg is None or branch is None:
            continue
        for attr, key in _BOUNDS.items():
            value = getattr(kwarg, attr, None)
            if value is not None:
                schema.pop(key, None)
                branch[key] = value


def _is_instant(kind: Any) -> bool:
    if isinstance(kind, msgspec.inspect.DateTimeType):
        return True
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_instant(t) for t in kind.types)
    return False


def _instants(components: dict[str, Any], types: dict[str, type]) -> None:
    """msgspec's schema of a datetime is a bare string: add its format and pattern."""
    for name, component in components.items():
        struct = types.get(name)
        if struct is None:
            continue
        info = msgspec.inspect.type_info(struct)
        if not isinstance(info, msgspec.inspect.StructType):
            continue
        # The range is what the server accepts; what it answers may lie outside it (the
        # local month 1970-01 starts at 1969-12-31T16:00:00Z), so answers get the format.
        pattern = {"pattern": RFC3339_INSTANT} if info.forbid_unknown_fields else {}
        for field in info.fields:
            prop = component.get("properties", {}).get(field.encode_name)
            if prop is None or not _is_instant(field.type):
                continue
            for branch in [prop, *prop.get("anyOf", [])]:
                if branch.get("type") == "string":
                    branch.update(format="date-time", **pattern)


def exact_inputs(
    app: Litestar, doc: dict[str, Any], plain: Any, handlers: Any, types: dict[str, type]
) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, handler in handlers(route):
            op = doc.get("paths", {}).get(plain(route.path), {}).get(method.lower())
            if op is None:
                continue
            _bound_parameters(route, op, handler)
            content = op.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                content["multipart/form-data"]["schema"] = dict(_FILE_PART)
    _instants(doc.get("components", {}).get("schemas", {}), types)
