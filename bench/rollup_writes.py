"""What the statistics' roll-up triggers cost a write, in PostgreSQL's own CPU.

    .venv/bin/python -P bench/rollup_writes.py --events 200

bench/api.py counts the server process's CPU only; the roll-ups are kept by triggers that
run in the PostgreSQL backend at commit. This creates a throw-away database (migrated,
seeded, dropped at the end), serves the app in-process (httpx over ASGI) and writes the
same lifecycle for ``--events`` cases — report (``grid001``), accept and dispatch
(``street01a``), start (``dept01a``) — three times, alternating in rounds: with every
roll-up trigger disabled, with only the daily roll-up's (revision stats_0003), and with all
of them (stats_0004: spots and assessment too). For each it prints the CPU of the database's
backends (``/proc/<pid>/stat`` of the connections ``pg_stat_activity`` lists for this
database; the server must be on this machine and readable) and of this process, per
written case. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project is the root
    sys.path.insert(0, str(ROOT))

TRIGGERS = {
    "day": [("events", "events_rollup")],
    "stats_0004": [
        ("events", "events_spot_rollup"),
        ("events", "events_assessment"),
        ("event_assignments", "event_assignments_assessment"),
        ("event_timeline", "event_timeline_assessment"),
    ],
}
MODES = {
    "no roll-up trigger": (),
    "daily roll-up only (stats_0003)": ("day",),
    "all roll-ups (stats_0004)": ("day", "stats_0004"),
}
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


async def _backends(admin: Any, name: str) -> dict[int, float]:
    rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
    return {r["pid"]: _cpu_s(r["pid"]) for r in rows}


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--events", type=int, default=200, help="cases per mode")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the modes")
    args = parser.parse_args()

    import asyncpg
    import httpx

    from backend.app import create_app
    from tests.conftest import Api, _seed_into, in_process_settings, running
    from tests.integration.flows import body_for, report

    name = f"cy_bench_rollw_{uuid.uuid4().hex[:8]}"
    admin_dsn = args.server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
    url = f"{args.server}/{name}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(_seed_into, url)
        tmp = Path(tempfile.mkdtemp(prefix="cy-rollw-bench-"))
        app = create_app(in_process_settings(url, tmp, log_level="WARNING"))
        db = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        totals: dict[str, list[float]] = {m: [0.0, 0.0, 0.0] for m in MODES}
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                api = Api(client=c, tokens={})

                async def lifecycle() -> None:
                    event = await report(api)
                    for user, action in (
                        ("street01a", "accept"),
                        ("street01a", "dispatch"),
                        ("dept01a", "start"),
                    ):
                        body = await body_for(api, user, action)
                        r = await api.act(user, event["id"], action, **body)
                        assert r.status_code == 200, r.text

                for _ in range(3):  # warm up: logins, pools, plans
                    await lifecycle()
                for _ in range(args.rounds):
                    for mode, on in MODES.items():
                        for group, triggers in TRIGGERS.items():
                            verb = "ENABLE" if group in on else "DISABLE"
                            for table, trigger in triggers:
                                await db.execute(f"ALTER TABLE {table} {verb} TRIGGER {trigger}")
                        before = await _backends(admin, name)
                        own = time.process_time()
                        for _ in range(args.events):
                            await lifecycle()
                        after = await _backends(admin, name)
                        t = totals[mode]
                        t[0] += sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
                        t[1] += time.process_time() - own
                        t[2] += args.events
        await db.close()
        await app.state["ctx"].db.dispose()
        print(f"\n{'mode':36} {'db cpu ms/case':>15} {'app cpu ms/case':>16}   (cases)")
        for mode, (db_s, app_s, n) in totals.items():
            print(f"{mode:36} {1000 * db_s / n:15.2f} {1000 * app_s / n:16.2f}   ({n:.0f})")
        print("(a case: report, accept, dispatch, start; load average", end=" ")
        print(f"{_load()})")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
