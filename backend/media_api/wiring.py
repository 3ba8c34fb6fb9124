"""Builds the media store, image pool, link signer and upload service."""

from __future__ import annotations

import hashlib
import hmac

from backend.context import AppContext
from backend.media_api.evidence import AttachedMedia, MediaReferences, rerender_display
from backend.media_api.jobs import orphan_sweep
from backend.media_api.service import MediaLinks
from backend.media_api.uploads import UploadService
from backend.settings import Settings
from media import ImagePool, LocalMediaStore, MediaLimits, MediaStore, find_cjk_font

__all__ = ["install"]


def _build_store(s: Settings) -> MediaStore:
    if s.s3_bucket:
        from media import S3MediaStore  # boto3 loads only when S3 is configured

        return S3MediaStore(
            s.s3_endpoint, s.s3_bucket, s.s3_access_key or "", s.s3_secret_key or "", s.s3_region
        )
    return LocalMediaStore(s.resolved_media_dir)


def install(ctx: AppContext) -> None:
    s = ctx.settings
    # A key of its own for links, derived from the secret, so it never equals the JWT key.
    link_secret = hmac.new(s.secret_key.encode(), b"chengyun media links", hashlib.sha256).digest()
    store = _build_store(s)
    pool = ImagePool()
    ctx.media_store = store
    ctx.image_pool = pool
    ctx.media_links = MediaLinks(link_secret, base_path="/api/v1", ttl_seconds=s.media_url_seconds)
    ctx.uploads = uploads = UploadService(
        store=store,
        pool=pool,
        limits=MediaLimits(max_bytes=s.media_max_bytes, max_pixels=s.media_max_pixels),
        font_path=s.font_path or find_cjk_font(),
    )

    async def store_probe() -> None:
        if not await store.ping():
            raise RuntimeError("media store not writable")

    async def close_pool() -> None:
        pool.close(wait=False)
        await store.close()

    async def make_media_dir() -> None:
        if isinstance(store, LocalMediaStore):
            s.resolved_media_dir.mkdir(parents=True, exist_ok=True)

    background = ctx.background

    def on_media_attached(items: list[AttachedMedia]) -> None:
        # After commit: the case number now exists for sure; redraw each display variant.
        for item in items:
            background.spawn(rerender_display(uploads, item), name=f"rerender:{item.media_id}")

    ctx.on_media_attached = on_media_attached
    ctx.media_refs = MediaReferences()
    ctx.jobs.every("media_orphan_sweep", 3600, orphan_sweep)
    ctx.probes["media_store"] = store_probe
    ctx.on_startup.append(make_media_dir)
    ctx.on_shutdown.append(close_pool)
