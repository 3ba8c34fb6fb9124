"""POST requests.json: a service request from an Open311 client becomes an event."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Category, Event, Open311Key, Open311Request
from backend.errors import ProblemError
from backend.events.service import EventService
from backend.open311.render import Open311Error
from backend.open311.system_user import system_principal
from schemas.common import Location
from schemas.events import EventCreateIn

__all__ = ["CONTACT_FIELDS", "SYSTEM_USERNAME", "submit_request"]

SYSTEM_USERNAME = "open311"
CONTACT_FIELDS = ("email", "device_id", "account_id", "first_name", "last_name", "phone")
# The spec allows 4000; events carry at most 2000 (the mobile contract), so that is ours.
DESCRIPTION_MAX = 2000


def _coordinate(form: dict[str, str], name: str, bound: float) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a number") from exc
    if not math.isfinite(value) or abs(value) > bound:
        raise Open311Error(400, f"{name} is out of range")
    return value


async def submit_request(
    session: AsyncSession,
    events: EventService,
    key: Open311Key,
    form: dict[str, str],
    now: datetime,
) -> tuple[Event, Open311Request]:
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    category = await session.get(Category, code)
    if category is None or not category.active:
        raise Open311Error(400, f"service_code {code!r} not found")
    lat, lng = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    address = form.get("address_string", "").strip()[:300] or None
    if lat is None or lng is None:
        # Events are placed in a grid by their coordinates; we do not geocode addresses.
        detail = "lat and long are required" + (
            " (address_string alone cannot be located here)" if address else ""
        )
        raise Open311Error(400, detail)
    description = form.get("description", "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is longer than {DESCRIPTION_MAX} characters")
    if "\x00" in description or (address and "\x00" in address):
        raise Open311Error(400, "text must not contain NUL characters")
    media_url = form.get("media_url", "").strip() or None
    if media_url and (not media_url.startswith(("https://", "http://")) or len(media_url) > 1000):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 1000 characters")
    principal = await system_principal(session, SYSTEM_USERNAME, "Open311 接口")
    # msgspec Structs are not validated on construction: the checks above stand in for the
    # decoder's, and source "open311" is a value the mobile-facing schema does not accept.
    data = EventCreateIn(
        category_code=code,
        description=description or category.name,
        location=Location(lat=lat, lng=lng, address=address),
        source="open311",  # type: ignore[arg-type]  # a server-side source, not one clients may send
    )
    try:
        event, _duplicates = await events.create(session, principal, data, now)
    except ProblemError as exc:
        raise Open311Error(400, exc.detail) from exc
    contact: dict[str, Any] = {f: form[f].strip()[:200] for f in CONTACT_FIELDS if form.get(f)}
    record = Open311Request(
        event_id=event.id, key_id=key.id, media_url=media_url, contact=contact, created_at=now
    )
    session.add(record)
    await session.flush()
    return event, record
