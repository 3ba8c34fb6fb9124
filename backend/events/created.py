"""The answer to a report, built from what the report holds in memory.

A new event has no assignee, suggestion or pending extension yet; its category's name
and its reporter (the caller) are known, so the list's row for it needs no statement.
Only a report with photos (their links) or one a hook assigned is read back through the
presenter's loader, as before.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Event
from backend.events.presenter import Loaded, events_out, present_created
from backend.events.service import Created
from backend.media_api.service import MediaLinks
from schemas.events import EventOut

__all__ = ["created_out"]

_COLUMNS = tuple(c.key for c in Event.__table__.c)


def _row(event: Event, created: Created, principal: Principal) -> Any:
    """The ``page_query`` row of the new event, from the object just written."""
    return SimpleNamespace(
        **{key: getattr(event, key) for key in _COLUMNS},
        reporter_name=principal.display_name,
        reporter_phone=principal.phone,
        category_name=created.category_name,
        assignee_org_name=None,
        suggested_org_name=None,
        ext_id=None,
        ext_hours=None,
        ext_reason=None,
        ext_requested_by=None,
        ext_requested_at=None,
    )


async def created_out(
    session: AsyncSession,
    event: Event,
    created: Created,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
) -> EventOut:
    """A just-reported event as the list shows it (``present_created``'s answer)."""
    in_memory = (
        not created.has_media
        and event.reporter_id == principal.id
        and event.assignee_org_id is None
        and event.suggested_org_id is None
    )
    if not in_memory:
        return await present_created(session, event, created, principal, links, now=now)
    (out,) = events_out(
        Loaded(cast(Any, [_row(event, created, principal)])), principal, links, now=now
    )
    return out
