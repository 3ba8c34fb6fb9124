"""Cost of the SLA sweep: one tick over 100,000 open tasks of which 1 % are due.

    .venv/bin/python bench/sla.py
    .venv/bin/python bench/sla.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/cy_bench_sla

Target (issue 4): under 5 % of one core at the default 30 s interval, i.e. under 1.5 s of
CPU per tick. Printed as CPU seconds of this process (the database server's work on
PostgreSQL is measured by wall time beside it) and as the share of one core over 30 s. The
baseline in the same run is a tick with nothing due: the index lookup alone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.auth.passwords import password_service  # noqa: E402
from backend.db.engine import Database  # noqa: E402
from backend.db.migrate import upgrade_head  # noqa: E402
from backend.db.models import Org, Task  # noqa: E402
from backend.orgs.seed import seed_demo  # noqa: E402
from backend.sla.sweep import sla_sweep  # noqa: E402
from bench._scratch import run_on_scratch_database  # noqa: E402
from tests.conftest import in_process_settings  # noqa: E402

TOTAL = 100_000
DUE_SHARE = 0.01


async def load(url: str, now: datetime) -> None:
    db = Database(url)
    try:
        async with db.sessions() as s:
            await seed_demo(s, password_service("fast"))
            depts = list(
                (await s.execute(select(Org.id).where(Org.type == "department"))).scalars()
            )
            await s.commit()
        due_every = int(1 / DUE_SHARE)
        rows = []
        for i in range(TOTAL):
            due = i % due_every == 0
            warn = now - timedelta(minutes=5) if due else now + timedelta(days=1 + i % 30)
            rows.append(
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "kind": "handle",
                    "state": "open",
                    "assignee_org_id": depts[i % len(depts)],
                    "assignee_role": "dept_handler",
                    "warn_at": warn,
                    "due_at": warn + timedelta(hours=2),
                    "next_crossing_at": warn,
                    "warned": False,
                    "overdue_fired": False,
                    "escalation_fired": False,
                    "rev": i + 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with db.sessions() as s:
            for start in range(0, TOTAL, 5000):
                await s.execute(insert(Task), rows[start : start + 5000])
            await s.commit()
    finally:
        await db.dispose()


async def tick(ctx: object) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    await sla_sweep(ctx)  # type: ignore[arg-type]
    return time.process_time() - cpu, time.perf_counter() - wall


async def main(url: str, data_dir: Path) -> None:
    now = datetime.now(UTC)
    await asyncio.to_thread(upgrade_head, url)
    t = time.perf_counter()
    await load(url, now)
    due = int(TOTAL * DUE_SHARE)
    print(f"loaded {TOTAL:,} open tasks ({due:,} due) in {time.perf_counter() - t:.1f} s")
    app = create_app(in_process_settings(url, data_dir, log_level="WARNING"))
    ctx = app.state["ctx"]
    ctx.clock = lambda: now
    try:
        async with app.lifespan():
            fired = await tick(ctx)
            ctx.clock = lambda: now + timedelta(seconds=1)
            idle = await tick(ctx)
    finally:
        await ctx.db.dispose()
    # The first tick fired every due crossing (warnings); the second found nothing due.
    print(f"{'tick':<34}{'CPU s':>8}{'wall s':>9}{'share of one core / 30 s':>27}")
    for name, (cpu, wall) in (
        (f"with {int(TOTAL * DUE_SHARE):,} due crossings", fired),
        ("nothing due (baseline)", idle),
    ):
        print(f"{name:<34}{cpu:>8.3f}{wall:>9.3f}{cpu / 30:>26.1%}")
    print("target: under 5 % of one core per 30 s tick with 1 % of 100,000 due")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", help="a PostgreSQL database to create and drop")
    args = parser.parse_args()
    run_on_scratch_database(main, args.database_url, "cy-bench-sla-")
