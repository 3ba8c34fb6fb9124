"""Opaque list cursors: base64url of a small JSON document, checked on the way in."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar.params import QueryParameter

from backend.errors import ProblemError

__all__ = [
    "RFC3339",
    "Cursor",
    "Limit",
    "checked_instant",
    "decode_cursor",
    "encode_cursor",
]

MIN_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size (default 50)")]
Cursor = Annotated[str | None, QueryParameter(max_length=512, description="from next_cursor")]


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = msgspec.json.decode(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(payload, dict) or any(k not in payload for k in required):
        raise _bad_cursor()
    return payload


def _bad_cursor() -> ProblemError:
    return ProblemError(
        400,
        "validation_failed",
        "cursor is not valid",
        errors=[
            {"field": "cursor", "message": "not a cursor this server issued", "source": "query"}
        ],
    )


# A query string that checked_instant accepts: RFC 3339 with an offset, so the schema says
# what the server checks (a bare number is not read as seconds since 1970).
RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$"


def checked_instant(value: datetime | str | None, field: str, source: str) -> datetime | None:
    """An aware instant that the database can store, or a 400 naming the field."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            at = datetime.fromisoformat(value)
        elif isinstance(value, datetime):
            at = value
        else:
            raise TypeError("not a time")
        if at.tzinfo is None or not (MIN_INSTANT <= at <= MAX_INSTANT):
            raise ValueError("out of range")
        return at.astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProblemError(
            400,
            "validation_failed",
            f"{field} must be a time with an offset between years 1970 and 2200",
            errors=[{"field": field, "message": "invalid time", "source": source}],
        ) from exc
