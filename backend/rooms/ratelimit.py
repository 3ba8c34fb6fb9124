"""Messages a user may post per second on this process: a token bucket per user.

A bucket that has refilled is the same as no bucket, so full ones are dropped: when the
user's last socket leaves, and in a sweep once the table has grown by ``sweep_every``
since the last one. The table holds only users who posted within the last
``burst / rate`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["SendLimiter"]


class SendLimiter:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sweep_every: int = 1024,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.sweep_every = sweep_every
        self._buckets: dict[str, tuple[float, float]] = {}
        self._swept_at_size = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, user_id: str, now: float) -> float:
        tokens, at = self._buckets.get(user_id, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def allow(self, user_id: str) -> float | None:
        """None if ``user_id`` may send now (a token is taken), else seconds to wait."""
        now = self.clock()
        tokens = self._tokens(user_id, now)
        if tokens < 1.0:
            self._buckets[user_id] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[user_id] = (tokens - 1.0, now)
        if len(self._buckets) >= self._swept_at_size + self.sweep_every:
            self.sweep()
        return None

    def forget(self, user_id: str) -> None:
        """Drop the user's bucket if it has refilled (nothing is forgiven)."""
        if user_id in self._buckets and self._tokens(user_id, self.clock()) >= self.burst:
            del self._buckets[user_id]

    def sweep(self) -> None:
        now = self.clock()
        for user_id in [u for u in self._buckets if self._tokens(u, now) >= self.burst]:
            del self._buckets[user_id]
        self._swept_at_size = len(self._buckets)
