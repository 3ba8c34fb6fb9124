"""Dispatch rooms (联勤联动): room and message shapes, and the WebSocket frames.

Client frames are one tagged union (tag field ``op``), decoded once per frame and
dispatched with ``match``. Server frames are encoded from the Structs at the bottom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from schemas.common import NO_NUL, Location, Strict

__all__ = [
    "AckFrame",
    "AckIn",
    "AckOut",
    "AuthFrame",
    "ClientFrame",
    "MemberOut",
    "MembersIn",
    "MessageIn",
    "MessageOut",
    "MessagePage",
    "PingFrame",
    "PongFrame",
    "ReadFrame",
    "RoomCreateIn",
    "RoomOut",
    "SendFrame",
    "SenderOut",
    "SubscribeFrame",
    "TypingFrame",
    "UnsubscribeFrame",
]

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Text = Annotated[str, msgspec.Meta(max_length=4000, pattern=r"^[^\x00]*$")]
ClientMsgId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")]
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
RoomKind = Literal["joint_operation", "event", "incident"]
SendKind = Literal["text", "image", "location", "instruction"]
MemberRole = Literal["owner", "member", "observer"]


# -- HTTP -------------------------------------------------------------------------------
class RoomCreateIn(Strict):
    title: Title
    kind: RoomKind
    event_id: Id | None = None
    member_user_ids: Annotated[list[Id], msgspec.Meta(max_length=500)] = []
    member_org_ids: Annotated[list[Id], msgspec.Meta(max_length=100)] = []


class MembersIn(Strict):
    user_ids: Annotated[list[Id], msgspec.Meta(max_length=500)] = []
    org_ids: Annotated[list[Id], msgspec.Meta(max_length=100)] = []
    role: MemberRole = "member"


class MemberOut(msgspec.Struct, kw_only=True):
    user_id: str
    display_name: str
    org_id: str
    role: str


class RoomOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    title: str
    event_id: str | None
    status: str
    members: list[MemberOut]
    member_org_ids: list[str]
    last_seq: int
    created_at: datetime


class MessageIn(Strict):
    """The body of ``POST /rooms/{id}/messages`` and the payload of the ``send`` frame."""

    client_msg_id: ClientMsgId
    kind: SendKind
    text: Text = ""
    media_id: Id | None = None
    location: Location | None = None
    targets: Annotated[list[Id], msgspec.Meta(max_length=200)] | None = None
    # Extension: orgs as targets, resolved to whoever is on duty there now.
    target_org_ids: Annotated[list[Id], msgspec.Meta(max_length=50)] | None = None
    due_at: datetime | None = None
    mentions: Annotated[list[Id], msgspec.Meta(max_length=100)] | None = None
    # A client may post the send frame verbatim over HTTP.
    op: Literal["send"] | None = None
    room_id: Id | None = None


class AckIn(Strict):
    text: Text = ""


class SenderOut(msgspec.Struct, kw_only=True):
    user_id: str
    display_name: str
    org_name: str


class InstructionOut(msgspec.Struct, kw_only=True):
    targets: list[str]
    due_at: datetime | None
    acked: list[str]


class MessageOut(msgspec.Struct, kw_only=True):
    room_id: str
    seq: int
    id: str
    client_msg_id: str | None
    sender: SenderOut | None
    kind: str
    text: str
    media: dict[str, Any] | None
    location: dict[str, Any] | None
    instruction: InstructionOut | None
    ack_of_seq: int | None
    mentions: list[str]
    created_at: datetime


class MessagePage(msgspec.Struct, kw_only=True):
    items: list[MessageOut]
    next_cursor: str | None


class AckOut(msgspec.Struct, kw_only=True):
    user_id: str
    acked_at: datetime | None
    text: str


# -- WebSocket, client -> server ---------------------------------------------------------
class _Frame(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, kw_only=True):
    pass


class AuthFrame(_Frame, tag="auth"):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096, pattern=NO_NUL)]


class SubscribeFrame(_Frame, tag="subscribe"):
    room_id: Id
    since_seq: Seq | None = None


class UnsubscribeFrame(_Frame, tag="unsubscribe"):
    room_id: Id


class SendFrame(_Frame, tag="send"):
    room_id: Id
    client_msg_id: ClientMsgId
    kind: SendKind
    text: Text = ""
    media_id: Id | None = None
    location: Location | None = None
    targets: Annotated[list[Id], msgspec.Meta(max_length=200)] | None = None
    target_org_ids: Annotated[list[Id], msgspec.Meta(max_length=50)] | None = None
    due_at: datetime | None = None
    mentions: Annotated[list[Id], msgspec.Meta(max_length=100)] | None = None

    def as_message(self) -> MessageIn:
        return MessageIn(
            client_msg_id=self.client_msg_id,
            kind=self.kind,
            text=self.text,
            media_id=self.media_id,
            location=self.location,
            targets=self.targets,
            target_org_ids=self.target_org_ids,
            due_at=self.due_at,
            mentions=self.mentions,
        )


class AckFrame(_Frame, tag="ack"):
    room_id: Id
    seq: Seq
    text: Text = ""


class ReadFrame(_Frame, tag="read"):
    room_id: Id
    seq: Seq


class TypingFrame(_Frame, tag="typing"):
    room_id: Id


class PingFrame(_Frame, tag="ping"):
    pass


class PongFrame(_Frame, tag="pong"):
    """Extension: the answer to the server's ``ping`` frame (any frame counts as life)."""


ClientFrame = (
    AuthFrame
    | SubscribeFrame
    | UnsubscribeFrame
    | SendFrame
    | AckFrame
    | ReadFrame
    | TypingFrame
    | PingFrame
    | PongFrame
)
