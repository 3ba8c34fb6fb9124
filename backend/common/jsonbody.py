"""The one place JSON from outside is decoded: request bodies, uploaded JSON files and
WebSocket frames.

msgspec decodes recursively and raises ``RecursionError`` on input nested about a thousand
deep (less inside a request, whose stack is already deep); anything that re-walks a value
nested a few hundred deep (encoding it again, SQLAlchemy's JSON column, a log line) can do
the same. No document of ours nests deeper than a GeoJSON MultiPolygon (about ten levels),
so input nested deeper than ``MAX_DEPTH`` is refused with a 400 before it is decoded.

The other hostile shapes are decided here too, so every entry point answers the same:
``NaN``/``Infinity`` literals, a byte-order mark, invalid UTF-8 and lone surrogates are
malformed JSON (400); a NUL character anywhere in a string is refused (400; PostgreSQL
cannot store it and no client means it); numbers beyond what a field allows fail the
field's range (400); with a key given twice the last one wins, as in every mainstream
JSON parser (documented in docs/api.md).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from backend.errors import ProblemError

__all__ = [
    "MAX_DEPTH",
    "BodyError",
    "CheckedRequest",
    "check_json_text",
    "decode_json",
    "nesting_too_deep",
]

T = TypeVar("T")

MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Every byte but the four brackets, for bytes.translate(None, delete=...).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# An escaped NUL: \u0000 preceded by an even number of backslashes (an odd number means
# the backslash of "\u" is itself escaped, and the text is the six characters "\u0000").
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


class BodyError(ProblemError):
    """A body (or frame) refused before or while decoding: always a 400."""

    def __init__(self, detail: str, *, field: str = "") -> None:
        super().__init__(
            400,
            "validation_failed",
            detail,
            errors=[{"field": field, "message": detail, "source": "body"}],
        )


def _as_bytes(raw: bytes | str) -> bytes:
    return raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw


def nesting_too_deep(raw: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than ``limit``.

    Runs at C speed: a document can't nest deeper than it has opening brackets, which
    settles almost every body with one ``count``; otherwise strings are cut out and each
    pass of ``replace`` removes one level of empty pairs. Unbalanced brackets (malformed
    JSON) count as deep only if they are; the decoder then says "malformed".
    """
    data = _as_bytes(raw)
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    shape = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not shape:
            return False
        shorter = shape.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(shape):  # unbalanced: leave it to the decoder
            return False
        shape = shorter
    return bool(shape)


def check_json_text(raw: bytes | str) -> None:
    """Raise ``BodyError`` for input nested too deep to decode safely."""
    if nesting_too_deep(raw):
        raise BodyError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted")


# msgspec names the field inside the message when the error is about the object itself
# ("unknown field `x`", "missing required field `x`") and gives the parent's path after it.
_NAMED_IN_MESSAGE = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def _field_of(exc: msgspec.ValidationError) -> str:
    text = str(exc)
    path = text.rsplit("at `$.", 1)
    field = path[1].rstrip("`") if len(path) == 2 else ""
    named = _NAMED_IN_MESSAGE.match(text)
    if named:
        field = f"{field}.{named.group(1)}" if field else named.group(1)
    return field


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def _decode_typed(raw: bytes | str, type: Any, strict: bool) -> Any:
    """JSON does not tell ``1.0`` from ``1`` (JSON Schema's ``integer`` takes both), but
    msgspec's strict mode refuses a float for an int. Only when that is the error, decode
    again with integral floats made ints; ``1.5`` and ``"1"`` still fail."""
    try:
        return msgspec.json.decode(raw, type=type, strict=strict)
    except msgspec.ValidationError as exc:
        if "Expected `int" not in str(exc) or "got `float`" not in str(exc):
            raise
        return msgspec.convert(_integral(msgspec.json.decode(raw)), type=type, strict=strict)


def decode_json(
    raw: bytes | str,
    type: Any = Any,
    *,
    strict: bool = True,
    decoder: msgspec.json.Decoder[Any] | None = None,
    refuse_nul: bool = True,
) -> Any:
    """Decode JSON from outside into ``type`` (or with ``decoder``); every way it can fail
    is a ``BodyError`` (400) naming the field where there is one."""
    check_json_text(raw)
    try:
        if decoder is not None:
            value = decoder.decode(raw)
        else:
            value = _decode_typed(raw, type, strict)
    except msgspec.ValidationError as exc:
        raise BodyError(str(exc), field=_field_of(exc)) from exc
    except msgspec.DecodeError as exc:
        raise BodyError(f"malformed JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise BodyError("the body is not valid UTF-8") from exc
    except RecursionError as exc:  # belt and braces: the depth check comes first
        raise BodyError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted") from exc
    # After decoding, so a typed field that refuses NUL (schemas.common.NO_NUL) is the one
    # named; this catches the rest (free-form values).
    if refuse_nul and _NUL_ESCAPE.search(_as_bytes(raw)):
        raise BodyError("NUL characters (\\u0000) are not accepted in text")
    return value


_NOT_JSON = ("multipart/", "application/x-www-form-urlencoded", "image/")


class CheckedRequest(Request[Any, Any, Any]):
    """The app's request class: a body that may be read as JSON is checked when it is
    read, so Litestar's own decoding of ``data`` and every ``request.body()`` reader refuse
    nesting that would exhaust the stack. (NULs in typed fields fail the field's pattern.)"""

    async def body(self) -> bytes:
        data = await super().body()
        if data:  # checked on every read (cheap): a refused body stays refused
            content_type = self.headers.get("content-type", "").lower()
            if not content_type.startswith(_NOT_JSON):
                check_json_text(data)
        return data
