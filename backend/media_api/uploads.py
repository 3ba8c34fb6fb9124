"""Accepting a photo: pipeline off the loop, bytes stored, one row per (user, sha256)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Media
from backend.errors import ProblemError
from media import ImagePool, MediaError, MediaLimits, MediaStore, Watermark, process_upload

__all__ = ["UploadService", "original_key", "variant_key"]


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def variant_key(media_id: str, variant: str) -> str:
    return f"{variant}/{media_id[:2]}/{media_id}.jpg"


class UploadService:
    def __init__(
        self,
        *,
        store: MediaStore,
        pool: ImagePool,
        limits: MediaLimits,
        font_path: str | None,
    ) -> None:
        self.store = store
        self.pool = pool
        self.limits = limits
        self.font_path = font_path

    async def _existing(self, session: AsyncSession, owner_id: str, sha: str) -> Media | None:
        return (
            await session.execute(
                select(Media).where(Media.owner_id == owner_id, Media.sha256 == sha)
            )
        ).scalar_one_or_none()

    async def upload(
        self, session: AsyncSession, principal: Principal, data: bytes, now: datetime
    ) -> tuple[Media, bool]:
        """Return the media and whether it was created (False: identical bytes seen)."""
        sha = hashlib.sha256(data).hexdigest()
        existing = await self._existing(session, principal.id, sha)
        if existing is not None:
            return existing, False
        watermark = Watermark.build(now)
        try:
            processed = await self.pool.run(
                process_upload,
                data,
                limits=self.limits,
                watermark=watermark,
                font_path=self.font_path,
            )
        except MediaError as exc:
            raise ProblemError(exc.status, exc.code, exc.detail) from exc
        media = Media(
            owner_id=principal.id,
            sha256=sha,
            content_type=processed.content_type,
            size_bytes=len(data),
            width=processed.width,
            height=processed.height,
            taken_at=processed.taken_at,
            gps_lat=processed.gps[0] if processed.gps else None,
            gps_lng=processed.gps[1] if processed.gps else None,
            phash=processed.phash,
            created_at=now,
        )
        session.add(media)
        try:
            await session.flush()
        except IntegrityError:
            # The same user's retry raced us and won: answer with its row.
            await session.rollback()
            winner = await self._existing(session, principal.id, sha)
            if winner is None:
                raise
            return winner, False
        # Files before the commit: a failed commit leaves only unreferenced objects, which
        # the orphan sweep removes; a row never points at a missing file.
        if not await self.store.exists(original_key(sha)):
            await self.store.put(original_key(sha), data, processed.content_type)
        await self.store.put(variant_key(media.id, "thumb"), processed.thumb, "image/jpeg")
        await self.store.put(variant_key(media.id, "display"), processed.display, "image/jpeg")
        return media, True
