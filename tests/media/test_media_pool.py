"""ImagePool bounds concurrency off the loop; read_limited stops at the byte limit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from media import ImagePool, MediaError, read_limited


class Gate:
    """Lets worker threads report that they started, then holds them until released."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.running = 0
        self.peak = 0
        self.calls: list[int] = []
        self.release = threading.Event()

    def work(self, n: int) -> int:
        with self.cond:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.calls.append(n)
            self.cond.notify_all()
        self.release.wait(timeout=30)
        with self.cond:
            self.running -= 1
        return n * 10

    async def wait_running(self, count: int) -> None:
        def wait() -> bool:
            with self.cond:
                return self.cond.wait_for(lambda: self.running >= count, timeout=30)

        assert await asyncio.to_thread(wait)


async def test_run_returns_the_result_and_passes_arguments() -> None:
    pool = ImagePool(max_workers=2)
    try:
        assert await pool.run(divmod, 17, 5) == (3, 2)
        assert await pool.run(int, "ff", base=16) == 255
    finally:
        pool.close()


async def test_at_most_max_workers_run_and_the_rest_queue() -> None:
    pool = ImagePool(max_workers=2)
    gate = Gate()
    try:
        tasks = [asyncio.create_task(pool.run(gate.work, n)) for n in range(6)]
        await gate.wait_running(2)  # several loop turns: every task reached the semaphore
        assert pool.waiting == 4
        assert gate.running == 2
        gate.release.set()
        assert await asyncio.gather(*tasks) == [n * 10 for n in range(6)]
        assert gate.peak == 2
        assert pool.waiting == 0
    finally:
        gate.release.set()
        pool.close()


async def test_a_cancelled_queued_call_never_runs() -> None:
    pool = ImagePool(max_workers=1)
    gate = Gate()
    try:
        first = asyncio.create_task(pool.run(gate.work, 1))
        await gate.wait_running(1)
        queued = asyncio.create_task(pool.run(gate.work, 2))
        await asyncio.sleep(0)  # one loop turn (not a timed wait): queued reaches the semaphore
        assert pool.waiting == 1
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        gate.release.set()
        assert await first == 10
        assert await pool.run(gate.work, 3) == 30
        assert gate.calls == [1, 3]
    finally:
        gate.release.set()
        pool.close()


async def test_errors_from_the_worker_reach_the_caller() -> None:
    def refuse() -> None:
        raise MediaError("corrupt_image", "bad")

    pool = ImagePool(max_workers=1)
    try:
        with pytest.raises(MediaError) as info:
            await pool.run(refuse)
        assert info.value.status == 422
        assert await pool.run(len, b"abc") == 3  # the slot was given back
    finally:
        pool.close()


async def test_the_loop_keeps_running_while_workers_are_busy() -> None:
    pool = ImagePool(max_workers=1)
    gate = Gate()
    try:
        task = asyncio.create_task(pool.run(gate.work, 1))
        await gate.wait_running(1)
        # The worker is blocked, yet the loop still serves other coroutines.
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "served"), 5) == "served"
        gate.release.set()
        assert await task == 10
    finally:
        gate.release.set()
        pool.close()


def test_default_size_is_the_cpu_count() -> None:
    import os

    pool = ImagePool()
    assert pool.max_workers == (os.cpu_count() or 1)
    pool.close()


class Source:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


async def test_read_limited_joins_up_to_the_limit() -> None:
    assert await read_limited(Source([b"ab", b"cd", b"e"]), 5) == b"abcde"
    assert await read_limited(Source([]), 5) == b""


async def test_read_limited_stops_as_soon_as_the_limit_is_crossed() -> None:
    source = Source([b"x" * 4, b"x" * 4, b"x" * 4, b"x" * 4])
    with pytest.raises(MediaError) as info:
        await read_limited(source, 6)
    assert (info.value.code, info.value.status) == ("payload_too_large", 413)
    assert source.pulled == 2
