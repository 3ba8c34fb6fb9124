"""The per-user send bucket: limits, and holds only users who posted recently."""

from __future__ import annotations

from backend.rooms.ratelimit import SendLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = SendLimiter(2.0, 3, clock=clock)
    assert [limiter.allow("u") for _ in range(3)] == [None, None, None]
    assert limiter.allow("u") == 0.5
    clock.now += 0.5
    assert limiter.allow("u") is None
    assert limiter.allow("v") is None  # another user has their own bucket


def test_leaving_forgives_nothing_but_a_refilled_bucket_is_dropped() -> None:
    clock = Clock()
    limiter = SendLimiter(1.0, 2, clock=clock)
    limiter.allow("u")
    limiter.allow("u")
    limiter.forget("u")  # empty: reconnecting must not refill it
    assert limiter.allow("u") == 1.0
    clock.now += 2.0
    limiter.forget("u")
    assert len(limiter) == 0


def test_many_users_who_posted_once_do_not_stay() -> None:
    clock = Clock()
    limiter = SendLimiter(1.0, 5, clock=clock, sweep_every=100)
    for n in range(10_000):
        clock.now += 0.01  # each bucket refills 4 s after its post
        assert limiter.allow(f"user-{n}") is None
        assert len(limiter) <= 100 + 400
