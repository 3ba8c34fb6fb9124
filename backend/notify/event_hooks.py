"""Who hears about an event action: an events hook, run inside the action's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import EventExtension, Org
from backend.notify.service import NotifyService

__all__ = ["EventNotifier"]

# Bodies are cut by characters, never bytes, so Chinese text is never split mid-character.
_BODY_CHARS = 120


def _cut(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= _BODY_CHARS else text[: _BODY_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: str
    title: str
    body: str
    # Exactly one of these addresses the notification.
    user_ids: tuple[str, ...] = ()
    org_id: str | None = None
    roles: tuple[str, ...] | None = None
    priority: Literal["normal", "high"] = "normal"


class EventNotifier:
    """Turns an ``ActionOutcome`` into notifications through the one NotifyService."""

    def __init__(self, notify: NotifyService) -> None:
        self.notify = notify

    async def on_action(self, session: AsyncSession, outcome: Any, now: datetime) -> None:
        plan = await self._plan(session, outcome)
        if plan is None:
            return
        event = outcome.event
        common: dict[str, Any] = {
            "kind": plan.kind,
            "title": plan.title,
            "body": plan.body,
            "data": {"event_id": event.id, "case_no": event.case_no},
            "priority": plan.priority,
            "collapse_key": f"{plan.kind}:{event.id}",
            "now": now,
        }
        actor_id = outcome.actor.id if outcome.actor is not None else None
        # Nobody is told about what they just did themselves.
        if plan.org_id is not None:
            await self.notify.notify_org(
                session, org_id=plan.org_id, roles=plan.roles, exclude=actor_id, **common
            )
            return
        users = [u for u in plan.user_ids if u != actor_id]
        if users:
            await self.notify.notify_users(session, user_ids=users, **common)

    async def _plan(self, session: AsyncSession, o: Any) -> _Plan | None:
        e, case_no, note = o.event, o.event.case_no, _cut(o.note)
        match o.action:
            case "dispatch":
                body = f"{o.data.get('org_name', '')}: {_cut(e.description)}"
                if o.data.get("user_id"):
                    return _Plan(
                        "event_assigned", f"新派遣事件 {case_no}", body, (o.data["user_id"],)
                    )
                return _Plan(
                    "event_assigned", f"新派遣事件 {case_no}", body, org_id=o.data["org_id"]
                )
            case "return":
                return _Plan(
                    "event_returned",
                    f"事件被退回 {case_no}",
                    f"退回原因: {note}",
                    org_id=e.street_id,
                    roles=("street_dispatcher",),
                )
            case "report":
                return _Plan(
                    "event_handled",
                    f"您上报的事件已处置 {case_no}",
                    note or "处置完成, 待核查",
                    (e.reporter_id,),
                )
            case "supervise":
                title = f"督办 {case_no}"
                if e.assignee_user_id:
                    return _Plan("supervised", title, note, (e.assignee_user_id,))
                if e.assignee_org_id:
                    return _Plan("supervised", title, note, org_id=e.assignee_org_id)
                # Not dispatched yet: the street that holds it answers for it.
                return _Plan(
                    "supervised", title, note, org_id=e.street_id, roles=("street_dispatcher",)
                )
            case "escalate":
                district = await session.scalar(select(Org.id).where(Org.type == "district"))
                if district is None:
                    return None
                return _Plan(
                    "escalated",
                    f"事件上报区城运中心 {case_no}",
                    f"上报原因: {note}",
                    org_id=district,
                    roles=("district_dispatcher",),
                    priority="high",
                )
            case "decide_extension":
                ext = await session.get(EventExtension, o.data["extension_id"])
                if ext is None:
                    return None
                verdict = "已批准" if o.data.get("approve") else "未批准"
                body = f"延期 {ext.hours:g} 小时{verdict}" + (f": {note}" if note else "")
                return _Plan(
                    "extension_decided",
                    f"延期申请{verdict} {case_no}",
                    body,
                    (ext.requested_by,),
                )
        return None
