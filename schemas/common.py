"""Shapes shared by every part of the wire contract."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["NO_NUL", "LatLng", "Location", "Problem", "Strict"]

# Text fields refuse NUL: PostgreSQL cannot store it and no client means it.
NO_NUL = r"^[^\x00]*$"


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: an unknown field is an error, never ignored."""


Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lng = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class LatLng(Strict):
    lat: Lat
    lng: Lng


class Location(Strict):
    lat: Lat
    lng: Lng
    address: Annotated[str, msgspec.Meta(max_length=300, pattern=r"^[^\x00]*$")] | None = None


class Problem(msgspec.Struct, kw_only=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
