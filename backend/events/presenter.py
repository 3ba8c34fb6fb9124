"""Events as the wire shows them, loaded in batches (a page costs a fixed number of queries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.common.phone import mask_phone
from backend.db.models import Category, Event, EventExtension, Org, TimelineEntry, User
from backend.events.rules import SLA_RUNNING, EventFacts, allowed_actions
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

__all__ = ["facts_of", "pending_extensions", "present_detail", "present_events"]


def facts_of(event: Event, pending: bool) -> EventFacts:
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
    key = model.code if model is Category else model.id  # type: ignore[attr-defined]
    rows = await session.execute(select(model).where(key.in_(ids)))
    return {getattr(r, "code" if model is Category else "id"): r for r in rows.scalars()}


async def present_events(
    session: AsyncSession,
    events: list[Event],
    principal: Principal,
    links: MediaLinks,
    *,
    now: datetime,
    reveal_phone_for: set[str] | None = None,
) -> list[EventOut]:
    ids = [e.id for e in events]
    categories = await _lookup(session, Category, {e.category_code for e in events})
    users = await _lookup(session, User, {e.reporter_id for e in events})
    orgs = await _lookup(
        session,
        Org,
        {o for e in events for o in (e.assignee_org_id, e.suggested_org_id) if o},
    )
    media = await media_for_events(session, ids)
    pending = await pending_extensions(session, ids)
    out: list[EventOut] = []
    for e in events:
        category = categories.get(e.category_code)
        reporter = users.get(e.reporter_id)
        org = orgs.get(e.assignee_org_id or "")
        ext = pending.get(e.id)
        phone = getattr(reporter, "phone", None)
        reporter_out = ReporterOut(
            id=e.reporter_id,
            display_name=getattr(reporter, "display_name", ""),
            phone_masked=mask_phone(phone),
        )
        if reporter_out and reveal_phone_for and e.id in reveal_phone_for and phone:
            reporter_out.phone = phone
        out.append(
            EventOut(
                id=e.id,
                case_no=e.case_no,
                status=e.status,
                source=e.source,
                category=CategoryBrief(
                    code=e.category_code, name=getattr(category, "name", e.category_code)
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
                    for seq, m, mismatch in media.get(e.id, [])
                    if seq == 1
                ],
                assignee=(
                    AssigneeOut(
                        org_id=e.assignee_org_id,
                        org_name=getattr(org, "name", ""),
                        user_id=e.assignee_user_id,
                    )
                    if e.assignee_org_id
                    else None
                ),
                due_at=e.due_at,
                sla_state=sla_state(  # type: ignore[arg-type]
                    running=e.status in SLA_RUNNING, warn_at=e.warn_at, due_at=e.due_at, now=now
                ),
                supervision_count=e.supervision_count,
                escalated=e.escalated,
                duplicate_of=e.duplicate_of,
                version=e.version,
                created_at=e.created_at,
                updated_at=e.updated_at,
                allowed_actions=allowed_actions(principal, facts_of(e, ext is not None)),
                occurred_at=e.occurred_at,
                suggested_assignee=(
                    SuggestedAssigneeOut(
                        org_id=e.suggested_org_id,
                        org_name=getattr(orgs.get(e.suggested_org_id), "name", ""),
                        rule=e.suggested_rule or {},
                    )
                    if e.suggested_org_id
                    else None
                ),
                pending_extension=(
                    {
                        "id": ext.id,
                        "hours": ext.hours,
                        "reason": ext.reason,
                        "requested_by": ext.requested_by,
                        "requested_at": ext.requested_at.isoformat(),
                    }
                    if ext
                    else None
                ),
            )
        )
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
    (base,) = await present_events(
        session,
        [event],
        principal,
        links,
        now=now,
        reveal_phone_for={event.id} if reveal_phone else None,
    )
    entries = (
        (
            await session.execute(
                select(TimelineEntry)
                .where(TimelineEntry.event_id == event.id)
                .order_by(TimelineEntry.seq)
            )
        )
        .scalars()
        .all()
    )
    actors = await _lookup(session, User, {t.actor_id for t in entries if t.actor_id})
    actor_orgs = await _lookup(session, Org, {getattr(a, "org_id", "") for a in actors.values()})
    media = await media_for_events(session, [event.id])
    by_seq: dict[int, list[object]] = {}
    for seq, m, mismatch in media.get(event.id, []):
        by_seq.setdefault(seq, []).append(
            media_out(m, principal, links, location_mismatch=mismatch)
        )
    timeline = []
    for t in entries:
        actor = actors.get(t.actor_id or "")
        timeline.append(
            TimelineOut(
                seq=t.seq,
                at=t.at,
                actor=(
                    {
                        "user_id": t.actor_id,
                        "display_name": getattr(actor, "display_name", ""),
                        "role": getattr(actor, "role", None),
                        "org_name": getattr(
                            actor_orgs.get(getattr(actor, "org_id", "")), "name", None
                        ),
                    }
                    if t.actor_id
                    else None
                ),
                action=t.action,
                from_status=t.from_status,
                to_status=t.to_status,
                note=t.note,
                media=by_seq.get(t.seq, []),  # type: ignore[arg-type]
                data=t.data or {},
            )
        )
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return EventDetailOut(**fields, timeline=timeline)
