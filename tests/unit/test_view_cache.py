"""The kept polled answers (backend/common/views.py) on their own: never kept under a
generation newer than the read, dropped by the clock, the links' period and their age,
bounded, and not used while the broadcast is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.common.views import ViewCache, ViewSlot, next_sla_change

T0 = datetime(2026, 12, 5, 8, tzinfo=UTC)


class Req:
    scope = {"path": "/p", "query_string": b""}

    def __init__(self, tag: str | None = None) -> None:
        self.headers = {"if-none-match": tag} if tag else {}


def at(cache: ViewCache, caller: Any, generation: int) -> ViewSlot:
    return ViewSlot(cache, ViewCache.key(Req(), caller), generation)  # type: ignore[arg-type]


def ask(cache: ViewCache, slot: ViewSlot, tag: str | None = None, **kw: Any) -> int | None:
    caller = slot.key[0]  # type: ignore[index]
    now, link_now = kw.get("now", T0), kw.get("link_now", 0.0)
    r = cache.answer(Req(tag), caller, now=now, link_now=link_now)  # type: ignore[arg-type]
    return None if r is None else r.status_code


def test_an_answer_read_before_a_commit_is_not_kept_under_the_new_generation() -> None:
    cache = ViewCache()
    slot = at(cache, "k", cache.generation)  # the session opened
    cache.bump()  # a write committed while the answer was read
    cache.keep(slot, '"t"', b"{}", sla_until=None, link_epoch=None)
    assert len(cache) == 0
    fresh = at(cache, "k", cache.generation)
    cache.keep(fresh, '"t"', b"{}", sla_until=None, link_epoch=None)
    assert ask(cache, fresh, '"t"') == 304 and ask(cache, fresh) == 200
    cache.bump()
    assert ask(cache, fresh, '"t"') is None


def test_kept_until_the_clock_the_links_or_the_age_say_otherwise() -> None:
    now = [0.0]
    cache = ViewCache(max_age=60, clock=lambda: now[0])
    slot = at(cache, "k", 0)
    cache.keep(slot, '"t"', b"{}", sla_until=T0 + timedelta(hours=1), link_epoch=7)
    assert ask(cache, slot, '"t"', link_now=7 * 300 + 299) == 304
    assert ask(cache, slot, '"t"', link_now=8 * 300) is None  # the links' period ended
    cache.keep(slot, '"t"', b"{}", sla_until=T0 + timedelta(hours=1), link_epoch=None)
    assert ask(cache, slot, '"t"', now=T0 + timedelta(hours=1)) is None  # a state moved
    cache.keep(slot, '"t"', b"{}", sla_until=None, link_epoch=None)
    now[0] = 60.0
    assert ask(cache, slot, '"t"') is None  # a writer outside the servers: at most max_age


def test_bounded_an_audited_answer_is_a_304_only_and_nothing_while_the_broadcast_is_away() -> None:
    cache = ViewCache(max_entries=2)
    slots = [at(cache, n, 0) for n in range(3)]
    for slot in slots:
        cache.keep(slot, '"t"', b"{}", sla_until=None, link_epoch=None, replay=False)
    assert len(cache) == 2 and ask(cache, slots[0], '"t"') is None
    assert ask(cache, slots[2], '"t"') == 304 and ask(cache, slots[2]) is None
    cache.live = lambda: False
    assert ask(cache, slots[2], '"t"') is None


def test_the_next_sla_change() -> None:
    h = timedelta(hours=1)
    assert next_sla_change([], T0) is None
    assert next_sla_change([(True, T0 + h, T0 + 2 * h), (True, None, T0 + 3 * h)], T0) == T0 + h
    assert next_sla_change([(True, T0 - h, T0 + 2 * h)], T0) == T0 + 2 * h  # warning now
    assert next_sla_change([(True, T0 - 2 * h, T0 - h), (False, T0, T0 + h)], T0) is None


def test_with_no_time_to_keep_nothing_is_kept() -> None:
    cache = ViewCache(max_entries=0)  # CHENGYUN_VIEW_CACHE_SECONDS=0
    cache.keep(at(cache, "k", 0), '"t"', b"{}", sla_until=None, link_epoch=None)
    assert len(cache) == 0
