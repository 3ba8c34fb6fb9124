"""Media as the rest of the backend sees it: lookup, ownership, signed URLs, the wire shape."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import DISPATCHER_ROLES, Principal
from backend.db.models import EventMedia, Media
from backend.errors import ProblemError
from media.signing import sign_url_params
from schemas.media import GpsOut, MediaOut, MediaUrls

__all__ = ["MediaLinks", "load_owned_media", "media_for_events", "media_out"]

VARIANTS = ("thumb", "display", "original")


class MediaLinks:
    """Builds signed, expiring links to media variants."""

    def __init__(self, secret: bytes, *, base_path: str, ttl_seconds: int) -> None:
        self.secret = secret
        self.base_path = base_path
        self.ttl_seconds = ttl_seconds
        # Seconds since the epoch: links are signed, and their ETag period counted, by it.
        self.clock: Callable[[], float] = time.time

    def url(self, media_id: str, variant: str, *, now: float | None = None) -> str:
        exp = int((now if now is not None else self.clock()) + self.ttl_seconds)
        sig = sign_url_params(self.secret, media_id, variant, exp)
        return f"{self.base_path}/media/{media_id}/{variant}?exp={exp}&sig={sig}"


def media_out(
    media: Media,
    principal: Principal,
    links: MediaLinks,
    *,
    location_mismatch: bool | None = None,
) -> MediaOut:
    mismatch = msgspec.UNSET if location_mismatch is None else location_mismatch
    original = links.url(media.id, "original") if principal.role in DISPATCHER_ROLES else None
    return MediaOut(
        id=media.id,
        sha256=media.sha256,
        content_type=media.content_type,
        width=media.width,
        height=media.height,
        taken_at=media.taken_at,
        gps=(
            GpsOut(lat=media.gps_lat, lng=media.gps_lng)
            if media.gps_lat is not None and media.gps_lng is not None
            else None
        ),
        urls=MediaUrls(
            thumb=links.url(media.id, "thumb"),
            display=links.url(media.id, "display"),
            original=original,
        ),
        created_at=media.created_at,
        location_mismatch=mismatch,
    )


async def load_owned_media(
    session: AsyncSession, principal: Principal, media_ids: Iterable[str]
) -> list[Media]:
    """The caller's own media, in the order given; anything else is refused."""
    ids = list(dict.fromkeys(media_ids))
    if not ids:
        return []
    rows = await session.execute(
        select(Media).where(Media.id.in_(ids), Media.owner_id == principal.id)
    )
    found = {m.id: m for m in rows.scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ProblemError(
            422,
            "media_not_found",
            "media_ids must name photos you uploaded",
            errors=[
                {"field": "media_ids", "message": f"unknown media {m}", "source": "body"}
                for m in missing
            ],
        )
    return [found[i] for i in ids]


async def media_for_events(
    session: AsyncSession, event_ids: list[str]
) -> dict[str, list[tuple[int, Media, bool]]]:
    """event id → [(timeline seq, media, location mismatch)] in upload order."""
    if not event_ids:
        return {}
    rows = await session.execute(
        select(EventMedia.event_id, EventMedia.timeline_seq, EventMedia.location_mismatch, Media)
        .join(Media, Media.id == EventMedia.media_id)
        .where(EventMedia.event_id.in_(event_ids))
        .order_by(EventMedia.event_id, EventMedia.timeline_seq, EventMedia.id)
    )
    out: dict[str, list[tuple[int, Media, bool]]] = {}
    for event_id, seq, mismatch, media in rows.all():
        out.setdefault(event_id, []).append((seq, media, mismatch))
    return out
