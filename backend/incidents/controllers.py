"""HTTP: declare, list and close incidents; the response plans."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.db.models import Incident, RoomMember
from backend.deps import DB, Caller
from backend.idempotency.service import IdempotencyPolicy, run_idempotent
from backend.incidents import service
from backend.incidents.plans import PLANS
from backend.parts import ContextDep
from backend.rooms.service import members_clause
from schemas.incidents import IncidentIn, IncidentOut, PlanOut

__all__ = ["IncidentsController"]


class IncidentsController(Controller):
    path = "/incidents"
    tags = ["incidents"]

    @post("", status_code=201)
    async def declare(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[IncidentIn],
    ) -> Response[IncidentOut]:

        async def produce() -> tuple[int, IncidentOut]:
            incident = await service.declare(ctx, db, principal, data, ctx.now())
            return 201, await service.present(db, incident)

        s = ctx.settings
        return await run_idempotent(  # type: ignore[return-value]  # a replay returns the stored Response
            request,
            db,
            user_id=principal.id,
            scope="POST /incidents",
            produce=produce,
            policy=IdempotencyPolicy(keep_hours=s.idempotency_hours),
        )

    @get("")
    async def list_incidents(
        self, db: DB, principal: Caller, active: FromQuery[bool | None] = None
    ) -> list[IncidentOut]:
        q = select(Incident).order_by(Incident.created_at.desc(), Incident.id).limit(200)
        if active is not None:
            q = q.where(Incident.status == ("active" if active else "closed"))
        if not principal.sees_all:
            mine = select(RoomMember.room_id).where(members_clause(principal.id, principal.org_id))
            q = q.where(Incident.room_id.in_(mine))
        return [await service.present(db, i) for i in (await db.scalars(q)).all()]

    @get("/plans")
    async def plans(self, principal: Caller) -> list[PlanOut]:
        return [
            PlanOut(code=p.code, name=p.name, departments=list(p.departments))
            for p in PLANS.values()
        ]

    @post("/{incident_id:str}/close", status_code=200)
    async def close(
        self, ctx: ContextDep, db: DB, principal: Caller, incident_id: FromPath[str]
    ) -> IncidentOut:
        incident = await service.close_incident(db, principal, incident_id, ctx.now())
        return await service.present(db, incident)
