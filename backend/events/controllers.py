"""HTTP: report, list, read and act on events."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlalchemy import and_, or_

from backend.audit import service as audit
from backend.auth.principal import Principal
from backend.common.conditional import conditional_json
from backend.common.pagination import (
    Cursor,
    Limit,
    checked_instant,
    decode_cursor,
    encode_cursor,
)
from backend.db.models import Event
from backend.deps import DB, Caller, kept_answer
from backend.errors import ProblemError
from backend.events.actions import apply_action
from backend.events.created import created_out
from backend.events.filters import provide_event_filters
from backend.events.presenter import (
    detail_out,
    events_out,
    load_events,
    present_detail,
    sla_until,
)
from backend.events.service import EventFilters, not_found
from backend.events.visibility import visible_event
from backend.idempotency.service import IdempotencyPolicy, run_idempotent
from backend.parts import ContextDep
from backend.settings import Settings
from schemas.events import ActionIn, EventCreateIn, EventDetailOut, EventOut

__all__ = ["EventsController"]


class EventPage(msgspec.Struct, kw_only=True):
    items: list[EventOut]
    next_cursor: str | None


def _policy(s: Settings) -> IdempotencyPolicy:
    return IdempotencyPolicy(keep_hours=s.idempotency_hours)


def _reveals_phone(p: Principal, e: Any) -> bool:
    return p.role == "district_dispatcher" or (
        p.role == "street_dispatcher" and p.street_id == e.street_id
    )


class EventsController(Controller):
    path = "/events"
    tags = ["events"]

    @post("", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[EventCreateIn],
    ) -> Response[EventOut]:
        svc = ctx.events

        async def produce() -> tuple[int, EventOut]:
            now = ctx.now()
            event, duplicates, created = await svc.report(db, principal, data, now)
            out = await created_out(db, event, created, principal, svc.links, now=now)
            out.possible_duplicates = duplicates
            return 201, out

        return await run_idempotent(  # type: ignore[return-value]  # a replay returns the stored Response
            request,
            db,
            user_id=principal.id,
            scope="POST /events",
            produce=produce,
            policy=_policy(ctx.settings),
        )

    @get("", dependencies={"filters": Provide(provide_event_filters)}, before_request=kept_answer)
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        filters: NamedDependency[EventFilters],
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Response[EventPage]:
        svc = ctx.events
        now = ctx.now()
        # A list filtered by sla_state gains and loses members with the clock: never kept.
        view = None if filters.sla_state else ctx.views.slot(request, principal, db)
        query = svc.list_query(principal, filters, now)
        if cursor:
            c = decode_cursor(cursor, ("t", "id"))
            at = checked_instant(c["t"], "cursor", "query")
            if at is None or not isinstance(c["id"], str):
                raise ProblemError(400, "validation_failed", "cursor is not valid")
            query = query.where(
                or_(Event.created_at < at, and_(Event.created_at == at, Event.id < c["id"]))
            )
        query = query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit + 1)
        loaded = await load_events(db, query, limit=limit)
        items = events_out(loaded, principal, svc.links, now=now)
        last = loaded.rows[-1] if loaded.more else None
        next_cursor = (
            encode_cursor({"t": last.created_at.isoformat(), "id": last.id}) if last else None
        )
        page = EventPage(items=items, next_cursor=next_cursor)
        return conditional_json(
            request, page, now=svc.links.clock(), view=view, sla_until=sla_until(loaded, now)
        )

    # Unmasked phone reads are audited: a session that writes.
    @get("/{event_id:str}", opt={"writes": True}, before_request=kept_answer)
    async def detail(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        event_id: FromPath[str],
    ) -> Response[EventDetailOut]:
        svc = ctx.events
        now = ctx.now()
        # A kept 304 (kept_answer) sends no phone number: nothing to audit; an audited 200
        # is kept for 304s only (replay=False).
        view = ctx.views.slot(request, principal, db)
        # The visibility check and the answer's first statement are one: a page_query of
        # the event where the caller sees it.
        loaded = await load_events(db, visible_event(principal, event_id), timeline=True)
        if not loaded.rows:
            raise not_found()
        event = loaded.rows[0]
        reveal = _reveals_phone(principal, event)
        if reveal:
            audit.record(
                db,
                action="phone.unmasked",
                actor_id=principal.id,
                target_type="user",
                target_id=event.reporter_id,
                data={"event_id": event.id},
            )
        out = detail_out(loaded, principal, svc.links, now=now, reveal_phone=reveal)
        return conditional_json(
            request,
            out,
            now=svc.links.clock(),
            view=view,
            sla_until=sla_until(loaded, now),
            replay=not reveal,
        )

    @post("/{event_id:str}/actions", status_code=200)
    async def act(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        event_id: FromPath[str],
        data: JSONBody[ActionIn],
    ) -> Response[EventDetailOut]:
        svc = ctx.events

        async def produce() -> tuple[int, EventDetailOut]:
            now = ctx.now()
            outcome = await apply_action(svc, db, principal, event_id, data, now)
            # The unmasked phone is for reading a case (and audited there); an action's
            # answer shows the masked number only.
            out = await present_detail(
                db, outcome.event, principal, svc.links, now=now, reveal_phone=False
            )
            return 200, out

        return await run_idempotent(  # type: ignore[return-value]  # a replay returns the stored Response
            request,
            db,
            user_id=principal.id,
            scope=f"POST /events/{event_id}/actions",
            produce=produce,
            policy=_policy(ctx.settings),
        )
