"""Work that runs after a commit, off the request: tracked, logged, drained on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["BackgroundTasks"]

log = logging.getLogger("chengyun.background")


class BackgroundTasks:
    """Holds a reference to every task (the loop only keeps weak ones) and logs failures.

    What runs here must be safe to lose on a crash: the database already holds the truth
    and a periodic job repairs what a lost task left undone.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, grace_seconds: float | None = None) -> None:
        """Wait for everything spawned so far (tests; graceful shutdown)."""
        while self._tasks:
            pending = set(self._tasks)
            _done, not_done = await asyncio.wait(pending, timeout=grace_seconds)
            if not_done:
                for task in not_done:
                    task.cancel()
                return

    def __len__(self) -> int:
        return len(self._tasks)
