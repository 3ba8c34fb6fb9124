"""Events as the wire shows them, loaded in batches (a page costs a fixed number of queries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.auth.principal import Principal
from backend.common.phone import mask_phone
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
    "facts_of",
    "page_query",
    "pending_extensions",
    "present_created",
    "present_detail",
    "present_page",
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


async def _lookup(session: AsyncSession, model: type, ids: set[str]) -> dict[str, object]:
    if not ids:
        return {}
    key = model.code if model is Category else model.id  # type: ignore[attr-defined]  # model is a type; the reads helper rewrites this
    rows = await session.execute(select(model).where(key.in_(ids)))
    return {getattr(r, "code" if model is Category else "id"): r for r in rows.scalars()}


def _event_out(
    e: Any,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    category_name: str | None,
    reporter_name: str | None,
    phone: str | None,
    reveal_phone: bool,
    assignee_name: str | None,
    suggested_name: str | None,
    ext: dict[str, Any] | None,
    media: list[tuple[int, Any, bool]],
    allowed: list[str],
) -> EventOut:
    """One event on the wire; ``e`` is an ``Event`` or a row with the same column names."""
    reporter_out = ReporterOut(
        id=e.reporter_id, display_name=reporter_name or "", phone_masked=mask_phone(phone)
    )
    if reveal_phone and phone:
        reporter_out.phone = phone
    return EventOut(
        id=e.id,
        case_no=e.case_no,
        status=e.status,
        source=e.source,
        category=CategoryBrief(
            code=e.category_code,
            name=category_name if category_name is not None else e.category_code,
        ),
        grade=e.grade,
        description=e.description,
        location=EventLocationOut(
            lat=e.lat,
            lng=e.lng,
            address=e.address,
            grid_id=e.grid_id,
            community_id=e.community_id,
            street_id=e.street_id,
        ),
        reporter=reporter_out,
        media=[
            media_out(m, principal, links, location_mismatch=mismatch)
            for seq, m, mismatch in media
            if seq == 1
        ],
        assignee=(
            AssigneeOut(
                org_id=e.assignee_org_id,
                org_name=assignee_name or "",
                user_id=e.assignee_user_id,
            )
            if e.assignee_org_id
            else None
        ),
        due_at=e.due_at,
        sla_state=sla_state(
            running=e.status in SLA_RUNNING, warn_at=e.warn_at, due_at=e.due_at, now=now
        ),
        supervision_count=e.supervision_count,
        escalated=e.escalated,
        duplicate_of=e.duplicate_of,
        version=e.version,
        created_at=e.created_at,
        updated_at=e.updated_at,
        allowed_actions=allowed,
        occurred_at=e.occurred_at,
        suggested_assignee=(
            SuggestedAssigneeOut(
                org_id=e.suggested_org_id,
                org_name=suggested_name or "",
                rule=e.suggested_rule or {},
            )
            if e.suggested_org_id
            else None
        ),
        pending_extension=ext,
    )


def _extension_out(
    ext_id: str, hours: float, reason: str, requested_by: str, requested_at: datetime
) -> dict[str, Any]:
    return {
        "id": ext_id,
        "hours": hours,
        "reason": reason,
        "requested_by": requested_by,
        "requested_at": requested_at.isoformat(),
    }


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


async def present_created(
    session: AsyncSession,
    event: Event,
    created: Created,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
) -> EventOut:
    """A just-reported event, as ``present_events`` shows it, with one query instead of
    five: the report already knows its category and whether it has photos, and an event
    whose SLA clock is not running cannot have an extension pending (requesting one needs
    it running)."""
    reporter = (
        await session.execute(
            select(User.display_name, User.phone).where(User.id == event.reporter_id)
        )
    ).one_or_none()
    orgs = await _lookup(
        session, Org, {o for o in (event.assignee_org_id, event.suggested_org_id) if o}
    )
    media = (
        (await media_for_events(session, [event.id])).get(event.id, []) if created.has_media else []
    )
    ext = (
        (await pending_extensions(session, [event.id])).get(event.id)
        if event.status in SLA_RUNNING
        else None
    )
    return _event_out(
        event,
        principal,
        links,
        now=now,
        category_name=created.category_name,
        reporter_name=reporter.display_name if reporter else None,
        phone=reporter.phone if reporter else None,
        reveal_phone=False,
        assignee_name=getattr(orgs.get(event.assignee_org_id or ""), "name", None),
        suggested_name=getattr(orgs.get(event.suggested_org_id or ""), "name", None),
        ext=(
            _extension_out(ext.id, ext.hours, ext.reason, ext.requested_by, ext.requested_at)
            if ext
            else None
        ),
        media=media,
        allowed=allowed_actions(principal, facts_of(event, ext is not None)),
    )


# The constructs of page_query, built once: aliasing a table per request showed up in the
# profile (SQLAlchemy derives the alias's columns each time). Immutable, nothing cached.
_ASSIGNEE = aliased(Org)
_SUGGESTED = aliased(Org)
_EXT = aliased(EventExtension)
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


async def present_page(
    session: AsyncSession,
    rows: Sequence[Row[Any]],
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
) -> list[EventOut]:
    """Rows of ``page_query`` on the wire, with their photos."""
    media = await media_for_events(session, [r.id for r in rows])
    return _present_rows(rows, principal, links, media=media, now=now)


def _present_rows(
    rows: Sequence[Row[Any]],
    principal: Principal,
    links: MediaLinks,
    *,
    media: dict[str, list[tuple[int, Any, bool]]],
    now: datetime,
) -> list[EventOut]:
    allowed = _Allowed(principal)
    return [
        _event_out(
            r,
            principal,
            links,
            now=now,
            category_name=r.category_name,
            reporter_name=r.reporter_name,
            phone=r.reporter_phone,
            reveal_phone=False,
            assignee_name=r.assignee_org_name,
            suggested_name=r.suggested_org_name,
            ext=(
                _extension_out(
                    r.ext_id, r.ext_hours, r.ext_reason, r.ext_requested_by, r.ext_requested_at
                )
                if r.ext_id is not None
                else None
            ),
            media=media.get(r.id, []),
            allowed=allowed(r, r.ext_id is not None),
        )
        for r in rows
    ]


_ACTOR_ORG = aliased(Org)


async def present_detail(
    session: AsyncSession,
    event: Event,
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    reveal_phone: bool,
) -> EventDetailOut:
    """One event with its timeline in three statements: the event as a list shows it
    (``page_query``), its photos, and its timeline with each actor's name, role and org."""
    row = (await session.execute(page_query(select(Event).where(Event.id == event.id)))).one()
    media = (await media_for_events(session, [event.id])).get(event.id, [])
    (base,) = _present_rows([row], principal, links, media={event.id: media}, now=now)
    if reveal_phone and row.reporter_phone:
        base.reporter.phone = row.reporter_phone
    entries = await session.execute(
        select(
            TimelineEntry,
            User.display_name,
            User.role,
            _ACTOR_ORG.name,
        )
        .outerjoin(User, User.id == TimelineEntry.actor_id)
        .outerjoin(_ACTOR_ORG, _ACTOR_ORG.id == User.org_id)
        .where(TimelineEntry.event_id == event.id)
        .order_by(TimelineEntry.seq)
    )
    by_seq: dict[int, list[object]] = {}
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
                    "display_name": name or "",
                    "role": role,
                    "org_name": org_name,
                }
                if t.actor_id
                else None
            ),
            action=t.action,
            from_status=t.from_status,
            to_status=t.to_status,
            note=t.note,
            media=by_seq.get(t.seq, []),  # type: ignore[arg-type]  # by_seq holds list[object] (reads helper)
            data=t.data or {},
        )
        for t, name, role, org_name in entries
    ]
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return EventDetailOut(**fields, timeline=timeline)
