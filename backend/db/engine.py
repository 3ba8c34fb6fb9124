"""Engine and session factory, built by the composition root, never at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.db.sqlite_writes import WriteQueue
from backend.db.view_writes import track_view_writes

__all__ = ["ACQUIRE_SECONDS", "CONNECT_SECONDS", "Database", "on_commit", "run_after_commit"]

# PostgreSQL: how long a request waits to open a connection, and for a free one from a
# full pool, before it answers 503 (backend/db/outage.py) instead of hanging. Refused
# connections (a database that is down or restarting) fail at once; the connect bound
# covers a host that drops packets. A full pool means load, not an outage: a burst (200
# concurrent reports on 2 cores) must queue, not be refused, so that wait stays long.
CONNECT_SECONDS = 5.0
ACQUIRE_SECONDS = 30.0


def _configure_sqlite(engine: AsyncEngine, writes: WriteQueue) -> None:
    writes.install(engine.sync_engine.dialect)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer committed in between; so a session that will write
        # takes the write lock up front, after this process's earlier writers (WriteQueue).
        # Readers (WAL) never need it and begin deferred, so they neither wait for nor block
        # writers.
        if conn.get_execution_options().get("sqlite_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            writes.begin(conn.connection, lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"))


class Database:
    """The engine plus its session factory."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": False}
        if url.startswith("postgresql"):
            kwargs.update(
                pool_size=pool_size,
                max_overflow=pool_size * 2,
                pool_timeout=ACQUIRE_SECONDS,
                connect_args={"timeout": CONNECT_SECONDS},
            )
        elif ":memory:" not in url:
            # Keep as many SQLite connections as requests run at once: with the default 5, a
            # busier moment opened and closed overflow connections (a thread and four PRAGMAs
            # each) all the time; py-spy showed aiosqlite's connect on every other request.
            kwargs.update(pool_size=pool_size * 3, max_overflow=pool_size * 3)
        self.engine = create_async_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # This process's SQLite writers, in the order they asked (None on PostgreSQL).
        self.sqlite_writes = WriteQueue() if self.is_sqlite else None
        if self.sqlite_writes is not None:
            _configure_sqlite(self.engine, self.sqlite_writes)
        #: Called after each commit that wrote a table a polled read shows (view_writes.py).
        self.view_changes: list[Callable[[], None]] = []
        track_view_writes(self.engine.sync_engine, self._view_changed)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Sessions for requests that only read. On PostgreSQL they are the same thing.
        self.read_sessions = (
            async_sessionmaker(
                self.engine.execution_options(sqlite_read_only=True), expire_on_commit=False
            )
            if self.is_sqlite
            else self.sessions
        )

    def _view_changed(self) -> None:
        for listener in self.view_changes:
            listener()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` after the session's transaction commits; never if it rolls back.

    Side effects (pushes, room messages, relays) hang off this so a rolled-back change
    sends nothing.
    """
    session.info.setdefault("after_commit", []).append(callback)


def run_after_commit(session: AsyncSession) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def drop_after_commit(session: AsyncSession) -> None:
    session.info.pop("after_commit", None)
