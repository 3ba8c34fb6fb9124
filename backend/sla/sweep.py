"""The SLA sweep: fires each task's warning, overdue and escalation crossing exactly once.

It reads only tasks whose next crossing is due, through an index, in batches; on
PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED so two schedulers (during a
leader hand-over) never fire the same crossing. Flags make it idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Event, Org, Task
from backend.db.transaction import transaction
from backend.events.actions import record_system_action
from backend.inbox.numbers import number_at_commit
from backend.inbox.service import set_sla
from backend.notify.service import Outgoing

if TYPE_CHECKING:
    from backend.context import AppContext

__all__ = ["SweepResult", "sla_sweep", "sweep_once"]

log = logging.getLogger("chengyun.sla")

BATCH = 500


@dataclass
class SweepResult:
    warnings: int = 0
    overdue: int = 0
    escalations: int = 0

    @property
    def total(self) -> int:
        return self.warnings + self.overdue + self.escalations


class Recipients:
    """Who an org's notifications go to, resolved once per org and role in a sweep batch
    (a thousand due tasks usually belong to a dozen departments)."""

    def __init__(self, notify: Any, session: AsyncSession, now: datetime) -> None:
        self.notify, self.session, self.now = notify, session, now
        self._seen: dict[tuple[str, tuple[str, ...] | None], list[str]] = {}
        self.outbox: list[Outgoing] = []

    async def of_org(self, org_id: str, roles: list[str] | None) -> list[str]:
        key = (org_id, tuple(roles) if roles else None)
        if key not in self._seen:
            self._seen[key] = await self.notify.org_recipients(
                self.session, org_id=org_id, roles=roles, now=self.now
            )
        return self._seen[key]

    async def tell(self, user_ids: list[str], **kw: Any) -> None:
        if user_ids:
            self.outbox.append(Outgoing(user_ids=user_ids, **kw))

    async def flush(self) -> None:
        """Write every collected notification in one go, in the batch's transaction."""
        if self.outbox:
            await self.notify.notify_many(self.session, self.outbox, now=self.now)
            self.outbox = []

    async def tell_assignee(self, task: Task, **kw: Any) -> None:
        if task.assignee_user_id:
            await self.tell([task.assignee_user_id], **kw)
        elif task.assignee_org_id:
            roles = [task.assignee_role] if task.assignee_role else None
            await self.tell(await self.of_org(task.assignee_org_id, roles), **kw)


async def _fire(
    ctx: AppContext, session: AsyncSession, task: Task, now: datetime, tell: Recipients | None
) -> SweepResult:
    done = SweepResult()
    event = await session.get(Event, task.event_id) if task.event_id else None
    case_no = event.case_no if event else ""
    data = {"event_id": event.id, "case_no": case_no} if event else {}
    collapse = f"sla:{task.event_id}"
    if task.warn_at is not None and not task.warned and task.warn_at <= now:
        task.warned = True
        done.warnings += 1
        if tell is not None:
            await tell.tell_assignee(
                task,
                kind="sla_warning",
                title="案件即将超时",
                body=f"案件 {case_no} 已用时 80%，请抓紧处置",
                data=data,
                collapse_key=collapse,
            )
    if task.due_at is not None and not task.overdue_fired and task.due_at < now:
        task.overdue_fired = True
        done.overdue += 1
        if tell is not None:
            kw: dict[str, Any] = {
                "kind": "sla_overdue",
                "title": "案件已超时",
                "body": f"案件 {case_no} 已超过处置时限",
                "data": data,
                "collapse_key": collapse,
            }
            await tell.tell_assignee(task, **kw)
            if event is not None:
                await tell.tell(await tell.of_org(event.street_id, ["street_dispatcher"]), **kw)
        if event is not None:
            event.supervision_count += 1
            await record_system_action(
                ctx.events,
                session,
                event,
                action="supervise",
                note="超时自动督办",
                data={"automatic": True, "reason": "overdue"},
                now=now,
            )
    if task.escalate_at is not None and not task.escalation_fired and task.escalate_at < now:
        task.escalation_fired = True
        done.escalations += 1
        if event is not None and not event.escalated:
            event.escalated = True
            await record_system_action(
                ctx.events,
                session,
                event,
                action="escalate",
                note="超时未处置，自动上报区城运中心",
                data={"automatic": True},
                now=now,
            )
            district = (
                await session.execute(select(Org.id).where(Org.type == "district"))
            ).scalar_one_or_none()
            if tell is not None and district is not None:
                await tell.tell(
                    await tell.of_org(district, ["district_dispatcher"]),
                    kind="escalated",
                    title="超时案件自动上报",
                    body=f"案件 {case_no} 超时未处置，已上报区城运中心",
                    data=data,
                    priority="high",
                    collapse_key=f"esc:{task.event_id}",
                )
    # Re-arm the index for whatever crossing remains (the change number that lets synced
    # phones see the new sla_state is given per batch, in sweep_once).
    set_sla(task, due_at=task.due_at, warn_at=task.warn_at, escalate_at=task.escalate_at)
    task.updated_at = now
    return done


async def sweep_once(ctx: AppContext, now: datetime, *, batch: int = BATCH) -> SweepResult:
    """One batch in one transaction; returns what fired."""
    total = SweepResult()
    # Committed when the batch is done; then what its hooks hung on the commit runs: the
    # sockets' `event` frames of the automatic supervision and escalation, the
    # `notification` frames and pushes.
    async with ctx.db.sessions() as session, transaction(session):
        query = (
            select(Task)
            .where(Task.state == "open", Task.next_crossing_at <= now)
            .order_by(Task.next_crossing_at)
            .limit(batch)
        )
        if not ctx.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        tell = Recipients(ctx.notify, session, now)
        tasks = (await session.execute(query)).scalars().all()
        for task in tasks:
            fired = await _fire(ctx, session, task, now, tell)
            total.warnings += fired.warnings
            total.overdue += fired.overdue
            total.escalations += fired.escalations
        if tell is not None:
            await tell.flush()
        # Numbered at commit with the hooks' task changes: one counter update for the
        # batch, taken last (backend/inbox/numbers.py).
        for task in tasks:
            number_at_commit(session, task)
    return total


async def sla_sweep(ctx: AppContext) -> None:
    """The scheduled job: batches until nothing is due."""
    now = ctx.now()
    while True:
        fired = await sweep_once(ctx, now)
        if fired.total:
            log.info("sla sweep: %s", fired)
        if fired.total == 0:
            return
