"""Offline sync cost: a full first sync of 5,000 tasks, and an incremental sync.

    .venv/bin/python bench/inbox.py
    .venv/bin/python bench/inbox.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/cy_bench_inbox

Through the real app (httpx over ASGI, in process), as the street dispatcher street01a whose
street has 5,000 open tasks. The incremental sync follows 40 changes (20 tasks closed, 20
opened). Printed beside GET /me in the same run as the per-request baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.auth.passwords import password_service  # noqa: E402
from backend.db.engine import Database  # noqa: E402
from backend.db.migrate import upgrade_head  # noqa: E402
from backend.db.models import InboxCounter, Org, Task  # noqa: E402
from backend.inbox.service import close_tasks, open_task  # noqa: E402
from backend.orgs.seed import seed_demo  # noqa: E402
from bench._scratch import run_on_scratch_database  # noqa: E402
from tests.conftest import in_process_settings  # noqa: E402

TASKS = 5000
USER = "street01a"


async def load(url: str, now: datetime) -> str:
    db = Database(url)
    try:
        async with db.sessions() as s:
            await seed_demo(s, password_service("fast"))
            street = (await s.execute(select(Org.id).where(Org.code == "420111001"))).scalar_one()
            rows = [
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "kind": "triage",
                    "state": "open",
                    "assignee_org_id": street,
                    "assignee_role": "street_dispatcher",
                    "warned": False,
                    "overdue_fired": False,
                    "escalation_fired": False,
                    "rev": i + 1,
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now,
                }
                for i in range(TASKS)
            ]
            await s.execute(insert(Task), rows)
            counter = await s.get(InboxCounter, 1)
            assert counter is not None
            counter.value = TASKS
            await s.commit()
        return street
    finally:
        await db.dispose()


async def full_sync(c: httpx.AsyncClient, h: dict[str, str], limit: int) -> tuple[float, str, int]:
    t = time.perf_counter()
    cursor, n = None, 0
    while True:
        q = f"/api/v1/inbox/sync?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = (await c.get(q, headers=h)).json()
        n += len(page["upserts"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return time.perf_counter() - t, cursor, n


async def main(url: str, data_dir: Path) -> None:
    now = datetime.now(UTC)
    await asyncio.to_thread(upgrade_head, url)
    street = await load(url, now)
    app = create_app(in_process_settings(url, data_dir, log_level="WARNING"))
    ctx = app.state["ctx"]
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            r = await c.post(
                "/api/v1/auth/login", json={"username": USER, "password": "chengyun-demo"}
            )
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            me = []
            for _ in range(30):
                t = time.perf_counter()
                await c.get("/api/v1/me", headers=h)
                me.append(time.perf_counter() - t)
            rows = []
            for limit in (200, 500):
                runs = [await full_sync(c, h, limit) for _ in range(3)]
                best = min(runs, key=lambda x: x[0])
                rows.append((f"full first sync, pages of {limit}", best[0], best[2]))
            cursor = runs[0][1]
            incr = []
            for round_ in range(5):
                async with ctx.db.sessions() as s:
                    ids = list(
                        (
                            await s.execute(select(Task.id).where(Task.state == "open").limit(20))
                        ).scalars()
                    )
                    for task_id in ids:  # done elsewhere (another dispatcher took them)
                        await close_tasks(s, now=now, task_id=task_id)
                    for _ in range(20):
                        await open_task(
                            s, kind="triage", now=now, org_id=street, role="street_dispatcher"
                        )
                    await s.commit()
                t = time.perf_counter()
                page = (await c.get(f"/api/v1/inbox/sync?cursor={cursor}", headers=h)).json()
                incr.append(time.perf_counter() - t)
                assert len(page["upserts"]) == 20 and len(page["removed"]) == 20, round_
                cursor = page["cursor"]
            rows.append(("incremental sync (40 changes)", statistics.median(incr), 40))
            rows.append(("GET /me (baseline)", statistics.median(me), 1))
    await ctx.db.dispose()
    print(f"{'':<36}{'ms':>9}{'items':>8}{'x GET /me':>11}")
    base = statistics.median(me)
    for name, secs, n in rows:
        print(f"{name:<36}{secs * 1000:>9.1f}{n:>8}{secs / base:>11.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL database to create and drop")
    args = parser.parse_args()
    run_on_scratch_database(main, args.database_url, "cy-bench-inbox-")
