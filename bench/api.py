"""Server CPU per request of the app's hot calls, as a cost ratio to a bare Litestar
hello-world measured in the same run.

    .venv/bin/python bench/api.py
    .venv/bin/python bench/api.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/cy_bench

What it does: builds a throw-away data dir, migrates and seeds the demo district, bulk-inserts
10,000 events into one street (珞南街道; a tenth with one to three photos, one case with three
photos and a ten-entry timeline), serves the real app with ``chengyun serve`` (uvicorn,
uvloop, httptools) in a subprocess, serves a hello-world Litestar app the same way, and
drives each with a small keep-alive HTTP/1.1 client (16 connections):

- ``GET /me`` as the street dispatcher ``street01a``: the fixed cost of an authenticated call;
- ``GET /events?limit=50`` as ``street01a`` (the first page of their 10,000 events);
- ``GET /events/{id}`` of the case with three photos and ten timeline entries, as ``street01a``
  (their own street's case: the unmasked phone read is audited, as in production);
  both with a query parameter the app ignores and each request its own (``&_=<n>``), so
  no answer kept in memory (backend/common/views.py) is ever used: the cost of the work;
- the list and the detail again with ``If-None-Match`` of their current ``ETag`` (``304``;
  scenario ``304``): answered from memory while nothing changed;
- the list again, the same request each time, without ``If-None-Match`` (scenario
  ``kept``): the same bytes, answered from memory;
- ``GET /inbox/sync`` from a cursor 40 changes behind (20 tasks closed, 20 opened);
- ``POST /events`` as ``grid001`` with a valid body and an ``Idempotency-Key``;
- ``POST /events/{id}/actions`` as ``street01a``: ``accept`` then ``dispatch`` of the cases
  the previous scenario reported, each with its own ``Idempotency-Key``.

For each it prints requests/s, p50/p99 latency, the server's CPU ms per request (from
``/proc``, all its threads) and the **cost ratio**: hello-world's CPU per request ÷ the
route's, the figure that hardly moves with other load on the machine. Absolute requests/s
mostly measure the machine. With ``--database-url`` the database named in the URL is created
for the run and dropped after (it must not exist yet); PostgreSQL's own backends are other
processes, not counted in ``cpu ms``. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project is the root
    sys.path.insert(0, str(ROOT))

from bench._api_data import (  # noqa: E402
    ADDRESSES,
    DESCRIPTIONS,
    LIST_USER,
    PASSWORD,
    REPORTER,
    Street,
    change_street_tasks,
    inside,
    open_street_tasks,
    prepare_database,
    reported_cases,
)
from bench._load import (  # noqa: E402
    Requests,
    Result,
    drive,
    get_request,
    http_json,
    post_request,
    serve_hello,
    server,
)

SCENARIOS = ("me", "list", "detail", "sync", "report", "act", "304", "kept")


def login(port: int, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    return str(http_json(port, "POST", "/api/v1/auth/login", body)["access_token"])


def report_bodies(street: Street, count: int, seed: int) -> list[dict[str, Any]]:
    """Varied spots in grid001 and categories, as the app sends reports."""
    rng = random.Random(seed)
    grid = street.grids[0]  # grid001, the first grid of the street by code
    codes = [c[0] for c in street.categories]
    out = []
    for i in range(count):
        lat, lng = inside(grid["box"], rng)
        out.append(
            {
                "category_code": rng.choice(codes),
                "description": rng.choice(DESCRIPTIONS),
                "location": {"lat": lat, "lng": lng, "address": f"{rng.choice(ADDRESSES)}{i}号"},
                "grade": 4,
            }
        )
    return out


def etag(port: int, path: str, token: str) -> str:
    """The current ``ETag`` of a conditional GET, for its ``If-None-Match`` scenario."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - http://127.0.0.1 only
        return str(r.headers["ETag"])


def full_sync_cursor(port: int, token: str) -> str:
    cursor = None
    while True:
        q = "/api/v1/inbox/sync?limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = http_json(port, "GET", q, token=token)
        cursor = page["cursor"]
        if not page["has_more"]:
            return str(cursor)


def distinct(prefix: str, token: str, total: int) -> list[bytes]:
    """Requests that differ in a parameter the app ignores: none is answered from memory."""
    return [get_request(f"{prefix}{n}", token) for n in range(total + 50)]  # warm-up: 50


class Bench:
    """One server's scenarios, each appended to ``results`` as it finishes."""

    def __init__(self, args: argparse.Namespace, port: int, pid: int, url: str) -> None:
        self.args, self.port, self.pid, self.url = args, port, pid, url
        self.results: list[Result] = []
        self.profiles: Path | None = Path(args.profile) if args.profile else None

    def measure(self, name: str, make: Callable[[int], Requests], total: int, warmup: int) -> None:
        import uvloop

        spy = self._spy(name)
        try:
            result = uvloop.run(
                drive(
                    self.port,
                    make,
                    name=name,
                    total=total,
                    warmup=warmup,
                    pid=self.pid,
                    concurrency=self.args.concurrency,
                    max_seconds=self.args.max_seconds,
                )
            )
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its profile on an interrupt
                spy.wait()
        self.results.append(result)

    def _spy(self, name: str) -> subprocess.Popen[bytes] | None:
        """py-spy on the server while the scenario runs (``--profile DIR``)."""
        if self.profiles is None:
            return None
        self.profiles.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")[:40]
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        return subprocess.Popen(  # noqa: S603 - our own tool and arguments
            [spy, "record", "--pid", str(self.pid), "--rate", "250", "--format", "raw",
             "--output", str(self.profiles / f"{slug}.txt"), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip


def run_app(bench: Bench, street: Street) -> None:
    a = bench.args
    only = set(a.only.split(",")) if a.only else set(SCENARIOS)
    port = bench.port
    dispatcher = login(port, LIST_USER)
    if "me" in only:
        req = get_request("/api/v1/me", dispatcher)
        bench.measure(f"GET /me ({LIST_USER})", lambda i: req, a.me_requests, 200)
    if "list" in only:
        reqs = distinct("/api/v1/events?limit=50&_=", dispatcher, a.list_requests)
        bench.measure(f"GET /events?limit=50 ({LIST_USER})", lambda i: reqs[i], a.list_requests, 50)
    if "detail" in only:
        reqs = distinct(f"/api/v1/events/{street.detail_event_id}?_=", dispatcher, a.read_requests)
        bench.measure(
            "GET /events/{id} (3 photos, 10 steps)", lambda i: reqs[i], a.read_requests, 50
        )
    if "304" in only:
        for name, path in (
            ("GET /events?limit=50", "/api/v1/events?limit=50"),
            ("GET /events/{id}", f"/api/v1/events/{street.detail_event_id}"),
        ):
            tag = etag(port, path, dispatcher)
            req = get_request(path, dispatcher, f"If-None-Match: {tag}\r\n")
            bench.measure(f"{name} → 304", lambda i, r=req: r, a.read_requests, 50)
    if "kept" in only:
        req = get_request("/api/v1/events?limit=50", dispatcher)
        bench.measure("GET /events?limit=50, kept (200)", lambda i: req, a.read_requests, 50)
    if "sync" in only:
        open_street_tasks(bench.url, street)
        cursor = full_sync_cursor(port, dispatcher)
        change_street_tasks(bench.url, street)
        req = get_request(f"/api/v1/inbox/sync?cursor={cursor}", dispatcher)
        bench.measure("GET /inbox/sync (40 changes)", lambda i: req, a.read_requests, 50)
    since = datetime.now(UTC)
    if "report" in only or "act" in only:
        reporter = login(port, REPORTER)
        bodies = report_bodies(street, a.create_requests + 50, a.seed)
        posts = [
            post_request("/api/v1/events", reporter, body, f"bench-{uuid.uuid4()}")
            for body in bodies
        ]
        bench.measure(f"POST /events ({REPORTER})", lambda i: posts[i], a.create_requests, 50)
    if "act" in only:
        cases = reported_cases(bench.url, street.reporters[street.grids[0]["id"]], since)
        pairs = [
            [
                post_request(
                    f"/api/v1/events/{event_id}/actions",
                    dispatcher,
                    body,
                    f"bench-{uuid.uuid4()}",
                )
                for body in ({"action": "accept"}, {"action": "dispatch", "org_id": org})
            ]
            for event_id, org in cases
        ]
        warm = min(20, len(pairs) // 10)
        bench.measure(
            "POST /events/{id}/actions (accept, dispatch)",
            lambda i: pairs[i],
            len(pairs) - warm,
            warm,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL naming a database to create")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--hello-requests", type=int, default=20_000)
    parser.add_argument("--me-requests", type=int, default=5_000)
    parser.add_argument("--list-requests", type=int, default=1_000)
    parser.add_argument("--read-requests", type=int, default=2_000, help="detail, sync")
    parser.add_argument("--create-requests", type=int, default=800)
    parser.add_argument("--max-seconds", type=float, default=40, help="per scenario")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--profile", metavar="DIR", help="py-spy raw profiles of the server")
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


def run(args: argparse.Namespace, url: str, tmp: Path, server_cpus: set[int] | None) -> int:
    t0 = time.perf_counter()
    street = prepare_database(url, args.events, args.seed)
    db_kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"
    print(f"setup: {args.events} events in {time.perf_counter() - t0:.1f} s ({db_kind})")

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
    hello_argv = [py, str(Path(__file__).resolve()), "--serve-hello", "{port}"]
    with server(hello_argv, env, "/", tmp / "hello.log", server_cpus) as (port, pid):
        bench = Bench(args, port, pid, url)
        req = get_request("/", None)
        bench.measure("hello world (baseline)", lambda i: req, args.hello_requests, 500)

    app_argv = [py, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"]
    ready = "/api/v1/health/ready"
    with server(app_argv, env, ready, tmp / "app.log", server_cpus) as (port, pid):
        app = Bench(args, port, pid, url)
        app.results = bench.results
        run_app(app, street)

    report(bench.results, args, db_kind, server_cpus)
    if any(status >= 500 for r in bench.results for status in r.statuses):
        # A server error is a finding, not noise: show why, the data dir is deleted next.
        errors = [line for line in (tmp / "app.log").read_text().splitlines() if line.strip()]
        print("\nserver errors (last lines of the app's log):")
        print("\n".join(errors[-40:]))
    return 0


def report(
    results: list[Result], args: argparse.Namespace, db_kind: str, server_cpus: set[int] | None
) -> None:
    base = results[0]
    pinned = f"server pinned to CPU {min(server_cpus)}" if server_cpus else "not pinned"
    print(
        f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs ({pinned}), {db_kind}, "
        f"{args.events} events in the street, concurrency {args.concurrency}\n"
    )
    header = f"{'scenario':<44} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    header += f"{'cpu ms':>7} {'cost ratio':>10}  statuses"
    print(header)
    print("-" * len(header))
    for r in results:
        statuses = " ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
        print(
            f"{r.name:<44} {r.done:>8} {r.rps:>8.1f} {r.pct(50):>8.1f} {r.pct(99):>8.1f} "
            f"{r.cpu_ms:>7.2f} {base.cpu_ms / r.cpu_ms:>10.3f}  {statuses}"
        )


if __name__ == "__main__":
    sys.exit(main())
