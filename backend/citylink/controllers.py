"""HTTP: POST /city/cases, the city platform handing us a case (signed, no bearer)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post

from backend.citylink.signing import fresh, verify
from backend.common.jsonbody import decode_json
from backend.db.models import CityCase, Event
from backend.deps import DB, PUBLIC
from backend.errors import ProblemError
from backend.open311.system_user import system_principal
from backend.parts import ContextDep
from schemas.common import NO_NUL, Location, Strict
from schemas.events import EventCreateIn

__all__ = ["SYSTEM_USERNAME", "CityCaseIn", "CityCaseOut", "CityController"]

SYSTEM_USERNAME = "city-link"


class CityCaseIn(Strict):
    city_case_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
    location: Location
    grade: Annotated[int, msgspec.Meta(ge=1, le=4)] = 4


class CityCaseOut(msgspec.Struct, kw_only=True):
    city_case_id: str
    event_id: str
    case_no: str
    status: str


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(401, "unauthenticated", detail)


class CityController(Controller):
    path = "/city"
    tags = ["city"]
    opt = PUBLIC  # the city platform signs its requests (HMAC), no bearer token

    @post("/cases", status_code=201)
    async def receive(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
    ) -> Response[CityCaseOut]:
        secret = ctx.settings.city_inbound_secret
        if not secret:
            # Switched off, not down: 503 would tell the caller to retry, and a link nobody
            # set up does not come back by itself (docs/api.md, "Switched off").
            raise ProblemError(404, "not_found", "the city link is not configured here")
        body = await request.body()
        ts = request.headers.get("x-chengyun-timestamp", "")
        signature = request.headers.get("x-chengyun-signature", "")
        # Checked before the body is read as JSON: unsigned input is never parsed.
        if not verify(secret, ts, body, signature):
            raise _unauthenticated("bad signature")
        if not fresh(ts, ctx.now().timestamp()):
            raise _unauthenticated("stale or malformed timestamp")
        case = decode_json(body, CityCaseIn)
        known = await db.get(CityCase, case.city_case_id)
        if known is not None:
            event = await db.get(Event, known.event_id)
            assert event is not None
            return Response(_out(case.city_case_id, event), status_code=200)
        principal = await system_principal(db, SYSTEM_USERNAME, "市城运中心")
        data = EventCreateIn(
            category_code=case.category_code,
            description=case.description,
            location=case.location,
            grade=case.grade,
            source="city",  # type: ignore[arg-type]  # not a value mobile clients may send
        )
        event, _dups = await ctx.events.create(db, principal, data, ctx.now())
        db.add(CityCase(city_case_id=case.city_case_id, event_id=event.id, received_at=ctx.now()))
        await db.flush()
        return Response(_out(case.city_case_id, event), status_code=201)


def _out(city_case_id: str, event: Event) -> CityCaseOut:
    return CityCaseOut(
        city_case_id=city_case_id, event_id=event.id, case_no=event.case_no, status=event.status
    )
