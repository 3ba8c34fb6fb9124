"""Dispatch rooms (联勤联动): room and message shapes, and the WebSocket frames.

Client frames are one tagged union (tag field ``op``), decoded once per frame and
dispatched with ``match``. Server frames are another (``ServerFrame``), each encoded once
and the bytes fanned out to every socket. Both unions are the source of the AsyncAPI
document (backend/rooms/asyncapi.py); a frame type missing from it fails a test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from schemas.common import NO_NUL, Location, Strict
from schemas.events import EventFrame
from schemas.notify import NotificationOut

__all__ = [
    "AckFrame",
    "AckIn",
    "AckOut",
    "AuthFrame",
    "ClientFrame",
    "ErrorFrame",
    "MemberOut",
    "MembersIn",
    "MessageFrame",
    "MessageIn",
    "MessageOut",
    "MessagePage",
    "NotificationFrame",
    "PingFrame",
    "PongFrame",
    "PresenceFrame",
    "ReadFrame",
    "ReadNoticeFrame",
    "ReadyFrame",
    "RoomCreateIn",
    "RoomOut",
    "SendFrame",
    "SenderOut",
    "SentFrame",
    "ServerFrame",
    "ServerPingFrame",
    "ServerPongFrame",
    "SubscribeFrame",
    "SubscribedFrame",
    "TypingFrame",
    "TypingNoticeFrame",
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


# -- WebSocket, server -> client ---------------------------------------------------------
class _ServerFrame(msgspec.Struct, tag_field="op", kw_only=True):
    pass


class ReadyFrame(_ServerFrame, tag="ready"):
    """The socket is authenticated (again, after a refreshed ``auth`` frame)."""

    user_id: str


class SubscribedFrame(_ServerFrame, tag="subscribed"):
    """Answer to ``subscribe``; with ``since_seq`` the missed messages follow it, then
    live ones. ``recovered`` is false when more was missed than the server replays: page
    ``GET /rooms/{id}/messages`` then."""

    room_id: str
    last_seq: int
    recovered: bool


class MessageFrame(_ServerFrame, tag="message"):
    room_id: str
    message: MessageOut


class SentFrame(_ServerFrame, tag="sent"):
    """Answer to ``send`` and ``ack``: the stored message's seq (the same on a resend)."""

    client_msg_id: str | None
    room_id: str
    seq: int


class PresenceFrame(_ServerFrame, tag="presence"):
    """Who is subscribed to the room on any process: at most 200 ids, and the count."""

    room_id: str
    online: list[str]
    online_count: int


class TypingNoticeFrame(_ServerFrame, tag="typing"):
    room_id: str
    user_id: str


class ReadNoticeFrame(_ServerFrame, tag="read"):
    """A member read the room up to ``seq``."""

    room_id: str
    user_id: str
    seq: int


class NotificationFrame(_ServerFrame, tag="notification"):
    """In-app delivery of a stored notification while the socket is open."""

    notification: NotificationOut


class ErrorFrame(_ServerFrame, tag="error", omit_defaults=True):
    """A frame was refused; the socket stays open. ``ref`` is the refused frame's
    ``client_msg_id`` or ``room_id`` when it had one."""

    code: str
    detail: str
    ref: str | None = None


class ServerPingFrame(_ServerFrame, tag="ping"):
    """Sent every 20 s; any frame back (``pong`` is the polite one) counts as life."""


class ServerPongFrame(_ServerFrame, tag="pong"):
    """Answer to the client's ``ping``."""


ServerFrame = (
    ReadyFrame
    | SubscribedFrame
    | MessageFrame
    | SentFrame
    | PresenceFrame
    | TypingNoticeFrame
    | ReadNoticeFrame
    | NotificationFrame
    | EventFrame
    | ErrorFrame
    | ServerPingFrame
    | ServerPongFrame
)
