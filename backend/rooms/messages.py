"""Messages: seq allocation, idempotent posting, presentation, history, acknowledgements.

Takes the caller's session and never commits; the live frame is published from an
after-commit callback, so a rolled-back message is never seen by anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from backend.db.engine import on_commit
from backend.db.models import InstructionTarget, Media, Org, Room, RoomMessage, User
from backend.errors import ProblemError
from backend.media_api.service import MediaLinks
from schemas.rooms import InstructionOut, MessageFrame, MessageOut, SenderOut

__all__ = [
    "MessageWriter",
    "encode_message_frame",
    "find_by_client_id",
    "load_messages",
    "present_messages",
]

# The table itself: the seq counter is bumped in SQL, not through the ORM row.
_ROOMS: Table = Room.metadata.tables[Room.__tablename__]

_MENTION = re.compile(r"@([^\s@,，。:：;；!！?？]+)")
_encoder = msgspec.json.Encoder()


def encode_message_frame(out: MessageOut) -> str:
    return _encoder.encode(MessageFrame(room_id=out.room_id, message=out)).decode()


async def find_by_client_id(
    session: AsyncSession, room_id: str, sender_id: str, client_msg_id: str
) -> RoomMessage | None:
    return await session.scalar(
        select(RoomMessage).where(
            RoomMessage.room_id == room_id,
            RoomMessage.sender_id == sender_id,
            RoomMessage.client_msg_id == client_msg_id,
        )
    )


async def present_messages(
    session: AsyncSession, rows: Sequence[RoomMessage], links: MediaLinks | None
) -> list[MessageOut]:
    """Wire shape of stored messages, with one query per kind of related row."""
    sender_ids = {m.sender_id for m in rows if m.sender_id}
    senders: dict[str, tuple[str, str]] = {}
    if sender_ids:
        q = (
            select(User.id, User.display_name, Org.name)
            .join(Org, Org.id == User.org_id)
            .where(User.id.in_(sender_ids))
        )
        senders = {uid: (name, org) for uid, name, org in await session.execute(q)}
    targets: dict[tuple[str, int], list[InstructionTarget]] = {}
    instr = [m for m in rows if m.kind == "instruction"]
    if instr:
        q2 = select(InstructionTarget).where(
            InstructionTarget.room_id == instr[0].room_id,
            InstructionTarget.seq.in_([m.seq for m in instr]),
        )
        for t in (await session.scalars(q2)).all():
            targets.setdefault((t.room_id, t.seq), []).append(t)
    media_ids = {m.media_id for m in rows if m.media_id}
    media: dict[str, Media] = {}
    if media_ids:
        media = {
            x.id: x for x in (await session.scalars(select(Media).where(Media.id.in_(media_ids))))
        }
    return [_present(m, senders, targets, media, links) for m in rows]


def _present(
    m: RoomMessage,
    senders: dict[str, tuple[str, str]],
    targets: dict[tuple[str, int], list[InstructionTarget]],
    media: dict[str, Media],
    links: MediaLinks | None,
) -> MessageOut:
    sender = None
    if m.sender_id:
        name, org = senders.get(m.sender_id, ("", ""))
        sender = SenderOut(user_id=m.sender_id, display_name=name, org_name=org)
    instruction = None
    if m.kind == "instruction":
        ts = sorted(targets.get((m.room_id, m.seq), []), key=lambda t: t.user_id)
        instruction = InstructionOut(
            targets=[t.user_id for t in ts],
            due_at=m.due_at,
            acked=[t.user_id for t in ts if t.acked_at is not None],
        )
    media_out: dict[str, Any] | None = None
    if m.media_id:
        row = media.get(m.media_id)
        media_out = {"id": m.media_id}
        if row is not None:
            media_out.update(content_type=row.content_type, width=row.width, height=row.height)
        if links is not None:
            media_out["urls"] = {
                "thumb": links.url(m.media_id, "thumb"),
                "display": links.url(m.media_id, "display"),
            }
    return MessageOut(
        room_id=m.room_id,
        seq=m.seq,
        id=m.id,
        client_msg_id=m.client_msg_id,
        sender=sender,
        kind=m.kind,
        text=m.text,
        media=media_out,
        location=m.location,
        instruction=instruction,
        ack_of_seq=m.ack_of_seq,
        mentions=list(m.mentions or []),
        created_at=m.created_at,
    )


async def load_messages(
    session: AsyncSession,
    room_id: str,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[RoomMessage]:
    """In seq order. With only ``before_seq``: the newest page below it."""
    q = select(RoomMessage).where(RoomMessage.room_id == room_id)
    if after_seq is not None:
        q = q.where(RoomMessage.seq > after_seq)
    if before_seq is not None:
        q = q.where(RoomMessage.seq < before_seq)
    if after_seq is None and before_seq is not None:
        rows = (await session.scalars(q.order_by(RoomMessage.seq.desc()).limit(limit))).all()
        return list(reversed(rows))
    return list((await session.scalars(q.order_by(RoomMessage.seq).limit(limit))).all())


def mentioned_ids(text: str, explicit: Sequence[str] | None, names: dict[str, str]) -> list[str]:
    """``mentions`` ids plus ``@display_name`` tokens that name a member (names: id -> name)."""
    found = list(dict.fromkeys(explicit or []))
    if "@" in text:
        by_name: dict[str, str] = {}
        for member_id, name in names.items():
            by_name.setdefault(name, member_id)
        for token in _MENTION.findall(text):
            uid = by_name.get(token)
            if uid is None:  # "@张三请速到" : the longest member name the token starts with
                best = max((n for n in by_name if token.startswith(n)), key=len, default=None)
                uid = by_name.get(best) if best else None
            if uid and uid not in found:
                found.append(uid)
    return found


class MessageWriter:
    """Appends messages to a room: the one place that allocates seq."""

    def __init__(self, links: MediaLinks | None, publish: Callable[[str, int, str], None]) -> None:
        self.links = links
        self.publish = publish

    async def append(
        self,
        session: AsyncSession,
        room: Room,
        *,
        sender_id: str | None,
        kind: str,
        text: str,
        now: datetime,
        client_msg_id: str | None = None,
        media_id: str | None = None,
        location: dict[str, Any] | None = None,
        mentions: list[str] | None = None,
        due_at: datetime | None = None,
        ack_of_seq: int | None = None,
        before_publish: Callable[[RoomMessage], Any] | None = None,
    ) -> tuple[RoomMessage, bool]:
        """(message, created). A repeat of (sender, client_msg_id) returns the first one."""
        if room.status != "active":
            raise ProblemError(409, "room_archived", "the room is archived")
        if sender_id and client_msg_id:
            existing = await find_by_client_id(session, room.id, sender_id, client_msg_id)
            if existing is not None:
                return existing, False
        try:
            async with session.begin_nested():
                # The row lock taken here (PostgreSQL) orders concurrent senders of one room;
                # a rollback undoes the increment with the message, so seq never has gaps.
                seq = (
                    await session.execute(
                        update(_ROOMS)
                        .where(_ROOMS.c.id == room.id)
                        .values(last_seq=_ROOMS.c.last_seq + 1)
                        .returning(_ROOMS.c.last_seq)
                    )
                ).scalar_one()
                msg = RoomMessage(
                    room_id=room.id,
                    seq=seq,
                    client_msg_id=client_msg_id,
                    sender_id=sender_id,
                    kind=kind,
                    text=text,
                    media_id=media_id,
                    location=location,
                    mentions=mentions or None,
                    due_at=due_at,
                    ack_of_seq=ack_of_seq,
                    created_at=now,
                )
                session.add(msg)
                await session.flush()
        except IntegrityError:
            # The same client_msg_id raced in on another connection and won.
            if not (sender_id and client_msg_id):
                raise
            existing = await find_by_client_id(session, room.id, sender_id, client_msg_id)
            if existing is None:
                raise
            return existing, False
        set_committed_value(room, "last_seq", seq)
        if before_publish is not None:
            await before_publish(msg)
        (out,) = await present_messages(session, [msg], self.links)
        frame = encode_message_frame(out)
        room_id = room.id
        on_commit(session, lambda: self.publish(room_id, seq, frame))
        return msg, True
