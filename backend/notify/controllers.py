"""HTTP: devices, the in-app notification centre, and the admin's delivery view."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend.common.conditional import conditional_json
from backend.common.pagination import Cursor, Limit
from backend.deps import DB, Caller, kept_answer
from backend.errors import ProblemError
from backend.notify import centre
from backend.notify.devices import present_device, register_device, unregister_device
from backend.notify.service import present
from backend.parts import ContextDep
from schemas.notify import (
    DeliveryOut,
    DeviceIn,
    DeviceOut,
    NotificationOut,
    NotificationPage,
    ReadAllOut,
)

__all__ = ["DevicesController", "NotificationsController"]


class DevicesController(Controller):
    path = "/devices"
    tags = ["notifications"]

    @post("", status_code=201)
    async def register(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[DeviceIn],
    ) -> Response[DeviceOut]:
        device, created = await register_device(db, principal, data, ctx.now())
        return Response(present_device(device), status_code=201 if created else 200)

    @delete("/{token:str}", status_code=204)
    async def unregister(
        self, ctx: ContextDep, db: DB, principal: Caller, token: FromPath[str]
    ) -> None:
        await unregister_device(db, principal, token, ctx.now())


class NotificationsController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("", before_request=kept_answer)
    async def list_notifications(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        limit: Limit = 50,
        cursor: Cursor = None,
        unread: FromQuery[bool | None] = None,
    ) -> Response[NotificationPage]:
        view = ctx.views.slot(request, principal, db)
        rows, next_cursor = await centre.list_notifications(
            db, principal.id, unread=unread, limit=limit, cursor=cursor
        )
        page = NotificationPage(
            items=[present(n) for n in rows],
            next_cursor=next_cursor,
            unread_count=await centre.unread_count(db, principal.id),
        )
        return conditional_json(request, page, view=view)

    @post("/read-all", status_code=200)
    async def read_all(self, ctx: ContextDep, db: DB, principal: Caller) -> ReadAllOut:
        marked = await centre.mark_all_read(db, principal.id, ctx.now())
        return ReadAllOut(marked=marked)

    @post("/{notification_id:str}/read", status_code=200)
    async def read(
        self, ctx: ContextDep, db: DB, principal: Caller, notification_id: FromPath[str]
    ) -> NotificationOut:
        note = await centre.mark_read(db, principal.id, notification_id, ctx.now())
        return present(note)

    @get("/{notification_id:str}/deliveries")
    async def deliveries(
        self, db: DB, principal: Caller, notification_id: FromPath[str]
    ) -> list[DeliveryOut]:
        if principal.role != "admin":
            raise ProblemError(403, "forbidden", "only admins see push deliveries")
        return await centre.deliveries_of(db, notification_id)
