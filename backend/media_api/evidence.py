"""Evidence upkeep: the display variant learns its case number; orphans are swept away."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import EventMedia, Media
from backend.media_api.uploads import UploadService, original_key, variant_key
from media import MediaError, MediaNotFound, Watermark, render_display

if TYPE_CHECKING:
    from backend.context import AppContext

__all__ = ["AttachedMedia", "MediaReferences", "orphan_sweep", "rerender_display"]

log = logging.getLogger("chengyun.media")

ORPHAN_AGE = timedelta(hours=24)


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


async def _orphan_rows(
    session: AsyncSession, refs: MediaReferences, cutoff: datetime
) -> list[Media]:
    return list(
        (
            await session.execute(
                select(Media).where(Media.created_at < cutoff, ~refs.referenced()).limit(500)
            )
        ).scalars()
    )


async def orphan_sweep(ctx: AppContext) -> int:
    """Remove media no event or message uses after 24 h, and files no row knows."""
    uploads: UploadService = ctx.uploads
    refs: MediaReferences = ctx.media_refs
    cutoff = ctx.now() - ORPHAN_AGE
    removed = 0
    async with ctx.db.sessions() as session:
        rows = await _orphan_rows(session, refs, cutoff)
        for media in rows:
            await session.execute(delete(Media).where(Media.id == media.id))
        await session.commit()
    for media in rows:
        for variant in ("thumb", "display"):
            await uploads.store.delete(variant_key(media.id, variant))
        removed += 1
    # Files whose row never committed (or was just removed): the original is shared by
    # sha256 between users, so it goes only when no row has that sha256 any more.
    async with ctx.db.read_sessions() as session:
        async for key in uploads.store.list_older_than("originals/", cutoff):
            sha = key.rsplit("/", 1)[-1]
            if not await session.scalar(select(exists().where(Media.sha256 == sha))):
                await uploads.store.delete(key)
        for variant in ("thumb", "display"):
            async for key in uploads.store.list_older_than(f"{variant}/", cutoff):
                media_id = key.rsplit("/", 1)[-1].removesuffix(".jpg")
                if not await session.scalar(select(exists().where(Media.id == media_id))):
                    await uploads.store.delete(key)
    if removed:
        log.info("orphan sweep removed %d media", removed)
    return removed
