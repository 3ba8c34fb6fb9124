"""Open311 api keys (the GeoReport documents themselves are rendered as JSON or XML)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from schemas.common import Strict

__all__ = ["KeyIn", "KeyIssuedOut", "KeyOut"]


class KeyIn(Strict):
    # Who the key is for, e.g. "12345 市民热线".
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


class KeyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class KeyIssuedOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    # Shown once: only its hash is stored.
    api_key: str
    created_at: datetime
    jurisdiction_id: str
