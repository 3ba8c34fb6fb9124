"""Dispatch rooms (联勤联动): rooms, members, messages with a per-room seq, instruction
targets with their acknowledgements, read markers, and incidents (战时)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, JSONType, new_id, utcnow

__all__ = ["Incident", "InstructionTarget", "Room", "RoomMember", "RoomMessage", "RoomRead"]


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"))
    # Set only on the one `event` room of an event, so a unique constraint (NULLs are
    # distinct on both databases) makes "created on first request, reused after" race-free.
    event_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Allocated by UPDATE ... RETURNING in the message's own transaction: no gaps, no races.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]


class RoomMember(Base):
    """A user or a whole org (every user of a member org is a member)."""

    __tablename__ = "room_members"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), primary_key=True)
    # "u:<user id>" or "o:<org id>": one primary key for both shapes of member.
    member_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomMessage(Base):
    __tablename__ = "room_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    seq: Mapped[int]
    client_msg_id: Mapped[str | None] = mapped_column(String(100))
    sender_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    media_id: Mapped[str | None] = mapped_column(String(36))
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    mentions: Mapped[list[str] | None] = mapped_column(JSONType)
    due_at: Mapped[datetime | None]
    ack_of_seq: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("room_id", "seq", name="uq_room_messages_room_seq"),
        UniqueConstraint(
            "room_id", "sender_id", "client_msg_id", name="uq_room_messages_room_sender_client"
        ),
    )


class InstructionTarget(Base):
    """One addressee of an instruction (指令) and their acknowledgement (反馈)."""

    __tablename__ = "instruction_targets"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    due_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    ack_text: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    # The reminder sweep reads open targets by due time.
    __table_args__ = (Index("ix_instruction_targets_open_due", "acked_at", "due_at"),)


class RoomRead(Base):
    __tablename__ = "room_reads"

    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[int]
    plan_code: Mapped[str | None] = mapped_column(String(40))
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"))
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    declared_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_incidents_status_created", "status", "created_at"),)
