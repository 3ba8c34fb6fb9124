"""Events as the wire shows them: one loader, one pure mapping.

``load_events`` runs a fixed number of statements for any set of events (a page, one
event, a just-reported one): the events with their reporter, category, orgs and pending
extension joined in (``page_query``), their photos, and for a detail the timeline with
each actor. ``events_out`` / ``detail_out`` turn what it loaded into ``EventOut`` /
``EventDetailOut`` without touching the database. The list, the detail, the report's
answer and every action's answer go through these two steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.auth.principal import Principal
from backend.common.phone import mask_phone
from backend.common.views import next_sla_change
from backend.db.models import Category, Event, EventExtension, Org, TimelineEntry, User
from backend.events.rules import SLA_RUNNING, EventFacts, allowed_actions, facts_key
from backend.events.service import Created
from backend.media_api.service import MediaLinks, media_for_events, media_out
from backend.sla.service import sla_state
from schemas.events import (
    AssigneeOut,
    CategoryBrief,
    EventDetailOut,
    EventLocationOut,
    EventOut,
    ReporterOut,
    SuggestedAssigneeOut,
    TimelineOut,
)

__all__ = [
    "Loaded",
    "detail_out",
    "events_out",
    "facts_of",
    "load_events",
    "page_query",
    "pending_extensions",
    "present_created",
    "present_detail",
    "sla_until",
]


def facts_of(event: Event | Row[Any], pending: bool) -> EventFacts:
    return EventFacts(
        status=event.status,
        street_id=event.street_id,
        grid_id=event.grid_id,
        reporter_id=event.reporter_id,
        assignee_org_id=event.assignee_org_id,
        escalated=event.escalated,
        has_pending_extension=pending,
    )


async def pending_extensions(
    session: AsyncSession, event_ids: list[str]
) -> dict[str, EventExtension]:
    if not event_ids:
        return {}
    rows = await session.execute(
        select(EventExtension).where(
            EventExtension.event_id.in_(event_ids), EventExtension.state == "pending"
        )
    )
    return {x.event_id: x for x in rows.scalars()}


# The constructs of page_query, built once: aliasing a table per request showed up in the
# profile (SQLAlchemy derives the alias's columns each time). Immutable, nothing cached.
_ASSIGNEE = aliased(Org)
_SUGGESTED = aliased(Org)
_EXT = aliased(EventExtension)
_ACTOR_ORG = aliased(Org)
# At most one extension is pending per event (requesting one needs none pending, under the
# event's row lock); the subquery keeps the page one row per event whatever happens.
_ONE_PENDING = (
    select(EventExtension.id)
    .where(EventExtension.event_id == Event.id, EventExtension.state == "pending")
    .limit(1)
    .correlate(Event)
    .scalar_subquery()
)
_PAGE_COLUMNS = (
    *Event.__table__.c,
    User.display_name.label("reporter_name"),
    User.phone.label("reporter_phone"),
    Category.name.label("category_name"),
    _ASSIGNEE.name.label("assignee_org_name"),
    _SUGGESTED.name.label("suggested_org_name"),
    _EXT.id.label("ext_id"),
    _EXT.hours.label("ext_hours"),
    _EXT.reason.label("ext_reason"),
    _EXT.requested_by.label("ext_requested_by"),
    _EXT.requested_at.label("ext_requested_at"),
)
_TIMELINE = (
    select(
        *TimelineEntry.__table__.c,
        User.display_name.label("actor_name"),
        User.role.label("actor_role"),
        _ACTOR_ORG.name.label("actor_org_name"),
    )
    .outerjoin(User, User.id == TimelineEntry.actor_id)
    .outerjoin(_ACTOR_ORG, _ACTOR_ORG.id == User.org_id)
    .order_by(TimelineEntry.seq)
)


def page_query(query: Select[Event]) -> Select[Any]:
    """``query`` (a list of events, filtered, ordered and limited) as plain columns with
    what the wire shows of each event's reporter, category, orgs and pending extension
    joined in.

    One statement instead of the entity load plus five lookups: on SQLite every statement
    is several hand-offs to aiosqlite's thread, and building 50 ORM entities cost more than
    the SQL. All joins are on primary keys (or the extensions' event index), so the plan
    stays the events index scan that stops at the limit.
    """
    return (
        query.with_only_columns(*_PAGE_COLUMNS, maintain_column_froms=False)
        .outerjoin_from(Event, User, User.id == Event.reporter_id)
        .outerjoin(Category, Category.code == Event.category_code)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Event.assignee_org_id)
        .outerjoin(_SUGGESTED, _SUGGESTED.id == Event.suggested_org_id)
        .outerjoin(_EXT, _EXT.id == _ONE_PENDING)
    )


@dataclass(slots=True)
class Loaded:
    """What the wire shows of some events, as rows: ``rows`` of ``page_query`` (at most
    ``limit``), ``more`` when the query had another, ``media`` by event id as
    ``media_for_events`` gives it, ``timeline`` rows of the one event asked for in detail."""

    rows: list[Row[Any]]
    more: bool = False
    media: dict[str, list[tuple[int, Any, bool]]] = field(default_factory=dict)
    timeline: list[Row[Any]] = field(default_factory=list)


def sla_until(loaded: Loaded, now: datetime) -> datetime | None:
    """When the first ``sla_state`` of these events moves with the clock."""
    return next_sla_change(
        ((r.status in SLA_RUNNING, r.warn_at, r.due_at) for r in loaded.rows), now
    )


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Row[Any]]:
    """Plain rows through the session's connection: the ORM's result machinery (entity
    loading, identity map) was a sixth of a page's CPU, and these are columns only. An
    action's answer reads what the action just changed, so pending changes go first."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return list((await (await session.connection()).execute(stmt)).all())


async def load_events(
    session: AsyncSession,
    query: Select[Event],
    *,
    limit: int | None = None,
    media: bool = True,
    timeline: bool = False,
) -> Loaded:
    """The events of ``query`` with everything their answer shows, in one statement for
    the events, one for their photos (``media=False``: the caller knows there are none)
    and, with ``timeline``, one for the (single) event's timeline with its actors.
    ``limit``: keep that many rows and say whether ``query`` had more (ask for limit + 1)."""
    rows = await _rows(session, page_query(query))
    more = limit is not None and len(rows) > limit
    if more:
        del rows[limit:]
    ids = [r.id for r in rows]
    loaded = Loaded(rows, more)
    if media and ids:
        loaded.media = await media_for_events(session, ids)
    if timeline and ids:
        (event_id,) = ids
        stmt = _TIMELINE.where(TimelineEntry.event_id == event_id)
        loaded.timeline = await _rows(session, stmt)
    return loaded


class _Allowed:
    """``allowed_actions`` once per distinct ``facts_key``: a page of 50 events has a
    handful (mostly its statuses), and each evaluation walks all 17 rules."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.seen: dict[tuple[object, ...], list[str]] = {}

    def __call__(self, e: Any, pending: bool) -> list[str]:
        facts = facts_of(e, pending)
        key = facts_key(self.principal, facts)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = allowed_actions(self.principal, facts)
        return list(found)  # each event its own list: nothing shares a mutable answer


def _event_out(
    r: Row[Any],
    media: list[tuple[int, Any, bool]],
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    allowed: list[str],
) -> EventOut:
    """One row of ``page_query`` on the wire; ``media`` its photos (all timeline steps)."""
    return EventOut(
        id=r.id,
        case_no=r.case_no,
        status=r.status,
        source=r.source,
        category=CategoryBrief(
            code=r.category_code,
            name=r.category_name if r.category_name is not None else r.category_code,
        ),
        grade=r.grade,
        description=r.description,
        location=EventLocationOut(
            lat=r.lat,
            lng=r.lng,
            address=r.address,
            grid_id=r.grid_id,
            community_id=r.community_id,
            street_id=r.street_id,
        ),
        reporter=ReporterOut(
            id=r.reporter_id,
            display_name=r.reporter_name or "",
            phone_masked=mask_phone(r.reporter_phone),
        ),
        media=[
            media_out(m, principal, links, location_mismatch=mismatch)
            for seq, m, mismatch in media
            if seq == 1
        ],
        assignee=(
            AssigneeOut(
                org_id=r.assignee_org_id,
                org_name=r.assignee_org_name or "",
                user_id=r.assignee_user_id,
            )
            if r.assignee_org_id
            else None
        ),
        due_at=r.due_at,
        sla_state=sla_state(
            running=r.status in SLA_RUNNING, warn_at=r.warn_at, due_at=r.due_at, now=now
        ),
        supervision_count=r.supervision_count,
        escalated=r.escalated,
        duplicate_of=r.duplicate_of,
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        allowed_actions=allowed,
        occurred_at=r.occurred_at,
        suggested_assignee=(
            SuggestedAssigneeOut(
                org_id=r.suggested_org_id,
                org_name=r.suggested_org_name or "",
                rule=r.suggested_rule or {},
            )
            if r.suggested_org_id
            else None
        ),
        pending_extension=(
            {
                "id": r.ext_id,
                "hours": r.ext_hours,
                "reason": r.ext_reason,
                "requested_by": r.ext_requested_by,
                "requested_at": r.ext_requested_at.isoformat(),
            }
            if r.ext_id is not None
            else None
        ),
    )


def events_out(
    loaded: Loaded, principal: Principal, links: MediaLinks, *, now: datetime
) -> list[EventOut]:
    """The loaded events on the wire, in their order."""
    allowed = _Allowed(principal)
    media = loaded.media
    return [
        _event_out(
            r,
            media.get(r.id, []),
            principal,
            links,
            now=now,
            allowed=allowed(r, r.ext_id is not None),
        )
        for r in loaded.rows
    ]


def detail_out(
    loaded: Loaded,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    reveal_phone: bool,
) -> EventDetailOut:
    """The one loaded event with its timeline; each step shows the photos it added."""
    (row,) = loaded.rows
    media = loaded.media.get(row.id, [])
    (base,) = events_out(loaded, principal, links, now=now)
    if reveal_phone and row.reporter_phone:
        base.reporter.phone = row.reporter_phone
    by_seq: dict[int, list[Any]] = {}
    for seq, m, mismatch in media:
        by_seq.setdefault(seq, []).append(
            media_out(m, principal, links, location_mismatch=mismatch)
        )
    timeline = [
        TimelineOut(
            seq=t.seq,
            at=t.at,
            actor=(
                {
                    "user_id": t.actor_id,
                    "display_name": t.actor_name or "",
                    "role": t.actor_role,
                    "org_name": t.actor_org_name,
                }
                if t.actor_id
                else None
            ),
            action=t.action,
            from_status=t.from_status,
            to_status=t.to_status,
            note=t.note,
            media=by_seq.get(t.seq, []),
            data=t.data or {},
        )
        for t in loaded.timeline
    ]
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return EventDetailOut(**fields, timeline=timeline)


async def present_created(
    session: AsyncSession,
    event: Event,
    created: Created,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
) -> EventOut:
    """A just-reported event, as the list shows it (its photos only read if it has any)."""
    loaded = await load_events(
        session, select(Event).where(Event.id == event.id), media=created.has_media
    )
    (out,) = events_out(loaded, principal, links, now=now)
    return out


async def present_detail(
    session: AsyncSession,
    event: Event,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    reveal_phone: bool,
) -> EventDetailOut:
    """One event with its timeline, in three statements."""
    query = select(Event).where(Event.id == event.id)
    loaded = await load_events(session, query, timeline=True)
    return detail_out(loaded, principal, links, now=now, reveal_phone=reveal_phone)
