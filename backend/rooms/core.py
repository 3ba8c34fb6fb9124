"""The rooms domain's long-lived part: sending, acknowledging and system messages.

Shared by the HTTP controllers and the WebSocket handler, so both paths apply the same
rules. Every method takes the caller's session and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.engine import Database
from backend.db.models import InstructionTarget, Room, RoomMessage, RoomRead, User
from backend.errors import ProblemError
from backend.media_api.service import MediaLinks, load_owned_media
from backend.notify.service import NotifyService
from backend.rooms import peers
from backend.rooms.hub import RoomHub
from backend.rooms.messages import MessageWriter, load_messages, mentioned_ids, present_messages
from backend.rooms.service import may_instruct, member_user_ids
from schemas.rooms import AckOut, MessageIn, MessageOut, TypingNoticeFrame

__all__ = ["Rooms"]


def _unprocessable(code: str, detail: str, field: str) -> ProblemError:
    return ProblemError(
        422, code, detail, errors=[{"field": field, "message": detail, "source": "body"}]
    )


def _excerpt(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class Rooms:
    def __init__(
        self, db: Database, hub: RoomHub, links: MediaLinks, notify: NotifyService
    ) -> None:
        self.db = db
        self.hub = hub
        self.links = links
        self.notify = notify
        self.writer = MessageWriter(self.links, hub.publish_message)

    # -- reading (the hub's view of the database) --------------------------------------
    async def fetch_frames(
        self, room_id: str, after: int, limit: int | None
    ) -> tuple[int, list[tuple[int, str]]]:
        """(last_seq, encoded message frames after ``after``); none when ``limit`` is None
        or more than ``limit`` were missed (the client pages over HTTP instead)."""
        from backend.rooms.messages import encode_message_frame

        async with self.db.read_sessions() as session:
            last_seq = await session.scalar(select(Room.last_seq).where(Room.id == room_id)) or 0
            if limit is None or last_seq - after > limit:
                return last_seq, []
            rows = await load_messages(session, room_id, after_seq=after, limit=limit)
            outs = await present_messages(session, rows, self.links)
        return max([last_seq, *(o.seq for o in outs)]), [
            (o.seq, encode_message_frame(o)) for o in outs
        ]

    # -- sending ------------------------------------------------------------------------
    async def send(
        self,
        session: AsyncSession,
        principal: Principal,
        room: Room,
        role: str,
        data: MessageIn,
        now: datetime,
    ) -> tuple[MessageOut, bool]:
        if role == "observer":
            raise ProblemError(403, "forbidden", "observers may not send in this room")
        existing = await self._existing(session, room, principal, data.client_msg_id)
        if existing is not None:
            return existing, False
        members: dict[str, str] | None = None
        targets: list[tuple[str, str]] = []
        location: dict[str, float | str] | None = None
        if data.kind == "text" and not data.text.strip():
            raise _unprocessable("validation_failed", "a text message needs text", "text")
        if data.kind == "image":
            if not data.media_id:
                raise _unprocessable("validation_failed", "an image needs media_id", "media_id")
            await load_owned_media(session, principal, [data.media_id])
        if data.kind == "location":
            if data.location is None:
                raise _unprocessable("validation_failed", "needs a location", "location")
        if data.location is not None:
            location = {"lat": data.location.lat, "lng": data.location.lng}
            if data.location.address:
                location["address"] = data.location.address
        if data.kind == "instruction":
            if not may_instruct(principal, role):
                raise ProblemError(403, "forbidden", "you may not give instructions in this room")
            members = await member_user_ids(session, room.id)
            targets = await self._targets(session, data, members, now)
        mentions: list[str] = []
        if data.mentions or "@" in data.text:
            members = members if members is not None else await member_user_ids(session, room.id)
            names = await self._names(session, list(members))
            mentions = [u for u in mentioned_ids(data.text, data.mentions, names) if u in members]

        async def with_targets(msg: RoomMessage) -> None:
            for user_id, org_id in targets:
                session.add(
                    InstructionTarget(
                        room_id=room.id,
                        seq=msg.seq,
                        user_id=user_id,
                        org_id=org_id,
                        due_at=data.due_at,
                    )
                )
            await session.flush()

        msg, created = await self.writer.append(
            session,
            room,
            sender_id=principal.id,
            kind=data.kind,
            text=data.text,
            now=now,
            client_msg_id=data.client_msg_id,
            media_id=data.media_id,
            location=location,
            mentions=mentions,
            due_at=data.due_at if data.kind == "instruction" else None,
            before_publish=with_targets if targets else None,
        )
        if created:
            await self._after_send(session, principal, room, msg, targets, mentions, now)
        (out,) = await present_messages(session, [msg], self.links)
        return out, created

    async def _existing(
        self, session: AsyncSession, room: Room, principal: Principal, client_msg_id: str
    ) -> MessageOut | None:
        from backend.rooms.messages import find_by_client_id

        row = await find_by_client_id(session, room.id, principal.id, client_msg_id)
        if row is None:
            return None
        (out,) = await present_messages(session, [row], self.links)
        return out

    async def _names(self, session: AsyncSession, user_ids: list[str]) -> dict[str, str]:
        rows = await session.execute(
            select(User.id, User.display_name).where(User.id.in_(user_ids))
        )
        return dict(rows.all())

    async def _targets(
        self, session: AsyncSession, data: MessageIn, members: dict[str, str], now: datetime
    ) -> list[tuple[str, str]]:
        """(user, org) of every addressee: named users, and orgs' on-duty staff."""
        if not data.targets and not data.target_org_ids:
            raise _unprocessable("validation_failed", "an instruction needs targets", "targets")
        if data.due_at is not None and data.due_at.tzinfo is None:
            raise _unprocessable("validation_failed", "due_at needs an offset", "due_at")
        wanted = list(dict.fromkeys(data.targets or []))
        for org_id in data.target_org_ids or []:
            wanted += [u for u in await peers.on_duty(session, org_id, now) if u not in wanted]
        strangers = [u for u in wanted if u not in members]
        if strangers or not wanted:
            raise _unprocessable(
                "not_a_member", "instruction targets must be members of the room", "targets"
            )
        rows = await session.execute(select(User.id, User.org_id).where(User.id.in_(wanted)))
        orgs = dict(rows.all())
        return [(u, orgs[u]) for u in wanted]

    async def _after_send(
        self,
        session: AsyncSession,
        principal: Principal,
        room: Room,
        msg: RoomMessage,
        targets: list[tuple[str, str]],
        mentions: list[str],
        now: datetime,
    ) -> None:
        data = {"room_id": room.id, "seq": str(msg.seq)}
        for user_id, _org in targets:
            await peers.open_instruction_task(
                session, user_id=user_id, room_id=room.id, seq=msg.seq, due_at=msg.due_at, now=now
            )
        if targets:
            await peers.notify_users(
                self.notify,
                session,
                user_ids=[u for u, _ in targets],
                kind="instruction",
                title=f"{principal.display_name}的指令 · {room.title}",
                body=_excerpt(msg.text),
                data=data,
                priority="high",
                now=now,
            )
        # Mentioned members who will not see it live get a push.
        away = self.hub.subscribed_users(room.id)
        absent = [u for u in mentions if u not in away and u != principal.id]
        if absent:
            await peers.notify_users(
                self.notify,
                session,
                user_ids=absent,
                kind="room_mention",
                title=f"{principal.display_name}在「{room.title}」中提到了你",
                body=_excerpt(msg.text),
                data=data,
                now=now,
            )

    async def post_system(
        self, session: AsyncSession, room: Room, text: str, now: datetime
    ) -> RoomMessage | None:
        if room.status != "active":
            return None
        msg, _ = await self.writer.append(
            session, room, sender_id=None, kind="system", text=text, now=now
        )
        return msg

    # -- acknowledging --------------------------------------------------------------------
    async def ack(
        self,
        session: AsyncSession,
        principal: Principal,
        room: Room,
        role: str,
        seq: int,
        text: str,
        now: datetime,
    ) -> MessageOut:
        """Acknowledge instruction ``seq``: idempotent (the same ack message comes back)."""
        target = await session.get(InstructionTarget, (room.id, seq, principal.id))
        if target is None:
            raise ProblemError(404, "not_found", "no instruction to you with that seq")
        client_msg_id = f"ack:{seq}"
        if target.acked_at is None:
            target.acked_at = now
            target.ack_text = text
            await peers.close_instruction_task(
                session, user_id=principal.id, room_id=room.id, seq=seq, now=now
            )
        msg, _ = await self.writer.append(
            session,
            room,
            sender_id=principal.id,
            kind="ack",
            text=text,
            now=now,
            client_msg_id=client_msg_id,
            ack_of_seq=seq,
        )
        (out,) = await present_messages(session, [msg], self.links)
        return out

    async def acks(self, session: AsyncSession, room_id: str, seq: int) -> list[AckOut]:
        rows = (
            await session.scalars(
                select(InstructionTarget)
                .where(InstructionTarget.room_id == room_id, InstructionTarget.seq == seq)
                .order_by(InstructionTarget.user_id)
            )
        ).all()
        if not rows:
            raise ProblemError(404, "not_found", "no instruction with that seq")
        return [AckOut(user_id=t.user_id, acked_at=t.acked_at, text=t.ack_text or "") for t in rows]

    async def mark_read(
        self, session: AsyncSession, principal: Principal, room: Room, seq: int, now: datetime
    ) -> int:
        seq = min(seq, room.last_seq)
        row = await session.get(RoomRead, (room.id, principal.id))
        if row is None:
            session.add(RoomRead(room_id=room.id, user_id=principal.id, seq=seq, updated_at=now))
        elif seq > row.seq:
            row.seq, row.updated_at = seq, now
        else:
            seq = row.seq
        await session.flush()
        return seq

    def typing_frame(self, room_id: str, user_id: str) -> TypingNoticeFrame:
        return TypingNoticeFrame(room_id=room_id, user_id=user_id)
