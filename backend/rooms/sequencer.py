"""Room messages to the local sockets in seq order, each once.

Two writers publish independently, so a message may overtake another: it is held until
the one before it arrives, or, after ``GAP_WAIT_SECONDS``, read back from the database
(and skipped if it was never committed). After a channel outage everything published
meanwhile is read back the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from backend.rooms.local_room import LocalRoom

__all__ = ["GAP_FETCH_MAX", "GAP_WAIT_SECONDS", "FetchFrames", "Sequencer"]

log = logging.getLogger("chengyun.rooms.hub")

# (room_id, after, limit) -> (the room's last seq, [(seq, frame)] after ``after``).
FetchFrames = Callable[[str, int, int | None], Awaitable[tuple[int, list[tuple[int, str]]]]]
GAP_WAIT_SECONDS = 0.5
# Frames read back at most per gap: fetch_frames answers nothing when more than its limit
# were missed since ``after`` (up to the room's head, which may be past the gap).
GAP_FETCH_MAX = 1000


class Sequencer:
    def __init__(self, fetch_frames: FetchFrames, is_current: Callable[[LocalRoom], bool]) -> None:
        self.fetch_frames = fetch_frames
        self.is_current = is_current
        self.fanout_observer: Callable[[float], None] | None = None

    def accept(self, lr: LocalRoom, seq: int, text: str) -> None:
        if lr.delivered is not None and seq <= lr.delivered:
            return  # already delivered, or older than our start (it is in the database)
        lr.held[seq] = text
        if lr.delivered is None:
            return
        self.drain(lr)

    def drain(self, lr: LocalRoom) -> None:
        assert lr.delivered is not None
        for old in [s for s in lr.held if s <= lr.delivered]:
            del lr.held[old]
        started = time.perf_counter()
        while lr.delivered + 1 in lr.held:
            seq = lr.delivered + 1
            fanout(lr, seq, lr.held.pop(seq))
            lr.delivered = seq
        if self.fanout_observer is not None:
            self.fanout_observer(time.perf_counter() - started)
        if lr.held and (lr.gap_task is None or lr.gap_task.done()):
            lr.gap_task = asyncio.get_running_loop().create_task(self._fill_gap(lr))

    async def _fill_gap(self, lr: LocalRoom) -> None:
        await asyncio.sleep(GAP_WAIT_SECONDS)
        if not lr.held or lr.delivered is None or not self.is_current(lr):
            return
        upto = min(lr.held)
        if upto - lr.delivered - 1 > 0:
            _, frames = await self.fetch_frames(lr.room_id, lr.delivered, GAP_FETCH_MAX)
            for seq, text in frames:
                if seq < upto:
                    lr.held.setdefault(seq, text)
        if lr.delivered + 1 not in lr.held:
            # Not in the database either: never committed under this seq. Move on.
            log.warning("room %s: seq %d..%d never arrived", lr.room_id, lr.delivered + 1, upto - 1)
            lr.delivered = upto - 1
        self.drain(lr)

    async def catch_up(self, rooms: list[LocalRoom]) -> None:
        """Read back what was published while the channels were away."""
        for lr in rooms:
            if lr.delivered is None or not self.is_current(lr):
                continue
            try:
                _, frames = await self.fetch_frames(lr.room_id, lr.delivered, GAP_FETCH_MAX)
            except Exception:  # the next message's gap fill tries again
                log.exception("room %s: catching up after the outage failed", lr.room_id)
                continue
            for seq, text in frames:
                lr.held.setdefault(seq, text)
            if lr.held and lr.delivered is not None:
                self.drain(lr)


def fanout(lr: LocalRoom, seq: int, text: str) -> None:
    """One encoded frame to every local socket of the room (held while it replays)."""
    room_id = lr.room_id
    for conn in list(lr.conns):
        sub = conn.rooms.get(room_id)
        if sub is None:
            continue
        if sub.pending is not None:
            sub.pending.append((seq, text))
        elif seq > sub.last_seq:
            sub.last_seq = seq
            conn.enqueue(text)
