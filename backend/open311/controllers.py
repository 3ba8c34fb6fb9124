"""HTTP: GeoReport v2 at /open311/v2 (public GETs, api_key POST) and admin key issuing."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from backend.common.jsonbody import BodyError, decode_json
from backend.db.models import Event, Open311Key, Open311Request
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.open311.render import Open311Error, error_response, render
from backend.open311.service import (
    JURISDICTION,
    check_jurisdiction,
    issue_key,
    key_for,
    list_requests,
    requests_out,
    service_out,
    services,
)
from backend.open311.submit import submit_request
from backend.parts import ContextDep
from schemas.open311 import KeyIn, KeyIssuedOut, KeyOut

__all__ = ["Open311KeysController", "open311_router"]

log = logging.getLogger("chengyun.open311")


def _split(name: str) -> tuple[str, str]:
    """``HS2026...json`` -> (``HS2026...``, ``json``); other extensions are not served."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in {"json", "xml"} or not stem:
        raise Open311Error(404, "not found: use .json or .xml")
    return stem, fmt


def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    params = {k: str(v) for k, v in request.query_params.items()}
    check_jurisdiction(params.get("jurisdiction_id"))
    return params


def _fmt_of(request: Request[Any, Any, Any]) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def _on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    fmt = _fmt_of(request)
    match exc:
        case Open311Error():
            return error_response(fmt, exc.status, exc.description)
        case ProblemError():
            return error_response(fmt, exc.status, exc.detail)
        case ValidationException():
            return error_response(fmt, 400, str(exc.detail))
        case HTTPException():
            return error_response(fmt, exc.status_code, str(exc.detail))
    log.exception("open311 error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(fmt, 500, "internal error")


class Open311Controller(Controller):
    path = "/"
    tags = ["open311"]

    @get("/discovery.json")
    async def discovery(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        base = str(request.base_url).rstrip("/") + "/open311/v2/"
        return render(
            "json",
            "discovery",
            "",
            {
                "changeset": "2026-11-24T00:00:00+08:00",
                "contact": "洪山区城市运行管理中心",
                "key_service": "API keys are issued by the district's system administrator",
                "endpoints": [
                    {
                        "specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": base,
                        "changeset": "2026-11-24T00:00:00+08:00",
                        "type": "production",
                        "formats": ["application/json", "text/xml"],
                    }
                ],
            },
        )

    @get(["/services.json", "/services.xml"])
    async def list_services(self, request: Request[Any, Any, Any], db: DB) -> Response[bytes]:
        _params(request)
        items = [service_out(c) for c in await services(db)]
        return render(_fmt_of(request), "services", "service", items)

    @get("/services/{name:str}")
    async def definition(
        self, request: Request[Any, Any, Any], db: DB, name: FromPath[str]
    ) -> Response[bytes]:
        code, fmt = _split(name)
        _params(request)
        if code not in {c.code for c in await services(db)}:
            raise Open311Error(404, f"service_code {code!r} not found")
        # No extra attributes: every category is answered by description and location.
        return render(fmt, "service_definition", "", {"service_code": code, "attributes": []})

    @get(["/requests.json", "/requests.xml"])
    async def list_requests(
        self, request: Request[Any, Any, Any], ctx: ContextDep, db: DB
    ) -> Response[bytes]:
        events = await list_requests(db, _params(request), ctx.now())
        return render(
            _fmt_of(request), "service_requests", "request", await requests_out(db, events)
        )

    @get("/requests/{name:str}")
    async def one_request(
        self, request: Request[Any, Any, Any], db: DB, name: FromPath[str]
    ) -> Response[bytes]:
        case_no, fmt = _split(name)
        _params(request)
        event = await db.scalar(select(Event).where(Event.case_no == case_no))
        if event is None:
            raise Open311Error(404, f"service_request_id {case_no!r} not found")
        return render(fmt, "service_requests", "request", await requests_out(db, [event]))

    @get("/tokens/{name:str}")
    async def token(
        self, request: Request[Any, Any, Any], db: DB, name: FromPath[str]
    ) -> Response[bytes]:
        token, fmt = _split(name)
        _params(request)
        case_no = await db.scalar(
            select(Event.case_no)
            .join(Open311Request, Open311Request.event_id == Event.id)
            .where(Open311Request.token == token)
        )
        if case_no is None:
            raise Open311Error(404, "token not found")
        body = [{"service_request_id": case_no, "token": token}]
        return render(fmt, "service_requests", "request", body)

    @post(["/requests.json", "/requests.xml"], status_code=201)
    async def create(
        self, request: Request[Any, Any, Any], ctx: ContextDep, db: DB
    ) -> Response[bytes]:
        form = await _form(request)
        check_jurisdiction(form.get("jurisdiction_id"))
        key = await key_for(db, form.get("api_key") or request.query_params.get("api_key"))
        event, record = await submit_request(db, ctx.events, key, form, ctx.now())
        body = [
            {
                "service_request_id": event.case_no,
                "token": record.token,
                "service_notice": None,
                "account_id": None,
            }
        ]
        return render(_fmt_of(request), "service_requests", "request", body, status=201)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The spec posts application/x-www-form-urlencoded; JSON objects are accepted too."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            doc = decode_json(await request.body())
        except BodyError as exc:
            raise Open311Error(400, exc.detail) from exc
        if not isinstance(doc, dict):
            raise Open311Error(400, "the body must be an object")
        return {str(k): str(v) for k, v in doc.items() if v is not None}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def open311_router() -> Router:
    return Router(
        path="/open311/v2",
        route_handlers=[Open311Controller],
        exception_handlers={Exception: _on_error},
        include_in_schema=True,
    )


class Open311KeysController(Controller):
    """Under /api/v1: admins issue (once-shown) and revoke Open311 api keys."""

    path = "/open311/keys"
    tags = ["open311"]

    @post("", status_code=201)
    async def issue(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[KeyIn],
    ) -> KeyIssuedOut:
        if principal.role != "admin":
            raise ProblemError(403, "forbidden", "only admins issue Open311 keys")
        body = data
        key, digest = issue_key()
        row = Open311Key(
            key_hash=digest,
            name=body.name,
            created_by=principal.id,
            created_at=ctx.now(),
        )
        db.add(row)
        await db.flush()
        return KeyIssuedOut(
            id=row.id,
            name=row.name,
            api_key=key,
            created_at=row.created_at,
            jurisdiction_id=JURISDICTION,
        )

    @get("")
    async def list_keys(self, db: DB, principal: Caller) -> list[KeyOut]:
        if principal.role != "admin":
            raise ProblemError(403, "forbidden", "only admins see Open311 keys")
        rows = await db.scalars(select(Open311Key).order_by(Open311Key.created_at))
        return [
            KeyOut(id=r.id, name=r.name, created_at=r.created_at, revoked_at=r.revoked_at)
            for r in rows
        ]

    @post("/{key_id:str}/revoke", status_code=200)
    async def revoke(
        self, ctx: ContextDep, db: DB, principal: Caller, key_id: FromPath[str]
    ) -> KeyOut:
        if principal.role != "admin":
            raise ProblemError(403, "forbidden", "only admins revoke Open311 keys")
        row = await db.get(Open311Key, key_id)
        if row is None:
            raise ProblemError(404, "not_found", "no such key")
        row.revoked_at = row.revoked_at or ctx.now()
        return KeyOut(
            id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at
        )
