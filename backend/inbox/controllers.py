"""HTTP: the caller's inbox and its offline sync."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from backend.common.conditional import conditional_json
from backend.common.pagination import Cursor
from backend.deps import DB, Caller, kept_answer
from backend.inbox.views import list_inbox, sync_inbox
from backend.parts import ContextDep
from schemas.inbox import InboxPage, SyncOut

__all__ = ["InboxController"]

SyncLimit = Annotated[int, QueryParameter(ge=1, le=500, description="page size (default 200)")]


class InboxController(Controller):
    path = "/inbox"
    tags = ["inbox"]

    @get("", before_request=kept_answer)
    async def inbox(
        self, request: Request[Any, Any, Any], ctx: ContextDep, db: DB, principal: Caller
    ) -> Response[InboxPage]:
        now = ctx.now()
        view = ctx.views.slot(request, principal, db)
        items, sla_until = await list_inbox(db, principal, now)
        page = InboxPage(items=items, next_cursor=None)
        return conditional_json(request, page, view=view, sla_until=sla_until)

    @get("/sync")
    async def sync(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        cursor: Cursor = None,
        limit: SyncLimit = 200,
    ) -> SyncOut:
        return await sync_inbox(db, principal, ctx.sync_cursors, cursor, limit, ctx.now())
