"""The media object returned for every uploaded photo."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["GpsOut", "MediaOut", "MediaUrls"]


class GpsOut(msgspec.Struct, kw_only=True):
    lat: float
    lng: float


class MediaUrls(msgspec.Struct, kw_only=True):
    thumb: str
    display: str
    original: str | None


class MediaOut(msgspec.Struct, kw_only=True):
    id: str
    sha256: str
    content_type: str
    width: int
    height: int
    taken_at: datetime | None
    gps: GpsOut | None
    urls: MediaUrls
    created_at: datetime
    # Set on media of an event: the photo's GPS is far from where the event is.
    location_mismatch: bool | msgspec.UnsetType = msgspec.UNSET
