"""Latency of the statistics endpoints over 1,000,000 events in PostgreSQL.

    .venv/bin/python bench/stats.py
    .venv/bin/python bench/stats.py --server postgresql+asyncpg://postgres@127.0.0.1:5432 \
        --events 1000000 --runs 30

What it does: creates a fresh database on the server (dropped at the end), migrates it (the
migration creates the indexes the statistics use) and seeds the demo district, then loads
the events with ``COPY`` (asyncpg ``copy_records_to_table``): 12 months of reports spread
unevenly over streets, grids and categories (a few categories and streets dominate, as in
a real district), office hours busier than nights, a lifecycle mix like a live district's,
with the assignments, reports, verifications and visits the statistics read. It ANALYZEs,
then serves the real app in-process (httpx over ASGI, logged in as ``district01``) and
prints p50/p99 of each statistics call next to two baselines measured in the same run:
``GET /me`` (auth + one trivial query through the same stack) and a bare ``SELECT 1``.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project is the root
    sys.path.insert(0, str(ROOT))

STATUS_WEIGHTS = {
    "reported": 1,
    "registered": 1,
    "dispatched": 3,
    "handling": 4,
    "handled": 2,
    "verified": 1,
    "closed": 78,
    "rejected": 5,
    "cancelled": 3,
    "merged": 2,
}
ASSIGNED = ("dispatched", "handling", "handled", "verified", "closed")
HANDLED = ("handled", "verified", "closed")
EVENT_COLUMNS = (
    "id", "case_no", "status", "source", "category_code", "grade", "description", "lat",
    "lng", "address", "grid_id", "community_id", "street_id", "reporter_id",
    "assignee_org_id", "sla_clock", "sla_started_at", "warn_at", "due_at", "handled_at",
    "closed_at", "supervision_count", "escalated", "version", "created_at", "updated_at",
    "first_dispatched_at", "satisfaction", "cross_department",
)  # fmt: skip
ASSIGN_COLUMNS = ("id", "event_id", "org_id", "assigned_at", "ended_at", "end_reason")
TIMELINE_COLUMNS = ("id", "event_id", "seq", "at", "action", "from_status", "to_status", "data")


def _weighted(rng: random.Random, items: list[Any], skew: float) -> list[float]:
    """Zipf-like weights in a shuffled order: a few items carry most of the load."""
    order = list(range(len(items)))
    rng.shuffle(order)
    return [1.0 / (1 + rank) ** skew for rank in order]


async def _reference(conn: Any) -> dict[str, Any]:
    grids = [
        dict(r)
        for r in await conn.fetch(
            "SELECT id, street_id, community_id, boundary FROM orgs WHERE type = 'grid'"
        )
    ]
    for g in grids:
        ring = json.loads(g.pop("boundary"))["coordinates"][0]
        g["lng"] = sum(p[0] for p in ring) / len(ring)
        g["lat"] = sum(p[1] for p in ring) / len(ring)
    workers = {r["org_id"]: r["id"] for r in await conn.fetch(
        "SELECT org_id, id FROM users WHERE role = 'grid_worker'")}  # fmt: skip
    categories = [dict(r) for r in await conn.fetch(
        "SELECT code, default_department_id AS dept FROM categories")]  # fmt: skip
    depts = [r["id"] for r in await conn.fetch("SELECT id FROM orgs WHERE type = 'department'")]
    return {"grids": grids, "workers": workers, "categories": categories, "depts": depts}


def _generate(n: int, ref: dict[str, Any], now: datetime, seed: int) -> tuple[list, list, list]:
    rng = random.Random(seed)
    grids, categories = ref["grids"], ref["categories"]
    streets = sorted({g["street_id"] for g in grids})
    street_w = dict(zip(streets, _weighted(rng, streets, 0.8), strict=True))
    grid_w = [street_w[g["street_id"]] * rng.uniform(0.2, 1.8) for g in grids]
    cat_w = _weighted(rng, categories, 1.1)
    statuses, status_w = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    hour_w = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 8, 10, 14, 14, 12, 10, 8, 6, 4, 3, 2, 1]
    start = now - timedelta(days=365)
    grid_pick = rng.choices(grids, grid_w, k=n)
    cat_pick = rng.choices(categories, cat_w, k=n)
    status_pick = rng.choices(statuses, status_w, k=n)
    hour_pick = rng.choices(range(24), hour_w, k=n)
    rows: list[tuple] = []
    assigns: list[tuple] = []
    timeline: list[tuple] = []
    per_day: dict[str, int] = {}
    for i in range(n):
        g, c, status = grid_pick[i], cat_pick[i], status_pick[i]
        day = start + timedelta(days=rng.randrange(365))
        created = day.replace(hour=hour_pick[i], minute=rng.randrange(60), second=rng.randrange(60))
        if created >= now:
            created -= timedelta(days=1)
        # The working set is recent: open cases are from the last weeks.
        if status not in ("closed", "rejected", "cancelled", "merged"):
            created = now - timedelta(hours=rng.uniform(1, 24 * 40))
        key = created.strftime("%Y%m%d")
        per_day[key] = per_day.get(key, 0) + 1
        eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        org = c["dept"] if rng.random() > 0.05 else rng.choice(ref["depts"])
        sla_h = rng.choice((4, 8, 16, 24, 48))
        assigned_at = created + timedelta(minutes=rng.uniform(10, 240))
        due = assigned_at + timedelta(hours=sla_h * 1.6)
        handled = closed = None
        if status in HANDLED:
            handled = assigned_at + timedelta(hours=sla_h * rng.lognormvariate(0.0, 0.5))
        if status == "closed":
            closed = (handled or assigned_at) + timedelta(hours=rng.uniform(1, 30))
        on = status in ASSIGNED
        row = [
            eid, f"HS{key}{per_day[key]:06d}", status,
            "mobile" if rng.random() < 0.9 else rng.choice(("open311", "city")),
            c["code"], rng.choices((1, 2, 3, 4), (2, 6, 12, 80))[0], "路面有垃圾堆积，影响通行",
            g["lat"] + rng.uniform(-0.001, 0.001), g["lng"] + rng.uniform(-0.001, 0.001),
            "洪山区", g["id"], g["community_id"], g["street_id"], ref["workers"][g["id"]],
            org if on else None, "working" if on else None, assigned_at if on else None,
            assigned_at + timedelta(hours=sla_h * 1.28) if on else None, due if on else None,
            handled, closed, int(rng.random() < 0.05), rng.random() < 0.01, 6,
            created, closed or handled or created,
            # first_dispatched_at, satisfaction, cross_department (多跨), as the stats hook
            # keeps them: set below
            None, None, False,
        ]  # fmt: skip
        rows.append(row)
        if not on:
            continue
        seq = 2
        row[-3] = assigned_at  # the first dispatch
        if rng.random() < 0.08:  # returned by a first department, then re-dispatched
            wrong = rng.choice(ref["depts"])
            back = assigned_at - timedelta(minutes=5)
            row[-3], row[-1] = back - timedelta(hours=2), True
            assigns.append((str(uuid.uuid4()), eid, wrong, row[-3], back, "returned"))
        ended = closed if status == "closed" else None
        assigns.append(
            (str(uuid.uuid4()), eid, org, assigned_at, ended, "closed" if ended else None)
        )
        if handled is None:
            continue
        timeline.append(
            (str(uuid.uuid4()), eid, seq, handled, "report", "handling", "handled", "{}")
        )
        seq += 1
        if status in ("verified", "closed"):
            if rng.random() < 0.07:  # rework: verification fails once
                timeline.append(
                    (
                        str(uuid.uuid4()),
                        eid,
                        seq,
                        handled + timedelta(hours=1),
                        "verify",
                        "handled",
                        "handling",
                        '{"passed": false}',
                    )
                )
                timeline.append(
                    (
                        str(uuid.uuid4()),
                        eid,
                        seq + 1,
                        handled + timedelta(hours=2),
                        "report",
                        "handling",
                        "handled",
                        "{}",
                    )
                )
                seq += 2
            timeline.append(
                (
                    str(uuid.uuid4()),
                    eid,
                    seq,
                    handled + timedelta(hours=3),
                    "verify",
                    "handled",
                    "verified",
                    '{"passed": true}',
                )
            )
            seq += 1
        if closed is not None and rng.random() < 0.6:
            sat = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]
            row[-2] = sat
            timeline.append(
                (
                    str(uuid.uuid4()),
                    eid,
                    seq,
                    closed + timedelta(hours=2),
                    "visit",
                    "closed",
                    "closed",
                    json.dumps({"satisfaction": sat}),
                )
            )
    return rows, assigns, timeline


async def _timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    for _ in range(3):
        await fn()
    took = []
    for _ in range(runs):
        t = time.perf_counter()
        await fn()
        took.append((time.perf_counter() - t) * 1000)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, round(0.99 * (len(took) - 1)))]


async def _measure(url: str, now: datetime, runs: int) -> None:
    import httpx
    from sqlalchemy import text

    from backend.app import create_app
    from tests.conftest import in_process_settings, running

    tmp = Path(tempfile.mkdtemp(prefix="cy-stats-bench-"))
    # WARNING: access lines would drown the table.
    app = create_app(in_process_settings(url, tmp, log_level="WARNING"))
    ctx = app.state["ctx"]
    ctx.clock = lambda: now
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            r = await c.post(
                "/api/v1/auth/login", json={"username": "district01", "password": "chengyun-demo"}
            )
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            street = (await c.get("/api/v1/grids?limit=1", headers=headers)).json()["items"][0][
                "street_id"
            ]
            month = (now - timedelta(days=40)).strftime("%Y-%m")
            year_ago = (now - timedelta(days=365)).isoformat().replace("+00:00", "Z")

            def get(path: str) -> Callable[[], Awaitable[Any]]:
                async def call() -> None:
                    resp = await c.get(f"/api/v1{path}", headers=headers)
                    assert resp.status_code == 200, resp.text

                return call

            async def select_one() -> None:
                async with ctx.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            cases = [
                ("baseline: SELECT 1 (engine)", select_one),
                ("baseline: GET /me", get("/me")),
                ("GET /stats/overview (30 days)", get("/stats/overview")),
                (
                    "GET /stats/overview?street_id= (30 days)",
                    get(f"/stats/overview?street_id={street}"),
                ),
                ("GET /stats/overview (12 months)", get(f"/stats/overview?from={year_ago}")),
                ("GET /stats/hotspots (30 days)", get("/stats/hotspots")),
                (f"GET /stats/assessment?month={month}", get(f"/stats/assessment?month={month}")),
            ]
            print(f"\n{'call':48} {'p50 ms':>9} {'p99 ms':>9}   ({runs} runs each)")
            for name, fn in cases:
                p50, p99 = await _timed(fn, runs)
                print(f"{name:48} {p50:9.1f} {p99:9.1f}")


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database (EXPLAIN it)")
    parser.add_argument(
        "--database",
        help="measure this existing database (one --keep kept) instead of loading a new one; "
        "it is migrated to head first (a new revision's backfill runs) and never dropped",
    )
    parser.add_argument(
        "--name", help="name of the database to create (default cy_stats_bench_<random>)"
    )
    args = parser.parse_args()
    if args.database:
        from backend.db.migrate import upgrade_head as upgrade

        url = f"{args.server}/{args.database}"
        t = time.perf_counter()
        await asyncio.to_thread(upgrade, url)
        print(f"migrated {args.database} to head in {time.perf_counter() - t:.0f} s")
        await _measure(url, datetime.now(UTC).replace(microsecond=0), args.runs)
        return

    import asyncpg

    from backend.auth.passwords import password_service
    from backend.db.engine import Database
    from backend.db.migrate import upgrade_head
    from backend.orgs.seed import seed_demo

    name = args.name or f"cy_stats_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = args.server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
    url = f"{args.server}/{name}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        t = time.perf_counter()
        await asyncio.to_thread(upgrade_head, url)
        db = Database(url)
        async with db.sessions() as session:
            await seed_demo(session, password_service("fast"))
            await session.commit()
        await db.dispose()
        now = datetime.now(UTC).replace(microsecond=0)
        conn = await asyncpg.connect(dsn)
        try:
            ref = await _reference(conn)
            rows, assigns, timeline = _generate(args.events, ref, now, seed=7)
            # Rows arrive in time order in a live system, so the heap is in created_at order.
            rows.sort(key=lambda r: r[24])
            gen_s = time.perf_counter() - t
            # Load without secondary indexes, then build them (the migration's own
            # definitions, read back from the catalogue): sorted builds beat row-by-row.
            indexes = await conn.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                ["events", "event_assignments", "event_timeline"],
            )
            for ix in indexes:
                await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
            # The generator only writes ids that exist; skip the per-row foreign-key
            # triggers while loading (needs a superuser, as the bench's server login is).
            await conn.execute("SET session_replication_role = replica")
            for table, cols, records in (
                ("events", EVENT_COLUMNS, rows),
                ("event_assignments", ASSIGN_COLUMNS, assigns),
                ("event_timeline", TIMELINE_COLUMNS, timeline),
            ):
                for i in range(0, len(records), 100_000):
                    await conn.copy_records_to_table(
                        table, records=records[i : i + 100_000], columns=cols
                    )
            load_s = time.perf_counter() - t
            await conn.execute("SET session_replication_role = DEFAULT")
            for ix in indexes:
                await conn.execute(ix["indexdef"])
            index_s = time.perf_counter() - t - load_s
            # COPY ran with triggers off (replica role), so the daily roll-up the trigger
            # keeps is built here, as `chengyun rebuild-rollups` does.
            from backend.stats.rollup_sql import REBUILD

            async with conn.transaction():
                for statement in REBUILD:
                    await conn.execute(statement)
            # Autovacuum would do this on a live table; index-only scans need the
            # visibility map it sets.
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
        del rows, assigns, timeline
        print(
            f"loaded {args.events:,} events ({len(ref['grids'])} grids, "
            f"{len(ref['categories'])} categories) in {time.perf_counter() - t:.0f} s "
            f"(schema, seed and row generation {gen_s:.0f} s, COPY {load_s - gen_s:.0f} s, "
            f"{len(indexes)} indexes {index_s:.0f} s, then VACUUM ANALYZE)"
        )
        await _measure(url, now, args.runs)
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
