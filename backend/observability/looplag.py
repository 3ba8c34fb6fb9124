"""Event-loop lag of this process, sampled by a tiny periodic task: it asks to wake after
``period`` seconds and records how much later than that it ran. Anything that holds the
loop (a long synchronous step, a burst of callbacks) shows up here, whatever the route."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

__all__ = ["LAG_BUCKETS", "LoopLagProbe"]

#: Seconds; 0.02 is issue 12's p99 target under a 10,000-push burst.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LoopLagProbe:
    def __init__(self, observe: Callable[[float], None], period: float = 0.05) -> None:
        self.observe = observe
        self.period = period
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period)
            self.observe(max(0.0, time.perf_counter() - start - self.period))

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
