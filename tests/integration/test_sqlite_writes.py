"""SQLite writers of one process queue in order (backend/db/sqlite_writes.py); readers never
wait for them; a writer that dies mid-transaction gives its turn back."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from backend.db.engine import Database
from backend.db.models import Org

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CHENGYUN_TEST_DATABASE_URL")), reason="SQLite's own write queue"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _waiting(db: Database) -> int:
    return db.sqlite_writes.waiting if db.sqlite_writes else 0


async def _until(condition: object) -> None:
    """Poll a condition that the other tasks reach through aiosqlite's threads."""
    async with asyncio.timeout(10):
        # The queue is reached through aiosqlite's threads: there is no event to await.
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.005)


async def test_writers_go_in_the_order_they_asked_and_readers_do_not_wait(db: Database) -> None:
    order: list[int] = []
    first = db.sessions()
    await first.execute(text("UPDATE orgs SET name = name WHERE 0"))  # holds the write lock

    async def writer(n: int) -> None:
        async with db.sessions() as s:
            await s.execute(text("UPDATE orgs SET name = name WHERE 0"))
            order.append(n)
            await s.commit()

    tasks = []
    for n in range(4):
        tasks.append(asyncio.create_task(writer(n)))
        await _until(lambda n=n: _waiting(db) == n + 1)  # queued behind the first, in turn
    # A reader goes through while the writers queue.
    async with db.read_sessions() as r:
        assert (await r.execute(select(Org.id).limit(1))).scalar_one()
    assert order == []
    await first.commit()
    await first.close()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_a_cancelled_writer_gives_its_turn_back(db: Database) -> None:
    holding = asyncio.Event()

    async def doomed() -> None:
        async with db.sessions() as s:
            await s.execute(text("UPDATE orgs SET name = name WHERE 0"))
            holding.set()
            await asyncio.Event().wait()  # never commits

    task = asyncio.create_task(doomed())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.sessions() as s:  # would wait forever if the turn were kept
        await asyncio.wait_for(s.execute(text("UPDATE orgs SET name = name WHERE 0")), 10)
        await s.commit()
