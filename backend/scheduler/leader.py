"""Electing the one process that runs the scheduler.

On PostgreSQL a session-level advisory lock, held on a dedicated connection for as long as
this process leads: when the process dies its connection closes and the lock is free for
the next one, which takes it at its next try. SQLite is the embedded, single-process shape:
the process leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["LeaderLock"]

log = logging.getLogger("chengyun.scheduler")

# Any fixed 64-bit number, the same in every process of one deployment.
LOCK_KEY = 0x6368656E677975  # "chengyu"


class LeaderLock:
    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self.engine.dialect.name == "sqlite"

    async def try_acquire(self) -> bool:
        if self.engine.dialect.name == "sqlite":
            return True
        if self._conn is not None:
            if await self._still_alive():
                return True
            await self.release()
        for attempt in (1, 2):
            conn = await self.engine.connect()
            try:
                got = (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
                ).scalar()
                await conn.commit()
                break
            except DBAPIError as exc:
                await conn.close()
                # A pooled connection the database closed when it restarted: the pool has
                # now dropped its old connections, so the second try gets a fresh one.
                if exc.connection_invalidated and attempt == 1:
                    continue
                raise
            except BaseException:
                await conn.close()
                raise
        if got:
            self._conn = conn
            log.info("this process now runs the scheduler")
            return True
        await conn.close()
        return False

    async def confirm(self) -> bool:
        """Whether this process still leads, checked on the lock's connection."""
        if self.engine.dialect.name == "sqlite":
            return True
        if self._conn is None:
            return False
        if await self._still_alive():
            return True
        await self.release()
        return False

    async def _still_alive(self) -> bool:
        assert self._conn is not None
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - a dead connection means the lock is gone
            log.warning("scheduler lock connection lost: %s", exc)
            return False

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await conn.commit()
        except Exception as exc:  # noqa: BLE001 - closing the connection frees it anyway
            log.warning("releasing scheduler lock: %s", exc)
        finally:
            await conn.close()
