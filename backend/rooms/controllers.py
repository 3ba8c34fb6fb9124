"""HTTP: rooms, members, history, the send fallback, acknowledgements."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from backend.common.pagination import Limit
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.idempotency.service import IdempotencyPolicy, run_idempotent
from backend.parts import ContextDep
from backend.rooms import service as rooms_service
from backend.rooms.messages import load_messages, present_messages
from backend.settings import Settings
from schemas.rooms import (
    AckIn,
    AckOut,
    MembersIn,
    MessageIn,
    MessageOut,
    MessagePage,
    RoomCreateIn,
    RoomOut,
)

__all__ = ["RoomsController"]

SeqParam = Annotated[int | None, QueryParameter(ge=0, le=2**31 - 1)]
# A message's seq in the path: past the column's range it is no message (400, not a 500
# from the database refusing to compare it).
MessageSeq = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


def _policy(s: Settings) -> IdempotencyPolicy:
    return IdempotencyPolicy(keep_hours=s.idempotency_hours)


def _owner_or_dispatcher(role: str, principal: Any) -> None:
    if role != "owner" and principal.role not in {"district_dispatcher", "admin"}:
        raise ProblemError(403, "forbidden", "only the room's owners may do this")


class RoomsController(Controller):
    path = "/rooms"
    tags = ["rooms"]

    @post("", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[RoomCreateIn],
    ) -> Response[RoomOut]:
        event = None
        if data.kind == "event":
            if not data.event_id:
                raise ProblemError(
                    400,
                    "validation_failed",
                    "an event room needs event_id",
                    errors=[{"field": "event_id", "message": "required", "source": "body"}],
                )
            event = await ctx.events.get_visible(db, principal, data.event_id)
        elif data.kind == "incident" and principal.role not in {
            "district_dispatcher",
            "official",
            "admin",
        }:
            raise ProblemError(403, "forbidden", "incident rooms are opened by declaring one")
        room, created = await rooms_service.new_room(db, principal, data, ctx.now(), event=event)
        if not created:
            # Whoever may see the event may join its room.
            if await rooms_service.member_role(db, room.id, principal.id, principal.org_id) is None:
                await rooms_service.add_members(db, room.id, user_ids=[principal.id], now=ctx.now())
        out = await rooms_service.present_room(db, room)
        return Response(out, status_code=201 if created else 200)

    @get("")
    async def mine(self, db: DB, principal: Caller) -> list[RoomOut]:
        return [
            await rooms_service.present_room(db, r)
            for r in await rooms_service.rooms_of(db, principal)
        ]

    @get("/{room_id:str}")
    async def read(self, db: DB, principal: Caller, room_id: FromPath[str]) -> RoomOut:
        room, _ = await rooms_service.load_member_room(db, room_id, principal)
        return await rooms_service.present_room(db, room)

    @post("/{room_id:str}/members", status_code=200)
    async def add_members(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        room_id: FromPath[str],
        data: JSONBody[MembersIn],
    ) -> RoomOut:
        room, role = await rooms_service.load_member_room(db, room_id, principal)
        _owner_or_dispatcher(role, principal)
        await rooms_service.add_members(
            db,
            room.id,
            user_ids=data.user_ids,
            org_ids=data.org_ids,
            role=data.role,
            now=ctx.now(),
        )
        return await rooms_service.present_room(db, room)

    @delete("/{room_id:str}/members/{user_id:str}", status_code=204)
    async def remove_member(
        self, db: DB, principal: Caller, room_id: FromPath[str], user_id: FromPath[str]
    ) -> None:
        room, role = await rooms_service.load_member_room(db, room_id, principal)
        if user_id != principal.id:
            _owner_or_dispatcher(role, principal)
        if not await rooms_service.remove_member(db, room.id, user_id):
            raise ProblemError(404, "not_found", "not a named member of this room")

    @post("/{room_id:str}/archive", status_code=200)
    async def archive(
        self, ctx: ContextDep, db: DB, principal: Caller, room_id: FromPath[str]
    ) -> RoomOut:
        room, role = await rooms_service.load_member_room(db, room_id, principal)
        _owner_or_dispatcher(role, principal)
        if room.status != "archived":
            room.status, room.archived_at = "archived", ctx.now()
            await db.flush()
        return await rooms_service.present_room(db, room)

    @get("/{room_id:str}/messages")
    async def history(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        room_id: FromPath[str],
        after_seq: SeqParam = None,
        before_seq: SeqParam = None,
        limit: Limit = 50,
    ) -> MessagePage:
        room, _ = await rooms_service.load_member_room(db, room_id, principal)
        rows = await load_messages(
            db, room.id, after_seq=after_seq, before_seq=before_seq, limit=limit
        )
        items = await present_messages(db, rows, ctx.rooms.links)
        backwards = after_seq is None and before_seq is not None
        cursor = None
        if len(rows) == limit:
            # Paging forward: the next page starts after our last; backward: before our first.
            edge = rows[0].seq if backwards else rows[-1].seq
            if (backwards and edge > 1) or (not backwards and edge < room.last_seq):
                cursor = str(edge)
        return MessagePage(items=items, next_cursor=cursor)

    @post("/{room_id:str}/messages", status_code=201)
    async def send(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        room_id: FromPath[str],
        data: JSONBody[MessageIn],
    ) -> Response[MessageOut]:
        if data.room_id is not None and data.room_id != room_id:
            raise ProblemError(
                400,
                "validation_failed",
                "room_id differs from the path",
                errors=[{"field": "room_id", "message": "must match the path", "source": "body"}],
            )
        wait = ctx.rooms.hub.allow_send(principal.id)
        if wait is not None:
            raise ProblemError(
                429, "rate_limited", "slow down", headers={"Retry-After": str(int(wait) + 1)}
            )

        async def produce() -> tuple[int, MessageOut]:
            room, role = await rooms_service.load_member_room(db, room_id, principal)
            out, created = await ctx.rooms.send(db, principal, room, role, data, ctx.now())
            return (201 if created else 200), out

        return await run_idempotent(  # type: ignore[return-value]  # a replay returns the stored Response
            request,
            db,
            user_id=principal.id,
            scope=f"POST /rooms/{room_id}/messages",
            produce=produce,
            policy=_policy(ctx.settings),
        )

    @post("/{room_id:str}/messages/{seq:int}/ack", status_code=200)
    async def ack(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        room_id: FromPath[str],
        seq: MessageSeq,
        data: JSONBody[AckIn],
    ) -> MessageOut:
        room, role = await rooms_service.load_member_room(db, room_id, principal)
        return await ctx.rooms.ack(db, principal, room, role, seq, data.text, ctx.now())

    @get("/{room_id:str}/messages/{seq:int}/acks")
    async def acks(
        self, ctx: ContextDep, db: DB, principal: Caller, room_id: FromPath[str], seq: MessageSeq
    ) -> list[AckOut]:
        room, _ = await rooms_service.load_member_room(db, room_id, principal)
        return await ctx.rooms.acks(db, room.id, seq)
