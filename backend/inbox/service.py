"""Tasks: opened and closed in the transaction of the change that causes them.

Event tasks are *reconciled*: after every event change the event's desired tasks are
derived from its state and compared with its open ones, so no action can forget to close
one. Instruction tasks (rooms) are opened and closed explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import (
    Event,
    EventExtension,
    Org,
    Task,
    TaskTombstone,
    TimelineEntry,
    User,
)
from backend.events.rules import SLA_RUNNING
from backend.inbox.numbers import next_rev, next_revs, number_at_commit

__all__ = [
    "Assignee",
    "Known",
    "close_tasks",
    "next_rev",
    "next_revs",
    "open_task",
    "reconcile_event_tasks",
    "task_visible_to",
    "tombstone_visible_to",
]


@dataclass(frozen=True, slots=True)
class Assignee:
    user_id: str | None = None
    org_id: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """What an event's change already knows (None: ask the database): whether an extension
    is pending, and the type of the assignee org (an action's ``ActionOutcome`` hints)."""

    extension_pending: bool | None = None
    assignee_org_type: str | None = None


def _next_crossing(task: Task) -> datetime | None:
    pending = [
        at
        for at, fired in (
            (task.warn_at, task.warned),
            (task.due_at, task.overdue_fired),
            (task.escalate_at, task.escalation_fired),
        )
        if at is not None and not fired
    ]
    return min(pending) if pending else None


class SlaTimes(TypedDict):
    """The three crossings of a handling task, as ``set_sla`` and ``open_task`` take them."""

    due_at: datetime | None
    warn_at: datetime | None
    escalate_at: datetime | None


_NO_SLA = SlaTimes(due_at=None, warn_at=None, escalate_at=None)


def set_sla(
    task: Task,
    *,
    due_at: datetime | None,
    warn_at: datetime | None,
    escalate_at: datetime | None,
) -> None:
    """(Re)arm the crossings; a moved due time (approved extension) fires them again."""
    if (task.due_at, task.warn_at, task.escalate_at) != (due_at, warn_at, escalate_at):
        task.due_at, task.warn_at, task.escalate_at = due_at, warn_at, escalate_at
        task.warned = task.overdue_fired = task.escalation_fired = False
    # Only case handling runs on the SLA clock; instruction reminders are the rooms' own.
    task.next_crossing_at = _next_crossing(task) if task.kind == "handle" else None


async def open_task(
    session: AsyncSession,
    *,
    kind: str,
    now: datetime,
    user_id: str | None = None,
    org_id: str | None = None,
    role: str | None = None,
    event_id: str | None = None,
    room_id: str | None = None,
    message_seq: int | None = None,
    due_at: datetime | None = None,
    warn_at: datetime | None = None,
    escalate_at: datetime | None = None,
) -> str:
    if user_id is None and org_id is None:
        raise ValueError("a task needs a user or an org")
    task = Task(
        kind=kind,
        state="open",
        event_id=event_id,
        room_id=room_id,
        message_seq=message_seq,
        assignee_user_id=user_id,
        assignee_org_id=org_id,
        assignee_role=role,
        created_at=now,
        updated_at=now,
    )
    set_sla(task, due_at=due_at, warn_at=warn_at, escalate_at=escalate_at)
    session.add(task)
    number_at_commit(session, task)
    await session.flush()
    return task.id


async def _close(session: AsyncSession, task: Task, now: datetime, reason: str) -> None:
    task.state = "closed"
    task.closed_at = now
    task.close_reason = reason
    task.updated_at = now
    task.next_crossing_at = None
    tombstone = {
        "task_id": task.id,
        "audience_user_id": task.assignee_user_id,
        "audience_org_id": None if task.assignee_user_id else task.assignee_org_id,
        "audience_role": None if task.assignee_user_id else task.assignee_role,
        "created_at": now,
    }
    number_at_commit(session, task, tombstone)


async def close_tasks(
    session: AsyncSession,
    *,
    now: datetime,
    kind: str | None = None,
    user_id: str | None = None,
    event_id: str | None = None,
    room_id: str | None = None,
    message_seq: int | None = None,
    task_id: str | None = None,
    reason: str = "done",
) -> int:
    query = select(Task).where(Task.state == "open")
    for column, value in (
        (Task.id, task_id),
        (Task.kind, kind),
        (Task.assignee_user_id, user_id),
        (Task.event_id, event_id),
        (Task.room_id, room_id),
        (Task.message_seq, message_seq),
    ):
        if value is not None:
            query = query.where(column == value)
    tasks = (await session.execute(query.with_for_update())).scalars().all()
    for task in tasks:
        await _close(session, task, now, reason)
    await session.flush()
    return len(tasks)


# -- event tasks ---------------------------------------------------------------------------


async def _verifier(session: AsyncSession, event: Event) -> Assignee:
    """Independent verification: a worker of the grid who did not report the event."""
    workers = (
        (
            await session.execute(
                select(User.id)
                .where(
                    User.org_id == event.grid_id,
                    User.role == "grid_worker",
                    User.is_active.is_(True),
                    User.id != event.reporter_id,
                )
                .order_by(User.username)
            )
        )
        .scalars()
        .all()
    )
    if workers:
        return Assignee(user_id=workers[0])
    return Assignee(org_id=event.grid_id, role="grid_worker")


async def _handler(session: AsyncSession, event: Event, org_type: str | None) -> Assignee:
    if event.assignee_user_id:
        return Assignee(user_id=event.assignee_user_id)
    if org_type is None:
        org = await session.get(Org, event.assignee_org_id)
        org_type = org.type if org is not None else None
    role = "street_dispatcher" if org_type == "street" else "dept_handler"
    return Assignee(org_id=event.assignee_org_id, role=role)


async def _visited_since_close(session: AsyncSession, event: Event) -> bool:
    last_close = (
        select(TimelineEntry.seq)
        .where(TimelineEntry.event_id == event.id, TimelineEntry.action == "close")
        .order_by(TimelineEntry.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return bool(
        await session.scalar(
            select(
                exists().where(
                    TimelineEntry.event_id == event.id,
                    TimelineEntry.action == "visit",
                    TimelineEntry.seq > last_close,
                )
            )
        )
    )


async def desired_event_tasks(
    session: AsyncSession, event: Event, known: Known | None = None
) -> dict[str, Assignee]:
    """``known``: what the caller knows already (see ``Known``), saving its queries."""
    known = known or Known()
    street = Assignee(org_id=event.street_id, role="street_dispatcher")
    match event.status:
        case "reported":
            wanted = {"triage": street}
        case "registered":
            wanted = {"dispatch": street}
        case "dispatched" | "handling":
            wanted = {"handle": await _handler(session, event, known.assignee_org_type)}
        case "handled":
            wanted = {"verify": await _verifier(session, event)}
        case "verified":
            wanted = {"close": street}
        case "closed":
            visited = await _visited_since_close(session, event)
            wanted = (
                {} if visited else {"visit": Assignee(org_id=event.grid_id, role="grid_worker")}
            )
        case _:
            wanted = {}
    if event.status in SLA_RUNNING:
        pending = known.extension_pending
        if pending is None:
            pending = await session.scalar(
                select(
                    exists().where(
                        EventExtension.event_id == event.id, EventExtension.state == "pending"
                    )
                )
            )
        if pending:
            wanted["extension"] = street
    return wanted


async def reconcile_event_tasks(
    session: AsyncSession,
    event: Event,
    now: datetime,
    *,
    escalate_at: Callable[[datetime], datetime] | None = None,
    new: bool = False,
    known: Known | None = None,
) -> None:
    """``new``: the event was inserted in this transaction, so it has no tasks yet."""
    wanted = await desired_event_tasks(session, event, known)
    current: Sequence[Task] = ()
    if not new:
        current = (
            (
                await session.execute(
                    select(Task)
                    .where(
                        Task.event_id == event.id, Task.state == "open", Task.kind != "instruction"
                    )
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
    sla = SlaTimes(
        due_at=event.due_at,
        warn_at=event.warn_at,
        escalate_at=escalate_at(event.due_at) if event.due_at and escalate_at else None,
    )
    kept: set[str] = set()
    for task in current:
        target = wanted.get(task.kind)
        same = (
            target is not None
            and task.kind not in kept
            and (
                task.assignee_user_id,
                task.assignee_org_id if not task.assignee_user_id else None,
            )
            == (target.user_id, target.org_id if not target.user_id else None)
        )
        if not same:
            await _close(session, task, now, "reassigned" if target else "done")
            continue
        kept.add(task.kind)
        if task.kind == "handle":
            before = (task.due_at, task.warn_at, task.escalate_at)
            set_sla(task, **sla)
            if before != (task.due_at, task.warn_at, task.escalate_at):
                number_at_commit(session, task)
                task.updated_at = now
    for kind, target in wanted.items():
        if kind in kept:
            continue
        await open_task(
            session,
            kind=kind,
            now=now,
            user_id=target.user_id,
            org_id=None if target.user_id else target.org_id,
            role=None if target.user_id else target.role,
            event_id=event.id,
            **(sla if kind == "handle" else _NO_SLA),
        )
    await session.flush()


# -- who sees what -------------------------------------------------------------------------


def task_visible_to(p: Principal) -> ColumnElement[bool]:
    return or_(
        Task.assignee_user_id == p.id,
        and_(
            Task.assignee_user_id.is_(None),
            Task.assignee_org_id == p.org_id,
            Task.assignee_role == p.role,
        ),
    )


def tombstone_visible_to(p: Principal) -> ColumnElement[bool]:
    return or_(
        TaskTombstone.audience_user_id == p.id,
        and_(
            TaskTombstone.audience_org_id == p.org_id,
            TaskTombstone.audience_role == p.role,
        ),
    )
