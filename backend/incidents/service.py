"""Declaring and closing incidents. Takes the request's session; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.context import AppContext
from backend.db.models import Incident, Org, Room, RoomMember, User
from backend.errors import ProblemError
from backend.incidents.plans import DEFAULT_PLAN, PLANS
from backend.rooms import peers
from backend.rooms import service as rooms_service
from schemas.incidents import IncidentIn, IncidentOut
from schemas.rooms import RoomCreateIn

__all__ = ["DECLARING_ROLES", "close_incident", "declare", "present"]

DECLARING_ROLES = frozenset({"district_dispatcher", "official", "admin"})
LEVEL_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}


async def present(session: AsyncSession, incident: Incident) -> IncidentOut:
    orgs = (
        await session.scalars(
            select(RoomMember.org_id).where(
                RoomMember.room_id == incident.room_id, RoomMember.org_id.is_not(None)
            )
        )
    ).all()
    members = await rooms_service.member_user_ids(session, incident.room_id)
    return IncidentOut(
        id=incident.id,
        room_id=incident.room_id,
        title=incident.title,
        level=incident.level,
        status=incident.status,
        plan_code=incident.plan_code,
        event_id=incident.event_id,
        location=incident.location,
        department_org_ids=sorted(o for o in orgs if o),
        member_count=len(members),
        declared_by=incident.declared_by,
        created_at=incident.created_at,
        closed_at=incident.closed_at,
    )


async def declare(
    ctx: AppContext, session: AsyncSession, principal: Principal, data: IncidentIn, now: datetime
) -> Incident:
    if principal.role not in DECLARING_ROLES:
        raise ProblemError(403, "forbidden", "only district dispatchers and officials declare")
    plan = PLANS.get(data.plan_code or DEFAULT_PLAN)
    if plan is None:
        raise ProblemError(
            422,
            "unknown_plan",
            f"no response plan {data.plan_code!r}",
            errors=[{"field": "plan_code", "message": "unknown plan", "source": "body"}],
        )
    event = None
    if data.event_id:
        event = await ctx.events.get_visible(session, principal, data.event_id)
    depts = list(
        (await session.scalars(select(Org.id).where(Org.code.in_(plan.departments)))).all()
    )
    officials = list(
        (
            await session.scalars(
                select(User.id).where(User.role == "official", User.is_active.is_(True))
            )
        ).all()
    )
    room, _ = await rooms_service.new_room(
        session,
        principal,
        RoomCreateIn(
            title=f"【{LEVEL_NAMES[data.level]}·{plan.name}】{data.title}"[:200],
            kind="incident",
            member_user_ids=officials,
            member_org_ids=depts,
        ),
        now,
        event=event,
    )
    location: dict[str, float | str] | None = None
    if data.location is not None:
        location = {"lat": data.location.lat, "lng": data.location.lng}
        if data.location.address:
            location["address"] = data.location.address
    incident = Incident(
        title=data.title,
        level=data.level,
        plan_code=plan.code,
        event_id=event.id if event else None,
        location=location,
        room_id=room.id,
        status="active",
        declared_by=principal.id,
        created_at=now,
    )
    session.add(incident)
    await session.flush()
    on_duty: list[str] = []
    for org_id in depts:
        on_duty += [u for u in await peers.on_duty(session, org_id, now) if u not in on_duty]
    recipients = [u for u in dict.fromkeys(on_duty + officials) if u != principal.id]
    rooms = ctx.rooms
    await rooms.post_system(
        session,
        room,
        f"{principal.display_name}启动{plan.name}应急响应（{LEVEL_NAMES[data.level]}）",
        now,
    )
    await peers.notify_users(
        ctx.notify,
        session,
        user_ids=recipients,
        kind="incident_declared",
        title=f"战时响应 {LEVEL_NAMES[data.level]} · {plan.name}",
        body=data.title,
        data={"room_id": room.id, "incident_id": incident.id},
        priority="high",
        now=now,
    )
    return incident


async def close_incident(
    session: AsyncSession, principal: Principal, incident_id: str, now: datetime
) -> Incident:
    incident = await session.get(Incident, incident_id)
    if incident is None or (
        not principal.sees_all
        and await rooms_service.member_role(
            session, incident.room_id, principal.id, principal.org_id
        )
        is None
    ):
        raise ProblemError(404, "not_found", "incident not found")
    if principal.role not in DECLARING_ROLES:
        raise ProblemError(403, "forbidden", "only district dispatchers and officials close")
    if incident.status != "closed":
        incident.status, incident.closed_at = "closed", now
        room = await session.get(Room, incident.room_id)
        if room is not None and room.status != "archived":
            room.status, room.archived_at = "archived", now
        await session.flush()
    return incident
