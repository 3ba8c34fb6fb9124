"""Throughput of the events API, as a ratio to a bare Litestar hello-world in the same run.

    .venv/bin/python bench/api.py
    .venv/bin/python bench/api.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/cy_bench

What it does: builds a throw-away data dir, migrates and seeds the demo district, bulk-inserts
10,000 events into one street (珞南街道, seen by its dispatcher ``street01a``), serves the real
app with ``chengyun serve`` (uvicorn, uvloop, httptools) in a subprocess, serves a hello-world
Litestar app the same way, and drives each with a small keep-alive HTTP/1.1 client:

- ``GET /api/v1/events?limit=50`` as ``street01a`` (first page of their 10,000 events);
- ``POST /api/v1/events`` as ``grid001`` with a valid body and an ``Idempotency-Key``, as the
  mobile app sends it.

Absolute requests/s depend on the machine; the ratio to hello-world measured in the same run
is what can be compared across machines and commits. The figures are printed, never asserted.
With ``--database-url`` the database named in the URL is created for the run and dropped
after (it must not exist yet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project is the root
    sys.path.insert(0, str(ROOT))

LIST_USER = "street01a"
REPORTER = "grid001"
STREET_CODE = "420111001"  # 珞南街道, the street of LIST_USER and REPORTER
PASSWORD = "chengyun-demo"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# A spread of lifecycle states like a live district's: most cases closed, a working set open.
STATUS_WEIGHTS = {
    "reported": 6,
    "registered": 6,
    "dispatched": 12,
    "handling": 14,
    "handled": 6,
    "verified": 4,
    "closed": 44,
    "rejected": 4,
    "cancelled": 2,
    "merged": 2,
}
ASSIGNED = {"dispatched", "handling", "handled", "verified", "closed"}
DESCRIPTIONS = (
    "人行道上有成堆生活垃圾，影响通行",
    "井盖破损，存在安全隐患",
    "路灯不亮，夜间行人较多",
    "小区门口占道经营，早晚高峰拥堵",
    "施工工地夜间噪声扰民",
    "绿化带内有建筑垃圾",
    "共享单车乱停放，堵塞盲道",
    "雨水篦子堵塞，路面积水",
)
ADDRESSES = ("珞喻路", "鲁磨路", "民族大道", "雄楚大道", "卓刀泉路", "关山大道", "虎泉街")


# -- the data --------------------------------------------------------------------------------


@dataclass
class Street:
    id: str
    grids: list[dict[str, Any]]  # {"id", "community_id", "box": (min_lng, min_lat, ...)}
    reporters: dict[str, str]  # grid id -> a grid worker's user id
    categories: list[tuple[str, dict[str, float], str]]  # (code, sla hours, clock)
    departments: list[str]


def _box(boundary: dict[str, Any]) -> tuple[float, float, float, float]:
    ring = boundary["coordinates"][0]
    lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lngs), min(lats), max(lngs), max(lats)


def inside(box: tuple[float, float, float, float], rng: random.Random) -> tuple[float, float]:
    """A point well inside a grid's box: 10 % margins, so it never lands on a shared edge."""
    min_lng, min_lat, max_lng, max_lat = box
    dx, dy = (max_lng - min_lng) * 0.1, (max_lat - min_lat) * 0.1
    return (
        round(rng.uniform(min_lat + dy, max_lat - dy), 6),
        round(rng.uniform(min_lng + dx, max_lng - dx), 6),
    )


async def _load_street(session: Any) -> Street:
    from sqlalchemy import select

    from backend.db.models import Category, Org, User

    street = (await session.execute(select(Org).where(Org.code == STREET_CODE))).scalar_one()
    grids = [
        {"id": g.id, "community_id": g.community_id, "box": _box(g.boundary)}
        for g in (
            await session.execute(
                select(Org).where(Org.type == "grid", Org.street_id == street.id).order_by(Org.code)
            )
        ).scalars()
    ]
    reporters: dict[str, str] = {}
    for user_id, org_id in await session.execute(
        select(User.id, User.org_id)
        .where(User.role == "grid_worker", User.org_id.in_([g["id"] for g in grids]))
        .order_by(User.username)
    ):
        reporters.setdefault(org_id, user_id)
    categories = [
        (c.code, c.sla_hours, c.sla_clock)
        for c in (await session.execute(select(Category).order_by(Category.code))).scalars()
    ]
    departments = list(
        (await session.execute(select(Org.id).where(Org.type == "department"))).scalars()
    )
    return Street(street.id, grids, reporters, categories, departments)


def build_events(street: Street, count: int, now: datetime, rng: random.Random) -> dict[str, list]:
    """Rows for events, their report timeline entry, assignments and case counters.

    Created over the 90 days before today (Asia/Shanghai), so their case numbers never collide
    with those the POST scenario draws from today's counter.
    """
    from backend.db.base import new_id

    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=90)
    span = (today - start).total_seconds() - 1
    created = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    per_day: Counter[str] = Counter()
    events, timeline, assignments = [], [], []
    for at in created:
        day = at.strftime("%Y%m%d")
        per_day[day] += 1
        grid = rng.choice(street.grids)
        lat, lng = inside(grid["box"], rng)
        code, sla_hours, clock = rng.choice(street.categories)
        status = rng.choices(statuses, weights)[0]
        grade = rng.choices((1, 2, 3, 4), (1, 3, 10, 86))[0]
        event_id = new_id()
        created_utc = at.astimezone(UTC)
        updated = created_utc + timedelta(hours=rng.uniform(0.1, 72))
        row: dict[str, Any] = {
            "id": event_id,
            "case_no": f"HS{day}{per_day[day]:06d}",
            "status": status,
            "source": "mobile",
            "category_code": code,
            "grade": grade,
            "description": rng.choice(DESCRIPTIONS),
            "lat": lat,
            "lng": lng,
            "address": f"{rng.choice(ADDRESSES)}{rng.randint(1, 400)}号",
            "grid_id": grid["id"],
            "community_id": grid["community_id"],
            "street_id": street.id,
            "reporter_id": street.reporters[grid["id"]],
            "assignee_org_id": None,
            "assignee_user_id": None,
            "sla_clock": None,
            "sla_started_at": None,
            "warn_at": None,
            "due_at": None,
            "handled_at": None,
            "closed_at": None,
            "supervision_count": rng.choices((0, 1, 2), (90, 8, 2))[0],
            "escalated": rng.random() < 0.02,
            "duplicate_of": None,
            "occurred_at": created_utc - timedelta(minutes=rng.uniform(0, 120)),
            # One timeline row per event is inserted (the report), so version stays 1; the
            # list endpoint reads no timeline, so more rows would only slow the setup.
            "version": 1,
            "created_at": created_utc,
            "updated_at": updated,
        }
        if status in ASSIGNED:
            org = rng.choice(street.departments)
            # Natural hours are a fine approximation here: only the list's sla_state reads them.
            hours = float(sla_hours.get(str(grade), 24))
            row |= {
                "assignee_org_id": org,
                "sla_clock": clock,
                "sla_started_at": created_utc,
                "warn_at": created_utc + timedelta(hours=hours * 0.8),
                "due_at": created_utc + timedelta(hours=hours),
            }
            assignments.append(
                {
                    "id": new_id(),
                    "event_id": event_id,
                    "org_id": org,
                    "user_id": None,
                    "assigned_at": created_utc,
                    "ended_at": updated if status == "closed" else None,
                    "end_reason": "closed" if status == "closed" else None,
                }
            )
            if status in {"handled", "verified", "closed"}:
                row["handled_at"] = updated
            if status == "closed":
                row["closed_at"] = updated
        events.append(row)
        timeline.append(
            {
                "id": new_id(),
                "event_id": event_id,
                "seq": 1,
                "at": created_utc,
                "actor_id": row["reporter_id"],
                "action": "report_event",
                "from_status": None,
                "to_status": "reported",
                "note": row["description"],
                "data": {"grade": grade, "category_code": code},
            }
        )
    counters = [{"day": d, "last": n} for d, n in per_day.items()]
    return {
        "events": events,
        "timeline": timeline,
        "assignments": assignments,
        "counters": counters,
    }


def prepare_database(url: str, count: int, seed: int) -> Street:
    """Migrate, seed the demo district, bulk-insert ``count`` events; returns the street."""
    from sqlalchemy import insert

    from backend.auth.passwords import PasswordService
    from backend.db.engine import Database
    from backend.db.migrate import upgrade_head
    from backend.db.models import CaseCounter, Event, EventAssignment, TimelineEntry
    from backend.orgs.seed import seed_demo

    upgrade_head(url)

    async def run() -> Street:
        db = Database(url)
        try:
            async with db.sessions() as session:
                await seed_demo(session, PasswordService())
                await session.commit()
            async with db.sessions() as session:
                street = await _load_street(session)
                rows = build_events(street, count, datetime.now(UTC), random.Random(seed))
                # Core inserts with a list of parameter sets: executemany (batched
                # "insertmanyvalues"), no ORM unit of work per row.
                for model, key in (
                    (Event, "events"),
                    (TimelineEntry, "timeline"),
                    (EventAssignment, "assignments"),
                    (CaseCounter, "counters"),
                ):
                    for i in range(0, len(rows[key]), 2000):
                        await session.execute(insert(model), rows[key][i : i + 2000])
                await session.commit()
            return street
        finally:
            await db.dispose()

    return asyncio.run(run())


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hello_app() -> Any:
    from litestar import Litestar, get

    @get("/")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return Litestar(route_handlers=[hello], debug=False)


def serve_hello(port: int) -> None:
    """The baseline: what uvicorn + Litestar cost with no database and no auth."""
    import uvicorn

    uvicorn.run(
        hello_app(),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
    )


def _pin(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@contextmanager
def server(
    argv: list[str], env: dict[str, str], ready_path: str, log: Path, cpus: set[int] | None
) -> Iterator[tuple[int, int]]:
    """Yields the server's port and process id."""
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_pin(cpus)
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def login(port: int, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - http://127.0.0.1 only
        return str(json.load(r)["access_token"])


# -- the load generator ----------------------------------------------------------------------
# A raw keep-alive HTTP/1.1 client on asyncio streams: an async httpx client spends more CPU
# per request than the hello-world server does, so it would measure itself, not the server.


@dataclass
class Result:
    name: str
    done: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    cpu_seconds: float = math.nan  # the server process's CPU time (all threads) while measured

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.done * 1000 if self.done else math.nan

    @property
    def rps(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _workers(
    port: int,
    make_request: Callable[[int], bytes],
    indices: Iterator[int],
    concurrency: int,
    deadline: float,
    record: Callable[[float, int], None],
) -> None:
    """``concurrency`` connections share one iterator of request indices until it runs dry."""

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in indices:
                if time.perf_counter() > deadline:
                    break
                t0 = time.perf_counter()
                writer.write(make_request(i))
                status = await _read_response(reader)
                record(time.perf_counter() - t0, status)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; NaN elsewhere).

    Unlike requests/s this hardly moves when other work shares the machine, so it is the
    steadier figure for comparing commits on a busy box.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    name: str,
    total: int,
    concurrency: int,
    max_seconds: float,
    warmup: int,
    pid: int | None = None,
) -> Result:
    """``total`` requests over ``concurrency`` keep-alive connections, at most ``max_seconds``.

    The first ``warmup`` requests (connection set-up, caches, first SQL compilations) run
    before the clock starts and are not counted.
    """
    result = Result(name)

    def record(latency: float, status: int) -> None:
        result.latencies.append(latency)
        result.statuses[status] += 1

    await _workers(
        port, make_request, iter(range(warmup)), concurrency, math.inf, lambda _l, _s: None
    )
    cpu0 = process_cpu_seconds(pid) if pid else math.nan
    start = time.perf_counter()
    await _workers(
        port,
        make_request,
        iter(range(warmup, warmup + total)),
        concurrency,
        start + max_seconds,
        record,
    )
    result.seconds = time.perf_counter() - start
    if pid:
        result.cpu_seconds = process_cpu_seconds(pid) - cpu0
    result.done = len(result.latencies)
    return result


def get_request(path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


def post_requests(street: Street, token: str, count: int, seed: int) -> list[bytes]:
    """Pre-built report bodies: varied spots in grid001 and categories, one key each."""
    rng = random.Random(seed)
    grid = street.grids[0]  # grid001, the first grid of the street by code
    codes = [c[0] for c in street.categories]
    out = []
    for i in range(count):
        lat, lng = inside(grid["box"], rng)
        body = json.dumps(
            {
                "category_code": rng.choice(codes),
                "description": rng.choice(DESCRIPTIONS),
                "location": {"lat": lat, "lng": lng, "address": f"{rng.choice(ADDRESSES)}{i}号"},
                "grade": 4,
            },
            ensure_ascii=False,
        ).encode()
        out.append(
            (
                "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Idempotency-Key: bench-{uuid.uuid4()}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
    return out


# -- PostgreSQL ------------------------------------------------------------------------------


def _pg_admin(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit("--database-url must end in a plain database name, e.g. /cy_bench")
    return base.replace("postgresql+asyncpg://", "postgresql://") + "/postgres", name


async def _pg(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# -- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL naming a database to create")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--hello-requests", type=int, default=20_000)
    parser.add_argument("--list-requests", type=int, default=2_000)
    parser.add_argument("--create-requests", type=int, default=1_000)
    parser.add_argument("--max-seconds", type=float, default=60, help="per scenario")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to separate CPUs"
    )
    parser.add_argument("--serve-hello", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello:
        serve_hello(args.serve_hello)
        return 0

    # With two or more CPUs the server gets CPU 0 and this client the rest, so the client's
    # work never steals the server's core and hello-world and app are measured alike.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpus = {cpus[0]} if len(cpus) >= 2 and not args.no_pin else None
    if server_cpus:
        os.sched_setaffinity(0, set(cpus[1:]))

    tmp = Path(tempfile.mkdtemp(prefix="chengyun-bench-"))
    pg_admin = pg_name = None
    if args.database_url:
        pg_admin, pg_name = _pg_admin(args.database_url)
        asyncio.run(_pg(pg_admin, f'CREATE DATABASE "{pg_name}"'))
        url = args.database_url
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'chengyun.db'}"
    try:
        return run(args, url, tmp, server_cpus)
    finally:
        if pg_admin:
            asyncio.run(_pg(pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, url: str, tmp: Path, server_cpus: set[int] | None) -> int:
    import uvloop

    t0 = time.perf_counter()
    street = prepare_database(url, args.events, args.seed)
    setup = time.perf_counter() - t0
    db_kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    print(f"setup: migrated, seeded, {args.events} events in {setup:.1f} s ({db_kind})")

    env = {
        **os.environ,
        "CHENGYUN_ENV": "development",
        "CHENGYUN_DATA_DIR": str(tmp),
        "CHENGYUN_DATABASE_URL": url,
        "CHENGYUN_LOG_LEVEL": "warning",  # no access log line per request, for both servers
        "CHENGYUN_SCHEDULER": "off",  # no background sweeps competing with the measurement
        "PYTHONPATH": str(ROOT),
    }
    py = sys.executable
    common = {"concurrency": args.concurrency, "max_seconds": args.max_seconds}
    results: list[Result] = []

    hello_argv = [py, str(Path(__file__).resolve()), "--serve-hello", "{port}"]
    with server(hello_argv, env, "/", tmp / "hello.log", server_cpus) as (port, pid):
        req = get_request("/", None)
        results.append(
            uvloop.run(
                drive(
                    port,
                    lambda i: req,
                    name="hello world (baseline)",
                    total=args.hello_requests,
                    warmup=500,
                    pid=pid,
                    **common,
                )
            )
        )

    app_argv = [py, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"]
    ready = "/api/v1/health/ready"
    with server(app_argv, env, ready, tmp / "app.log", server_cpus) as (port, pid):
        list_req = get_request("/api/v1/events?limit=50", login(port, LIST_USER))
        results.append(
            uvloop.run(
                drive(
                    port,
                    lambda i: list_req,
                    name=f"GET /events?limit=50 ({LIST_USER})",
                    total=args.list_requests,
                    warmup=50,
                    pid=pid,
                    **common,
                )
            )
        )
        posts = post_requests(street, login(port, REPORTER), args.create_requests + 50, args.seed)
        results.append(
            uvloop.run(
                drive(
                    port,
                    lambda i: posts[i],
                    name=f"POST /events ({REPORTER})",
                    total=args.create_requests,
                    warmup=50,
                    pid=pid,
                    **common,
                )
            )
        )

    report(results, args, db_kind, server_cpus)
    if any(status >= 500 for r in results for status in r.statuses):
        # A server error is a finding, not noise: show why, the data dir is deleted next.
        errors = [line for line in (tmp / "app.log").read_text().splitlines() if line.strip()]
        print("\nserver errors (last lines of the app's log):")
        print("\n".join(errors[-40:]))
    return 0


def report(
    results: list[Result], args: argparse.Namespace, db_kind: str, server_cpus: set[int] | None
) -> None:
    base = results[0].rps
    pinned = f"server pinned to CPU {min(server_cpus)}" if server_cpus else "not pinned"
    print(
        f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs ({pinned}), {db_kind}, "
        f"{args.events} events in the street, concurrency {args.concurrency}\n"
    )
    header = f"{'scenario':<34} {'requests':>8} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} "
    header += f"{'p99 ms':>8} {'cpu ms':>7}  statuses"
    print(header)
    print("-" * len(header))
    for r in results:
        statuses = " ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
        print(
            f"{r.name:<34} {r.done:>8} {r.rps:>9.1f} {r.rps / base:>7.3f} "
            f"{r.pct(50):>8.1f} {r.pct(99):>8.1f} {r.cpu_ms:>7.2f}  {statuses}"
        )


if __name__ == "__main__":
    sys.exit(main())
