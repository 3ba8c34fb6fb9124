"""push.backoff: full-jitter delays with a Retry-After floor, and Retry-After parsing."""

from __future__ import annotations

import random

import pytest

from push.backoff import next_delay, parse_retry_after


def test_full_jitter_with_a_seeded_rng() -> None:
    rng = random.Random(7)
    delays = [next_delay(a, base=1.0, cap=30.0, rng=rng.random) for a in range(1, 8)]

    # Random(7) draws 0.3238, 0.1508, 0.6509, ...; retry n scales draw n by
    # min(cap, base * 2**(n-1)): 1, 2, 4, 8, 16, 30, 30.
    assert [round(d, 6) for d in delays] == [
        0.323833, 0.301698, 2.603738, 0.57949, 8.574112, 10.970668, 1.739968,
    ]  # fmt: skip


def test_ceiling_doubles_until_the_cap() -> None:
    top = [next_delay(a, base=2.0, cap=50.0, rng=lambda: 0.999999) for a in range(1, 8)]
    assert [round(t) for t in top] == [2, 4, 8, 16, 32, 50, 50]


def test_retry_after_is_a_floor_even_above_the_cap() -> None:
    assert next_delay(1, base=1.0, cap=30.0, retry_after=120.0, rng=lambda: 0.5) == 120.0
    assert next_delay(6, base=1.0, cap=30.0, retry_after=3.0, rng=lambda: 0.5) == 15.0


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert next_delay(10_000, base=1.0, cap=300.0, rng=lambda: 0.5) == 150.0


@pytest.mark.parametrize(
    "bad", [{"attempt": 0}, {"attempt": 1, "base": 0}, {"attempt": 1, "cap": -1}]
)
def test_rejects_nonsense(bad: dict[str, float]) -> None:
    attempt = int(bad.pop("attempt"))
    with pytest.raises(ValueError):
        next_delay(attempt, **bad)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("inf", None),
        ("soon", None),
        ("Sun, 15 Jun 2025 15:08:20 GMT", 100.0),
        ("Sun, 15 Jun 2025 15:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=lambda: 1_750_000_000.0) == expected
