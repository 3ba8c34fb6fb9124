"""What one process holds for a room that has local subscribers."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from litestar.channels import Subscriber

from backend.rooms.connection import Connection

__all__ = ["LocalRoom", "room_channel"]


def room_channel(room_id: str) -> str:
    return f"room.{room_id}"


@dataclass
class LocalRoom:
    room_id: str
    conns: set[Connection] = field(default_factory=set)
    # Sequencing: the last seq handed to the sockets, and frames that overtook a gap.
    delivered: int | None = None
    held: dict[int, str] = field(default_factory=dict)
    subscriber: Subscriber | None = None
    consumer: asyncio.Task[None] | None = None
    gap_task: asyncio.Task[None] | None = None
    # Presence: sockets per local user, and the users other processes last announced.
    local_users: Counter[str] = field(default_factory=Counter)
    remote: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    presence_handle: asyncio.TimerHandle | None = None
    announce_pending: bool = False
