"""Event-loop lag sampled while a benchmark's work runs (shared by the push benchmarks)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

__all__ = ["LAG_PROBE_SECONDS", "measure", "p99"]

LAG_PROBE_SECONDS = 0.005


async def measure(run: Callable[[], Awaitable[int]]) -> tuple[float, int, list[float]]:
    """Run `run` while sampling event-loop lag; return seconds, successes, lags (s)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            lags.append(time.perf_counter() - start - LAG_PROBE_SECONDS)

    prober = asyncio.create_task(probe())
    start = time.perf_counter()
    ok = await run()
    elapsed = time.perf_counter() - start
    done.set()
    await prober
    return elapsed, ok, lags


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else 0.0
