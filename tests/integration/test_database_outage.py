"""The database restarts under a running server (issue 12): requests meanwhile answer 503
with Retry-After (never 500, never a hang), service comes back by itself once the
database does, and exactly one process takes the scheduler lock again.

A private PostgreSQL cluster (tests/integration/private_services.py) that the test stops
and starts; it runs in the PostgreSQL pass of the suite.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from backend.db.engine import Database
from backend.scheduler.leader import LOCK_KEY, LeaderLock
from tests.conftest import _pg_exec, _seed_into, in_process_settings, running
from tests.integration.demo import grid_point
from tests.integration.private_services import PrivateCluster, pg_binaries

pytestmark = [
    pytest.mark.pg_only,
    pytest.mark.skipif(pg_binaries() is None, reason="needs initdb and pg_ctl"),
]

# Bounds only so that a broken build fails instead of hanging; how fast service returns is
# the flood-day benchmark's figure (the tests wait for conditions, not for a time).
GIVE_UP = 60.0


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    c = PrivateCluster()
    try:
        c.start()
        asyncio.run(_pg_exec(c.url.replace("+asyncpg", "") + "/postgres", 'CREATE DATABASE "cy"'))
        _seed_into(f"{c.url}/cy")
        yield c
    finally:
        c.destroy()


@pytest.fixture
async def client(cluster: PrivateCluster, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    from backend.app import create_app

    app = create_app(in_process_settings(f"{cluster.url}/cy", tmp_path))
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


async def _auth(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": "chengyun-demo"}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _report() -> dict[str, Any]:
    return {
        "category_code": "garbage_exposed",
        "description": "积水",
        "location": {**grid_point(1), "address": "洪山区"},
    }


async def test_requests_answer_503_while_the_database_is_down_and_recover_within_5_s(
    cluster: PrivateCluster, client: httpx.AsyncClient
) -> None:
    street = await _auth(client, "street01a")
    grid = {**await _auth(client, "grid001"), "Idempotency-Key": "during-outage"}
    before = await client.get("/api/v1/events", headers=street)
    assert before.status_code == 200

    await asyncio.to_thread(cluster.stop)
    # The poll answered just before is kept in memory (backend/common/views.py): nothing
    # can commit while the database is down, so it is still the current answer and comes
    # back from memory. A read the server must make answers 503.
    kept = await client.get("/api/v1/events", headers=street)
    assert (kept.status_code, kept.content) == (200, before.content)
    for method, path, kw in [
        ("GET", "/api/v1/events?limit=20", {"headers": street}),
        ("GET", "/api/v1/inbox", {"headers": street}),
        ("POST", "/api/v1/events", {"headers": grid, "json": _report()}),
        ("GET", "/api/v1/health/ready", {}),
    ]:
        started = time.monotonic()
        r = await client.request(method, path, **kw)
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert int(r.headers["retry-after"]) >= 1, path
        assert time.monotonic() - started < GIVE_UP, path  # bounded, never a hang

    await asyncio.to_thread(cluster.start)
    back = time.monotonic()
    while (await client.get("/api/v1/events", headers=street)).status_code != 200:
        assert time.monotonic() - back < GIVE_UP, "service did not come back by itself"
        await asyncio.sleep(0.05)
    r = await client.post("/api/v1/events", headers=grid, json=_report())
    assert r.status_code == 201, r.text
    again = await client.post("/api/v1/events", headers=grid, json=_report())
    assert again.headers["idempotent-replayed"] == "true"


async def test_exactly_one_process_takes_the_scheduler_lock_after_a_database_restart(
    cluster: PrivateCluster,
) -> None:
    url = f"{cluster.url}/cy"
    dbs = [Database(url) for _ in range(3)]
    locks = [LeaderLock(d.engine) for d in dbs]
    try:
        assert await locks[0].try_acquire()
        assert not await locks[1].try_acquire()
        assert await locks[0].confirm()

        await asyncio.to_thread(cluster.stop)
        await asyncio.to_thread(cluster.start)

        # Every process's next election tick, the old leader's last and first in turn.
        for order in ([1, 2, 0], [0, 1, 2]):
            won = [await locks[i].try_acquire() for i in order]
            assert sum(won) == 1, (order, won)
        confirmed = [await lock.confirm() for lock in locks]
        assert confirmed == [False, True, False]
        async with dbs[0].engine.connect() as conn:
            n = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND ((classid::bigint << 32) | objid::bigint) = :k"
                ),
                {"k": LOCK_KEY},
            )
        assert n == 1
    finally:
        for lock in locks:
            await lock.release()
        for d in dbs:
            await d.dispose()
