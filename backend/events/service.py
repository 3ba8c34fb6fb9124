"""Reporting events and reading them. Actions live in ``actions.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.auth.principal import Principal
from backend.common.pagination import checked_instant
from backend.db.engine import on_commit
from backend.db.models import Event, EventMedia, Media, TimelineEntry
from backend.errors import ProblemError
from backend.events.casenum import next_case_no
from backend.events.duplicates import possible_duplicates
from backend.events.rules import SLA_RUNNING
from backend.events.visibility import visible_clause
from backend.media_api.evidence import AttachedMedia
from backend.media_api.service import MediaLinks, load_owned_media
from backend.orgs import service as orgs
from backend.orgs.geo import haversine_m
from backend.sla.service import SlaPlanner
from schemas.events import DuplicateOut, EventCreateIn

__all__ = ["REPORTER_ROLES", "Created", "EventFilters", "EventService"]

REPORTER_ROLES = frozenset({"grid_worker", "street_dispatcher", "district_dispatcher"})


@dataclass(frozen=True, slots=True)
class EventFilters:
    status: list[str] | None = None
    category: list[str] | None = None
    street_id: str | None = None
    community_id: str | None = None
    grid_id: str | None = None
    assignee_org_id: str | None = None
    sla_state: str | None = None
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


# Hooks run inside the transaction of the change, after it is written: other domains (inbox
# tasks, notifications, rooms, city sync) add their rows there, so all commit together.
CreatedHook = Callable[[AsyncSession, Event, Principal, datetime], Awaitable[None]]
ActionHook = Callable[[AsyncSession, Any, datetime], Awaitable[None]]  # Any: ActionOutcome


@dataclass
class EventHooks:
    created: list[CreatedHook] = field(default_factory=list)
    action: list[ActionHook] = field(default_factory=list)
    # Before the action's row changes are written: hooks that only set the event's own
    # columns, so they go out in the action's one UPDATE of the event.
    before_write: list[ActionHook] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Created:
    """What ``create`` already knows that presenting the new event would otherwise query."""

    category_name: str
    has_media: bool


def not_found() -> ProblemError:
    return ProblemError(404, "not_found", "event not found")


class EventService:
    def __init__(
        self,
        *,
        planner: SlaPlanner,
        links: MediaLinks,
        grids: orgs.GridIndexHolder,
        duplicate_window: timedelta,
        gps_mismatch_m: float,
        on_media_attached: Callable[[list[AttachedMedia]], None] | None = None,
        categories: orgs.CategoryCache | None = None,
    ) -> None:
        self.planner = planner
        self.links = links
        self.grids = grids
        self.duplicate_window = duplicate_window
        self.gps_mismatch_m = gps_mismatch_m
        self.hooks = EventHooks()
        self.on_media_attached = on_media_attached
        self.categories = categories or orgs.CategoryCache()

    # -- reading ----------------------------------------------------------------------------
    async def get_visible(
        self, session: AsyncSession, principal: Principal, event_id: str, *, lock: bool = False
    ) -> Event:
        query = select(Event).where(Event.id == event_id, visible_clause(principal))
        if lock:
            query = query.with_for_update()
        event = (await session.execute(query)).scalar_one_or_none()
        if event is None:
            raise not_found()
        return event

    def list_query(
        self, principal: Principal, filters: EventFilters, now: datetime
    ) -> Select[Event]:
        query = select(Event).where(visible_clause(principal))
        f = filters
        if f.status:
            query = query.where(Event.status.in_(f.status))
        if f.category:
            query = query.where(Event.category_code.in_(f.category))
        if f.street_id:
            query = query.where(Event.street_id == f.street_id)
        if f.community_id:
            query = query.where(Event.community_id == f.community_id)
        if f.grid_id:
            query = query.where(Event.grid_id == f.grid_id)
        if f.assignee_org_id:
            query = query.where(Event.assignee_org_id == f.assignee_org_id)
        if f.since:
            query = query.where(Event.updated_at >= f.since)
        # The statistics' window [from, to) on created_at, so a figure opens its own list.
        if f.created_from:
            query = query.where(Event.created_at >= f.created_from)
        if f.created_to:
            query = query.where(Event.created_at < f.created_to)
        if f.bbox:
            min_lng, min_lat, max_lng, max_lat = f.bbox
            query = query.where(
                Event.lat.between(min_lat, max_lat), Event.lng.between(min_lng, max_lng)
            )
        if f.q:
            escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            query = query.where(
                or_(
                    Event.description.ilike(like, escape="\\"),
                    Event.address.ilike(like, escape="\\"),
                    Event.case_no.ilike(like, escape="\\"),
                )
            )
        if f.sla_state:
            running = Event.status.in_(SLA_RUNNING)
            if f.sla_state == "overdue":
                query = query.where(running, Event.due_at < now)
            elif f.sla_state == "warning":
                query = query.where(running, Event.warn_at <= now, Event.due_at >= now)
            else:
                query = query.where(running, Event.warn_at > now)
        return query

    # -- reporting --------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, data: EventCreateIn, now: datetime
    ) -> tuple[Event, list[DuplicateOut]]:
        event, duplicates, _ = await self.report(session, principal, data, now)
        return event, duplicates

    async def report(
        self, session: AsyncSession, principal: Principal, data: EventCreateIn, now: datetime
    ) -> tuple[Event, list[DuplicateOut], Created]:
        """``create``, plus what it learnt on the way that presenting the event needs."""
        if principal.role not in REPORTER_ROLES:
            audit.record_after_rollback(
                session,
                action="forbidden",
                actor_id=principal.id,
                target_type="event",
                target_id=None,
                data={"attempt": "create"},
            )
            raise ProblemError(403, "forbidden", "your role may not report events")
        category = await self.categories.get_active(session, data.category_code)
        if category is None:
            raise ProblemError(
                422,
                "unknown_category",
                f"no active category {data.category_code!r}",
                errors=[{"field": "category_code", "message": "unknown", "source": "body"}],
            )
        occurred_at = checked_instant(data.occurred_at, "occurred_at", "body")
        grid_id, community_id, street_id = await orgs.locate_ids(
            session, self.grids, data.location.lat, data.location.lng
        )
        media = await load_owned_media(session, principal, data.media_ids)
        event = Event(
            case_no=await next_case_no(session, now),
            status="reported",
            source=data.source,
            category_code=category.code,
            grade=data.grade,
            description=data.description,
            lat=data.location.lat,
            lng=data.location.lng,
            address=data.location.address,
            grid_id=grid_id,
            community_id=community_id,
            street_id=street_id,
            reporter_id=principal.id,
            occurred_at=occurred_at,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        await session.flush()
        session.add(
            TimelineEntry(
                event_id=event.id,
                seq=1,
                at=now,
                actor_id=principal.id,
                action="report_event",
                from_status=None,
                to_status="reported",
                note=data.description,
                data={"grade": data.grade, "category_code": category.code},
            )
        )
        self.attach_media(session, event, media, seq=1, near=(event.lat, event.lng))
        audit.record(
            session,
            action="event.create",
            actor_id=principal.id,
            target_type="event",
            target_id=event.id,
            data={"case_no": event.case_no},
        )
        await session.flush()
        for hook in self.hooks.created:
            await hook(session, event, principal, now)
        phashes = [m.phash for m in media if m.phash is not None]
        duplicates = await possible_duplicates(
            session,
            event,
            principal,
            radius_m=category.duplicate_radius_m,
            now=now,
            window=self.duplicate_window,
            phashes=phashes,
        )
        return event, duplicates, Created(category_name=category.name, has_media=bool(media))

    def attach_media(
        self,
        session: AsyncSession,
        event: Event,
        media: list[Media],
        *,
        seq: int,
        near: tuple[float, float] | None,
    ) -> None:
        items = []
        for m in media:
            mismatch = False
            if near is not None and m.gps_lat is not None and m.gps_lng is not None:
                distance = haversine_m(near[0], near[1], m.gps_lat, m.gps_lng)
                mismatch = distance > self.gps_mismatch_m
            session.add(
                EventMedia(
                    event_id=event.id, media_id=m.id, timeline_seq=seq, location_mismatch=mismatch
                )
            )
            items.append(
                AttachedMedia(
                    media_id=m.id,
                    sha256=m.sha256,
                    taken_at=m.taken_at,
                    uploaded_at=m.created_at,
                    case_no=event.case_no,
                    address=event.address,
                    lat=event.lat,
                    lng=event.lng,
                )
            )
        if items and self.on_media_attached is not None:
            listener = self.on_media_attached
            on_commit(session, lambda: listener(items))
