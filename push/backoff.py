"""Retry timing shared by every push retry loop (the backend's outbox relay included).

One helper instead of a copy-pasted loop per caller: exponential backoff with "full
jitter" (AWS architecture blog, "Exponential Backoff And Jitter"), so a thousand
notifications that failed together do not all come back in the same second, and a
provider's Retry-After acting as a floor, because sending earlier only earns another 429.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable

__all__ = ["next_delay", "parse_retry_after"]

# Exponents above this already exceed any sane cap; stopping here keeps 2**n a float.
_MAX_EXPONENT = 62


def next_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number `attempt` (1 for the first retry).

    The delay is uniform in [0, min(cap, base * 2**(attempt-1))) ("full jitter"), and never
    less than `retry_after` when the provider gave one. A Retry-After above `cap` wins:
    the server knows its own recovery time better than our cap does.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    delay = rng() * ceiling
    if retry_after is not None and retry_after > delay:
        return float(retry_after)
    return delay


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Parse an HTTP Retry-After header (delta-seconds or HTTP-date) into seconds.

    Returns None when absent or unparseable, so callers fall back to their own backoff
    rather than trusting garbage; a date in the past gives 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        parsed = email.utils.parsedate_tz(text)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - now())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
