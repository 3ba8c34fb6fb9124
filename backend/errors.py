"""Problem documents (RFC 9457) for every error the API answers with.

Why not Litestar's ``litestar.plugins.problem_details`` (checked against 2.25): its
``ProblemDetailsException.to_response`` writes ``status`` first and has no ``code``, while
the contract's document (API.md) is ``type, title, status, detail, code`` in that order plus
a machine ``code`` that clients branch on, and the title is the status's, not the detail;
converting HTTPException there also puts ``exc.detail`` into ``title``. We would override
its handler and exception for every case, keeping none of it. The same bytes are also sent
where no Litestar handler runs (``problem_body``: WebSocket closes, the ASGI layer), so the
one encoder lives here and the handlers below are plain ``exception_handlers``.
"""

from __future__ import annotations

import logging
import re
from enum import Enum
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, DBAPIError

from backend.db.outage import UNAVAILABLE_TYPES, database_unavailable, transaction_lost
from media.store import StoreUnavailable

__all__ = [
    "PROBLEM_JSON",
    "ProblemError",
    "exception_handlers",
    "problem_body",
    "problem_response",
]

log = logging.getLogger("chengyun.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal server error",
    503: "Service unavailable",
}

_DEFAULT_CODES = {
    400: "validation_failed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media",
    422: "unprocessable",
    429: "rate_limited",
    503: "unavailable",
}


class ProblemError(Exception):
    """Raised by services and controllers; rendered as a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, code: str, detail: str, **extra: Any) -> bytes:
    """The encoded problem document (for answers sent outside Litestar's handlers)."""
    body: dict[str, Any] = {
        "type": f"https://chengyun.hongshan.gov.cn/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return msgspec.json.encode(body)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[bytes]:
    if status == 503 and not any(k.lower() == "retry-after" for k in headers or {}):
        # 503 always says when to come back (API.md); callers with a better guess set it.
        headers = {**(headers or {}), "Retry-After": "5"}
    return Response(
        content=problem_body(status, code, detail, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _problem_error(_: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    return problem_response(exc.status, exc.code, exc.detail, headers=exc.headers, **exc.extra)


# Neither msgspec nor Litestar hands over the offending field as data: msgspec's
# ValidationError carries only its message text, with the path as a suffix ("... - at
# `$.title`") that Litestar turns into ``key``; so the field names inside the message are read
# from the text, pinned by tests/integration/test_problems.py and test_hostile_*.py.
# msgspec names the field inside the message when the error is about the object itself
# ("unknown field `x`", "missing required field `x`"); Litestar then reports the parent's
# path, "data" for the top level. Clients need the offending field, so take it from there.
_NAMED_IN_MESSAGE = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")
# Raised while extracting parameters, before validation, with the name only in the text.
_MISSING_PARAM = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def _source(value: Any) -> str:
    # ParamType is a (str, Enum): str() of it is "ParamType.QUERY", not the wire word.
    if isinstance(value, Enum):
        return str(value.value)
    return str(value or "body")


def _fields_from_validation(exc: ValidationException) -> list[dict[str, str]]:
    fields: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("field") or "")
            message = str(item.get("message", ""))
            named = _NAMED_IN_MESSAGE.match(message)
            if named:
                parent = "" if field in {"", "data"} else field + "."
                field = parent + named.group(1)
            fields.append(
                {"field": field, "message": message, "source": _source(item.get("source"))}
            )
    missing = _MISSING_PARAM.match(str(exc.detail))
    if not fields and missing:
        fields.append(
            {"field": missing.group(2), "message": "required", "source": missing.group(1)}
        )
    return fields


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    fields = _fields_from_validation(exc)
    detail = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields) or str(exc.detail)
    return problem_response(400, "validation_failed", detail, errors=fields)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if status >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
    code = _DEFAULT_CODES.get(status, "error")
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, NotFoundException):
        detail = "not found"
    return problem_response(status, code, detail, headers=headers or None)


def _data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[bytes]:
    # The database refused a value the request carried (a NUL byte in text, a number where
    # an id belongs, a time out of range): bad input, not a server fault. Code that checks its
    # input never gets here; this keeps a missed check from answering 500.
    log.warning(
        "database refused a request value on %s %s: %s", request.method, request.url.path, exc.orig
    )
    return problem_response(400, "validation_failed", "a value in the request is not acceptable")


def _retry_shortly(detail: str) -> Response[bytes]:
    return problem_response(503, "unavailable", detail, headers={"Retry-After": "1"})


def _database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # The database is restarting, unreachable, or SQLite's one write lock stayed taken past
    # busy_timeout, or PostgreSQL cancelled the transaction as a deadlock victim: the request
    # was fine and may be retried (backend/db/outage.py). Anything else is a real fault.
    where = (request.method, request.url.path, exc)
    if transaction_lost(exc):
        log.warning("transaction cancelled on %s %s: %r", *where)
        return _retry_shortly(
            "the database cancelled this request to let a concurrent one finish; retry"
        )
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", *where)
        return _retry_shortly("the database is unavailable; retry shortly")
    return _unexpected(request, exc)


def _store_unavailable(request: Request[Any, Any, Any], exc: StoreUnavailable) -> Response[bytes]:
    # The media store (S3) is away. An upload's row was never committed (the request's
    # transaction rolls back); objects it already wrote are unreferenced, and the orphan
    # sweep removes them.
    log.warning("media store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        503,
        "unavailable",
        "the media store is unavailable; retry shortly",
        headers={"Retry-After": "5"},
    )


def _not_utf8(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[bytes]:
    # msgspec raises UnicodeDecodeError (not DecodeError) for invalid UTF-8 inside a JSON
    # string, and Litestar only wraps DecodeError: without this a stray byte answered 500.
    log.warning("undecodable request on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(400, "validation_failed", "the request body is not valid UTF-8")


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred"
    )


exception_handlers: dict[Any, Any] = {
    ProblemError: _problem_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _http_error,
    PermissionDeniedException: _http_error,
    NotFoundException: _http_error,
    HTTPException: _http_error,
    DataError: _data_error,
    DBAPIError: _database_unavailable,
    **{t: _database_unavailable for t in UNAVAILABLE_TYPES},
    StoreUnavailable: _store_unavailable,
    UnicodeDecodeError: _not_utf8,
    Exception: _unexpected,
}
