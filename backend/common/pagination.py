"""Opaque list cursors: base64url of a small JSON document, checked on the way in."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import msgspec
from litestar.params import QueryParameter

from backend.errors import ProblemError

__all__ = ["Cursor", "Limit", "decode_cursor", "encode_cursor"]

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
