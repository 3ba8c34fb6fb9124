"""Applying one lifecycle action: check, mutate, timeline, audit, all in the caller's session.

The timeline entry, version, audit row and hooks of every action are ``outcome.py``'s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.auth.principal import Principal
from backend.common.pagination import checked_instant
from backend.db.models import Event, EventAssignment, EventExtension, Org, User
from backend.errors import ProblemError
from backend.events import rules
from backend.events.outcome import ActionOutcome, append_entry, record_system_action
from backend.events.presenter import facts_of, pending_extensions
from backend.events.service import EventService
from backend.media_api.service import load_owned_media
from backend.sla.service import SlaPlan
from schemas import events as ev

__all__ = ["ActionOutcome", "apply_action", "dispatch_event", "record_system_action"]


def _unprocessable(code: str, detail: str, fld: str) -> ProblemError:
    return ProblemError(
        422, code, detail, errors=[{"field": fld, "message": detail, "source": "body"}]
    )


def _end_assignment(session: AsyncSession, event: Event, now: datetime, reason: str) -> Any:
    return session.execute(
        update(EventAssignment)
        .where(EventAssignment.event_id == event.id, EventAssignment.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def _clear_sla(event: Event) -> None:
    event.assignee_org_id = None
    event.assignee_user_id = None
    event.sla_clock = None
    event.sla_started_at = None
    event.warn_at = None
    event.due_at = None


async def _dispatch(
    svc: EventService, session: AsyncSession, p: Principal, e: Event, a: ev.Dispatch, now: datetime
) -> tuple[dict[str, Any], str]:
    """The assignment's timeline data, and the type of the org dispatched to."""
    org = await session.get(Org, a.org_id)
    # Only departments and streets have people who handle cases.
    if org is None or org.type not in {"department", "street"}:
        raise _unprocessable("invalid_assignee", "org_id must be a department or street", "org_id")
    if p.role == "street_dispatcher" and org.type == "street" and org.id != p.street_id:
        raise ProblemError(403, "forbidden", "a street dispatches within its own street")
    if a.user_id is not None:
        user = await session.get(User, a.user_id)
        if user is None or user.org_id != org.id or not user.is_active:
            raise _unprocessable(
                "invalid_assignee", "user_id must be a member of org_id", "user_id"
            )
    due_at = checked_instant(a.due_at, "due_at", "body")
    if due_at is not None and due_at <= now:
        raise _unprocessable("invalid_due_at", "due_at must be in the future", "due_at")
    return await _assign(svc, session, e, org, a.user_id, due_at, now), org.type


async def _assign(
    svc: EventService,
    session: AsyncSession,
    e: Event,
    org: Org,
    user_id: str | None,
    due_at: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The dispatch itself, shared by the action and the system's auto-dispatch."""
    category = await svc.categories.get_active(session, e.category_code)
    hours = float((category.sla_hours if category else {}).get(str(e.grade), 24))
    clock = category.sla_clock if category else "working"
    plan = svc.planner.plan(clock=clock, hours=hours, start=now, due_override=due_at)
    e.assignee_org_id = org.id
    e.assignee_user_id = user_id
    e.sla_clock, e.sla_started_at, e.warn_at, e.due_at = (
        plan.clock,
        plan.started_at,
        plan.warn_at,
        plan.due_at,
    )
    e.handled_at = None
    session.add(EventAssignment(event_id=e.id, org_id=org.id, user_id=user_id, assigned_at=now))
    return {
        "org_id": org.id,
        "org_name": org.name,
        "user_id": user_id,
        "due_at": plan.due_at.isoformat(),
        "clock": plan.clock,
    }


async def dispatch_event(
    svc: EventService,
    session: AsyncSession,
    event: Event,
    *,
    org_id: str,
    note: str,
    data: dict[str, Any],
    now: datetime,
) -> ActionOutcome:
    """A dispatch the system takes on its own (smart dispatch of a registered event): the
    same assignment and SLA plan as the ``dispatch`` action, a timeline entry with a null
    actor, and the same hooks (tasks, notifications) as a dispatcher's dispatch."""
    org = await session.get(Org, org_id)
    if org is None or org.type not in {"department", "street"}:
        raise _unprocessable("invalid_assignee", "org_id must be a department or street", "org_id")
    assigned = await _assign(svc, session, event, org, None, None, now)
    return await record_system_action(
        svc,
        session,
        event,
        action="dispatch",
        note=note,
        data={**assigned, **data},
        now=now,
        to_status="dispatched",
    )


async def _merge(
    svc: EventService, session: AsyncSession, p: Principal, e: Event, a: ev.Merge
) -> dict[str, Any]:
    if a.into_event_id == e.id:
        raise _unprocessable(
            "invalid_merge", "an event cannot be merged into itself", "into_event_id"
        )
    try:
        target = await svc.get_visible(session, p, a.into_event_id)
    except ProblemError as exc:
        raise _unprocessable("invalid_merge", "into_event_id not found", "into_event_id") from exc
    if target.status not in rules.OPEN_STATUSES:
        raise _unprocessable("invalid_merge", "the target event is not open", "into_event_id")
    e.duplicate_of = target.id
    return {"into_event_id": target.id, "into_case_no": target.case_no}


async def apply_action(
    svc: EventService,
    session: AsyncSession,
    principal: Principal,
    event_id: str,
    action: ev.ActionIn,
    now: datetime,
) -> ActionOutcome:
    name = type(action).__struct_config__.tag
    assert isinstance(name, str)  # every ActionIn member is tagged with its action's name
    event = await svc.get_visible(session, principal, event_id, lock=True)
    pending = (await pending_extensions(session, [event.id])).get(event.id)
    facts = facts_of(event, pending is not None)
    verdict = rules.check_action(principal, facts, name)
    if verdict == "forbidden":
        audit.record_after_rollback(
            session,
            action="forbidden",
            actor_id=principal.id,
            target_type="event",
            target_id=event.id,
            data={"attempt": name},
        )
        raise ProblemError(403, "forbidden", f"your role may not {name} this event")
    if action.expected_version is not None and action.expected_version != event.version:
        raise ProblemError(
            409,
            "version_conflict",
            "the event changed since you read it",
            current_version=event.version,
        )
    if verdict == "invalid_transition":
        raise ProblemError(
            409,
            "invalid_transition",
            f"cannot {name} an event that is {event.status}",
            status_now=event.status,
            allowed_actions=rules.allowed_actions(principal, facts),
        )
    rule = rules.ACTIONS[name]
    from_status = event.status
    to_status = rule.to_status or from_status
    note: str | None = getattr(action, "note", None)
    data: dict[str, Any] = {}
    media: list[Any] = []
    media_near: tuple[float, float] | None = (event.lat, event.lng)
    seq = event.version + 1
    known: dict[str, Any] = {"extension_pending": pending is not None}

    match action:
        case ev.Accept():
            if action.category_code is not None:
                if await svc.categories.get_active(session, action.category_code) is None:
                    raise _unprocessable("unknown_category", "unknown category", "category_code")
                data["category_code"] = {"from": event.category_code, "to": action.category_code}
                event.category_code = action.category_code
            if action.grade is not None:
                data["grade"] = {"from": event.grade, "to": action.grade}
                event.grade = action.grade
        case ev.Reject() | ev.Return() | ev.Reopen() | ev.Cancel() | ev.Escalate():
            note = action.reason
            if isinstance(action, ev.Return | ev.Reopen | ev.Cancel):
                reason = {ev.Return: "returned", ev.Reopen: "reopened", ev.Cancel: "cancelled"}
                await _end_assignment(session, event, now, reason[type(action)])
                data["org_id"] = event.assignee_org_id
                _clear_sla(event)
            if isinstance(action, ev.Reopen):
                event.closed_at = None
                event.handled_at = None
            if isinstance(action, ev.Escalate):
                event.escalated = True
        case ev.Dispatch():
            data, known["assignee_org_type"] = await _dispatch(
                svc, session, principal, event, action, now
            )
        case ev.Start():
            pass
        case ev.ReportDone():
            category = await svc.categories.get_active(session, event.category_code)
            if category is not None and category.photo_required and not action.media_ids:
                raise _unprocessable(
                    "photo_required", "this category needs at least one photo", "media_ids"
                )
            media = await load_owned_media(session, principal, action.media_ids)
            if action.location is not None:
                media_near = (action.location.lat, action.location.lng)
                data["location"] = {"lat": action.location.lat, "lng": action.location.lng}
            event.handled_at = now
        case ev.Verify():
            media = await load_owned_media(session, principal, action.media_ids)
            to_status = "verified" if action.passed else "handling"
            data["passed"] = action.passed
            if not action.passed:
                event.handled_at = None
        case ev.Close():
            event.closed_at = now
            await _end_assignment(session, event, now, "closed")
        case ev.Visit():
            data["satisfaction"] = action.satisfaction
        case ev.Merge():
            data = await _merge(svc, session, principal, event, action)
            await _end_assignment(session, event, now, "merged")
            _clear_sla(event)
        case ev.RequestExtension():
            note = action.reason
            ext = EventExtension(
                event_id=event.id,
                requested_by=principal.id,
                hours=action.hours,
                reason=action.reason,
                requested_at=now,
            )
            session.add(ext)
            await session.flush()
            data = {"extension_id": ext.id, "hours": action.hours}
            known["extension_pending"] = True
        case ev.DecideExtension():
            assert pending is not None  # the rule's precondition guarantees it
            pending.state = "approved" if action.approve else "rejected"
            pending.decided_by = principal.id
            pending.decided_at = now
            pending.note = action.note
            known["extension_pending"] = False
            data = {"extension_id": pending.id, "approve": action.approve, "hours": pending.hours}
            if action.approve and event.due_at and event.sla_started_at and event.sla_clock:
                plan = svc.planner.extend(
                    SlaPlan(
                        event.sla_clock,
                        event.sla_started_at,
                        event.warn_at or event.due_at,
                        event.due_at,
                    ),
                    pending.hours,
                )
                data["due_at"] = {"from": event.due_at.isoformat(), "to": plan.due_at.isoformat()}
                event.warn_at, event.due_at = plan.warn_at, plan.due_at
        case ev.Supervise():
            event.supervision_count += 1
        case ev.Comment():
            media = await load_owned_media(session, principal, action.media_ids)
            media_near = None

    svc.attach_media(session, event, media, seq=seq, near=media_near)
    return await append_entry(
        svc,
        session,
        event,
        action=name,
        actor=principal,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data,
        now=now,
        known=known,
    )
