"""The media domain's periodic job: the orphan sweep (media no event or message uses)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Media
from backend.media_api.evidence import MediaReferences
from backend.media_api.uploads import UploadService, variant_key

__all__ = ["ORPHAN_AGE", "orphan_sweep"]

log = logging.getLogger("chengyun.media")

ORPHAN_AGE = timedelta(hours=24)


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
