"""Running image work off the event loop, and reading uploads with a hard byte limit."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from media.errors import MediaError

__all__ = ["ImagePool", "read_limited"]

P = ParamSpec("P")
T = TypeVar("T")


class ImagePool:
    """A fixed set of threads for decode/resize/encode (Pillow drops the GIL for those).

    Callers queue on a semaphore in the event loop rather than in the executor's
    unbounded queue: a request that is cancelled (client gone, timeout) while waiting
    leaves the queue at once instead of still decoding a photo nobody will read, and the
    number waiting is visible for back-pressure (`waiting`).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self._executor = ThreadPoolExecutor(
            max_workers=self.max_workers, thread_name_prefix="media-image"
        )
        self._slots = asyncio.Semaphore(self.max_workers)
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Calls queued for a worker right now."""
        return self._waiting

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._executor, functools.partial(fn, *args, **kwargs)
            )
        finally:
            self._slots.release()

    def close(self, *, wait: bool = True) -> None:
        """Stop accepting work; with `wait`, finish what is running first."""
        self._executor.shutdown(wait=wait, cancel_futures=True)


async def read_limited(chunks: AsyncIterable[bytes], max_bytes: int) -> bytes:
    """Join a streamed body, failing with `payload_too_large` as soon as it passes
    `max_bytes`, so a client without Content-Length cannot make us buffer more."""
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise MediaError("payload_too_large", f"the upload is larger than {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)
