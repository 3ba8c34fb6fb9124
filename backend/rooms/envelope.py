"""What one process tells the others on a room's channel: msgspec Structs in msgpack.

A message carries its seq and its frame already encoded for the sockets (encoded once by
the writer, never per recipient); an ephemeral frame (typing, read) names the user it
is not echoed to; presence carries a process's subscribed users, and a query asks the
other processes to announce theirs.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "Announce",
    "Ephemeral",
    "Posted",
    "Query",
    "RoomEnvelope",
    "ToUsers",
    "decode",
    "decode_to_users",
    "encode",
]


class Posted(msgspec.Struct, tag="M", array_like=True, frozen=True):
    seq: int
    frame: str


class Ephemeral(msgspec.Struct, tag="E", array_like=True, frozen=True):
    exclude: str
    frame: str


class Announce(msgspec.Struct, tag="P", array_like=True, frozen=True):
    proc: str
    users: list[str]


class Query(msgspec.Struct, tag="Q", array_like=True, frozen=True):
    proc: str


RoomEnvelope = Posted | Ephemeral | Announce | Query

encode = msgspec.msgpack.Encoder().encode
decode = msgspec.msgpack.Decoder(RoomEnvelope).decode


class ToUsers(msgspec.Struct, array_like=True, frozen=True):
    """One frame for every socket of these users (the user-notify channel): one message
    however many recipients, the frame encoded once."""

    users: list[str]
    frame: str


decode_to_users = msgspec.msgpack.Decoder(ToUsers).decode
