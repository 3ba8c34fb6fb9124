"""SQLite's one writer at a time, queued in order inside the process.

A write transaction begins with ``BEGIN IMMEDIATE`` (engine.py says why). When another
connection holds the write lock, SQLite's busy handler retries with sleeps of growing length
(up to 100 ms each), in no order: under 16 concurrent writers a writer that kept losing the
race waited seconds while others went through in milliseconds, and one request in a few
thousand passed the busy timeout (``database is locked``). So the writers of this process
first wait their turn on an asyncio lock (first come, first served; waiting costs no CPU)
and only then ask SQLite, which then almost always says yes at once. The busy handler is
still there for writers of other processes (the CLI, a second server on the same file).

The lock is taken in the engine's ``begin`` event, which runs inside SQLAlchemy's greenlet
and so may wait on the event loop (``await_only``), and given back once the transaction is
over: after the DBAPI commit or rollback, or when the connection is closed or thrown away
(a cancelled request), so no path keeps it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.util import await_only

__all__ = ["WriteQueue"]


def _raw(connection: Any) -> Any:
    """The driver's connection behind a pool proxy (or the driver's connection itself)."""
    return getattr(connection, "dbapi_connection", None) or connection


class WriteQueue:
    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._holder: Any = None

    @property
    def waiting(self) -> int:
        """Writers queued behind the current one."""
        waiters = getattr(self._lock, "_waiters", None) or ()
        return sum(1 for w in waiters if not w.done())

    def begin(self, connection: Any, begin: Callable[[], None]) -> None:
        """Wait for this process's other writers, then run ``begin`` (BEGIN IMMEDIATE)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        await_only(self._lock.acquire())
        self._holder = _raw(connection)
        try:
            begin()
        except BaseException:
            self.release(connection)
            raise

    def release(self, connection: Any) -> None:
        if self._lock is not None and self._holder is not None and self._holder is _raw(connection):
            self._holder = None
            self._lock.release()

    def install(self, dialect: Any) -> None:
        """Give the lock back after every way a transaction or its connection ends."""
        for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
            original = getattr(dialect, name)

            def ended(connection: Any, _original: Any = original) -> None:
                try:
                    _original(connection)
                finally:
                    self.release(connection)

            setattr(dialect, name, ended)
