"""Possible duplicates of a new report: nearby open events of its category, and open events
whose report photo is near-identical to one of its own."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Event, EventMedia, Media
from backend.events.rules import OPEN_STATUSES
from backend.events.visibility import visible_clause
from backend.orgs.geo import haversine_m
from media import hamming
from schemas.events import DuplicateOut

__all__ = ["nearby_open_events", "possible_duplicates"]

METRES_PER_DEGREE_LAT = 111_320.0
# dHash distance of re-encodes and resizes of one photo stays within a few bits; different
# scenes differ by twenty or more (measured on the sample photos, see tests/media).
SIMILAR_PHOTO_BITS = 6


async def possible_duplicates(
    session: AsyncSession,
    event: Event,
    principal: Principal,
    *,
    radius_m: int,
    now: datetime,
    window: timedelta,
    phashes: list[int] | None = None,
) -> list[DuplicateOut]:
    """Open events of the same category near ``event``, or with a near-identical report
    photo, created within ``window`` and visible to ``principal``.

    ``phashes``: the event's report photos' hashes when the caller has them (a new
    report does), saving their query."""
    rows = await nearby_open_events(
        session, event, principal, radius_m=radius_m, since=now - window
    )
    found = []
    for eid, case_no, status, lat, lng, created_at, _grid, visible in rows:
        # Only events the reporter may see: a duplicate hint must not leak other streets.
        if not visible:
            continue
        distance = haversine_m(event.lat, event.lng, lat, lng)
        if distance <= radius_m:
            found.append(
                DuplicateOut(
                    id=eid,
                    case_no=case_no,
                    status=status,
                    distance_m=round(distance, 1),
                    created_at=created_at,
                )
            )
    found += await _similar_photos(
        session, event, principal, now - window, {d.id for d in found}, phashes
    )
    found.sort(key=lambda d: (d.distance_m, d.created_at))
    return found


_NEARBY = "events.nearby"
# What a duplicate hint shows of an event (and where it is).
_BRIEF = (Event.id, Event.case_no, Event.status, Event.lat, Event.lng, Event.created_at)


async def nearby_open_events(
    session: AsyncSession, event: Event, principal: Principal, *, radius_m: int, since: datetime
) -> list[Any]:
    """Open events of ``event``'s category in the box around it of ``radius_m``, created
    since ``since``: (id, case_no, status, lat, lng, created_at, grid_id, visible), where
    ``visible`` says whether ``principal`` sees it.

    Read once per report: routing's duplicate link (same grid, any visibility) and the
    possible duplicates shown to the reporter (visible ones) both come from these rows.
    Nothing else in the report's transaction changes them (the new event is left out).
    """
    key = (event.id, principal.id, radius_m, since)
    memo = session.info.get(_NEARBY)
    if memo is not None and memo[0] == key:
        return memo[1]  # type: ignore[no-any-return]  # the list stored below
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(event.lat))))
    rows = await session.execute(
        select(*_BRIEF, Event.grid_id, visible_clause(principal).label("visible")).where(
            and_(
                Event.category_code == event.category_code,
                Event.lat.between(event.lat - dlat, event.lat + dlat),
                Event.lng.between(event.lng - dlng, event.lng + dlng),
                Event.created_at >= since,
                Event.status.in_(OPEN_STATUSES),
                Event.id != event.id,
            )
        )
    )
    found = list(rows.all())
    session.info[_NEARBY] = (key, found)
    return found


async def _similar_photos(
    session: AsyncSession,
    event: Event,
    principal: Principal,
    since: datetime,
    already: set[str],
    phashes: list[int] | None = None,
) -> list[DuplicateOut]:
    """Open events whose report photo is near-identical to one of this event's: the
    same pile of garbage photographed twice, even if the pins were dropped far apart."""
    mine: list[int] = (
        phashes
        if phashes is not None
        else [
            h
            for h in (
                await session.execute(
                    select(Media.phash)
                    .join(EventMedia, EventMedia.media_id == Media.id)
                    .where(EventMedia.event_id == event.id, Media.phash.is_not(None))
                )
            ).scalars()
            if h is not None
        ]
    )
    if not mine:
        return []
    rows = await session.execute(
        select(*_BRIEF, Media.phash)
        .join(EventMedia, EventMedia.event_id == Event.id)
        .join(Media, Media.id == EventMedia.media_id)
        .where(
            Event.created_at >= since,
            Event.status.in_(OPEN_STATUSES),
            Event.id != event.id,
            EventMedia.timeline_seq == 1,
            Media.phash.is_not(None),
            visible_clause(principal),
        )
        .limit(5000)
    )
    found: dict[str, DuplicateOut] = {}
    for eid, case_no, status, lat, lng, created_at, phash in rows.all():
        if eid in already or eid in found or phash is None:
            continue
        if any(hamming(phash, h) <= SIMILAR_PHOTO_BITS for h in mine):
            found[eid] = DuplicateOut(
                id=eid,
                case_no=case_no,
                status=status,
                distance_m=round(haversine_m(event.lat, event.lng, lat, lng), 1),
                created_at=created_at,
                reason="similar_photo",
            )
    return list(found.values())
