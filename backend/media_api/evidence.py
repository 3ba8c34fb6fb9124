"""Evidence upkeep: the display variant learns its case number; who still points at media.

The hourly orphan sweep that uses ``MediaReferences`` is backend/media_api/jobs.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, or_

from backend.db.models import EventMedia, Media
from backend.media_api.uploads import UploadService, original_key, variant_key
from media import MediaError, MediaNotFound, Watermark, render_display

__all__ = ["AttachedMedia", "MediaReferences", "rerender_display"]

log = logging.getLogger("chengyun.media")


@dataclass(frozen=True, slots=True)
class AttachedMedia:
    """What the watermark needs, copied out of the session before commit."""

    media_id: str
    sha256: str
    taken_at: datetime | None
    uploaded_at: datetime
    case_no: str
    address: str | None
    lat: float
    lng: float


async def rerender_display(uploads: UploadService, item: AttachedMedia) -> None:
    """Burn the case number (and the event's address) into the display variant."""
    try:
        original = await uploads.store.get(original_key(item.sha256))
    except MediaNotFound:
        log.warning("original of media %s is missing; display not re-rendered", item.media_id)
        return
    watermark = Watermark.build(
        item.taken_at or item.uploaded_at,
        address=item.address,
        gps=(item.lat, item.lng),
        case_no=item.case_no,
    )
    try:
        display = await uploads.pool.run(
            render_display, original, watermark, font_path=uploads.font_path, limits=uploads.limits
        )
    except MediaError as exc:  # the original passed these checks once; keep the old display
        log.warning("re-rendering media %s failed: %s", item.media_id, exc.detail)
        return
    await uploads.store.put(variant_key(item.media_id, "display"), display, "image/jpeg")


class MediaReferences:
    """Which media something still points at. Domains that hold media (events, room
    messages) register a query; a media row nobody references after a day is an orphan."""

    def __init__(self) -> None:
        self.columns: list[Any] = [EventMedia.media_id]

    def add(self, column: Any) -> None:
        self.columns.append(column)

    def referenced(self) -> ColumnElement[bool]:
        return or_(*(exists().where(col == Media.id) for col in self.columns))
