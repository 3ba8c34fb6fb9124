"""Polled answers kept in memory while nothing they show can have changed.

``GET /events``, ``GET /events/{id}``, ``GET /inbox`` and ``GET /notifications`` are polled:
most polls find nothing new. Their ``ETag`` is still the hash of the answer
(``backend.common.conditional``); what this adds is the knowledge that the answer has not
changed, so a poll with the current tag gets its ``304`` (or, without it, the same bytes
again) before any statement runs.

An answer is kept per (caller, path, query) with the **generation** it was read at: a
counter of this process, bumped after every commit that wrote a table a polled read can
show (``backend.db.view_writes``: events, assignments, extensions, media, tasks,
notifications, users, orgs, categories, ...; the tables no such read shows are listed there)
and when another process says it committed one (the views broadcast,
``backend.rooms.view_broadcast``). The generation is read when the request's session is
opened (``backend.deps.provide_db``), before its first statement, and a commit bumps it
only once it is visible, so an answer is never kept under a generation newer than the data
it was read from. A kept answer also ends:

- when an ``sla_state`` in it moves with the clock (``sla_until``: the next warn or due
  time of anything in it; a list filtered by ``sla_state`` is never kept, its members move
  with the clock);
- when its photo links' 5-minute period ends (``link_epoch``), as the tag does;
- after ``max_age`` seconds in any case, so a writer outside the servers (SQL by hand, a
  migration, a CLI command in another process) reaches every poll within that time.

It is coarse on purpose: any such write anywhere drops every kept answer. While the views
broadcast is away (Redis down), nothing is kept or answered from here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "GENERATION_KEY",
    "LINK_EPOCH_SECONDS",
    "ViewCache",
    "ViewSlot",
    "link_epoch",
    "matches",
    "next_sla_change",
]

#: A signed photo link's tag period: an answer with links is tagged per period (see
#: ``backend.common.conditional``), so its tag changes when the period ends.
LINK_EPOCH_SECONDS = 300


def link_epoch(now: float) -> int:
    return int(now // LINK_EPOCH_SECONDS)


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against a list of tags (or ``*``)."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


#: ``session.info`` key: the generation when the request's session was opened.
GENERATION_KEY = "view_generation"


@dataclass(slots=True)
class _Kept:
    etag: str
    body: bytes | None  # None: a 304 only (an answer whose reading is audited)
    generation: int
    sla_until: datetime | None
    link_epoch: int | None
    until: float  # ViewCache.clock()


@dataclass(frozen=True, slots=True)
class ViewSlot:
    """Where one request's answer is kept: its key and the generation it is read at."""

    cache: ViewCache
    key: Hashable
    generation: int


def next_sla_change(
    times: Iterable[tuple[bool, datetime | None, datetime | None]], now: datetime
) -> datetime | None:
    """The first moment an ``sla_state`` of these (running, warn_at, due_at) moves."""
    first: datetime | None = None
    for running, warn_at, due_at in times:
        if not running or due_at is None:
            continue
        if warn_at is not None and now < warn_at:
            at = warn_at
        elif now <= due_at:
            at = due_at  # "overdue" once now > due_at; dropped at due_at already
        else:
            continue
        if first is None or at < first:
            first = at
    return first


class ViewCache:
    def __init__(
        self,
        *,
        max_entries: int = 4096,
        max_body: int = 512 * 1024,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_age = max_age
        self.clock = clock
        self.generation = 0
        #: False while other processes' bumps may be missed (the broadcast is away).
        self.live: Callable[[], bool] = lambda: True
        #: Called after a bump of this process's own (to tell the other processes).
        self.changed: list[Callable[[], None]] = []
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self.hits = 0

    def bump(self, *, broadcast: bool = True) -> None:
        self.generation += 1
        self._kept.clear()
        if broadcast:
            for listener in self.changed:
                listener()

    @staticmethod
    def key(request: Request[Any, Any, Any], caller: Hashable) -> Hashable:
        scope = request.scope
        return (caller, scope["path"], scope["query_string"])

    def slot(
        self, request: Request[Any, Any, Any], caller: Hashable, session: AsyncSession
    ) -> ViewSlot | None:
        """Where the caller's answer to this request is kept, read at the generation the
        request's session was opened at (None: a session not opened by ``provide_db``)."""
        generation = session.info.get(GENERATION_KEY)
        if generation is None:
            return None
        return ViewSlot(self, self.key(request, caller), generation)

    def answer(
        self,
        request: Request[Any, Any, Any],
        caller: Hashable,
        *,
        now: datetime,
        link_now: float,
    ) -> Response[Any] | None:
        """The kept answer (304 for its current tag), or None: build it. ``now``: the
        business clock (``ctx.now()``); ``link_now``: the photo links' (``MediaLinks``)."""
        key = self.key(request, caller)
        kept = self._kept.get(key)
        if kept is None:
            return None
        if (
            kept.generation != self.generation
            or not self.live()
            or (kept.sla_until is not None and now >= kept.sla_until)
            or (kept.link_epoch is not None and kept.link_epoch != link_epoch(link_now))
            or self.clock() >= kept.until
        ):
            del self._kept[key]
            return None
        headers = {"ETag": kept.etag}
        if matches(request.headers.get("if-none-match"), kept.etag):
            self._kept.move_to_end(key)
            self.hits += 1
            return Response(content=b"", status_code=304, headers=headers)
        if kept.body is None:
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return Response(
            content=kept.body, status_code=200, media_type=MediaType.JSON, headers=headers
        )

    def keep(
        self,
        slot: ViewSlot,
        etag: str,
        body: bytes,
        *,
        sla_until: datetime | None,
        link_epoch: int | None,
        replay: bool = True,
    ) -> None:
        if slot.generation != self.generation or not self.live() or self.max_entries <= 0:
            return
        kept = self._kept
        kept.pop(slot.key, None)
        while len(kept) >= self.max_entries:
            kept.popitem(last=False)
        kept[slot.key] = _Kept(
            etag,
            body if replay and len(body) <= self.max_body else None,
            slot.generation,
            sla_until,
            link_epoch,
            self.clock() + self.max_age,
        )

    def __len__(self) -> int:
        return len(self._kept)
