"""The one screen's first paint of figures over 1,000,000 events in PostgreSQL.

    .venv/bin/python bench/screen.py                       # loads 1,000,000 events first
    .venv/bin/python bench/screen.py --events 200000
    .venv/bin/python bench/screen.py --database cy_stats_bench_xxxx   # one `stats.py --keep` kept

The data is bench/stats.py's: without ``--database`` this runs ``bench/stats.py --keep``
(its generator and loader, 12 months of a district's events) and drops the database at the
end. Then, in one run:

1. The screen's reads through the real app in-process (httpx over ASGI, as
   ``official``): today's overview (the figures of the first paint), the four past
   same-weekday windows, hotspots (30 days) and the month's assessment, each p50/p99,
   and all of them concurrently as the page asks, next to the ``GET /me`` baseline.
2. The first paint in a real browser: ``chengyun serve`` on that database, Debian's
   chromium under Playwright at 1920×1080; each run reopens ``/app/screen`` (the login
   restored from the refresh token, as a wall screen that is switched on) and records the
   milliseconds from navigation start until today's figures are on the screen.

Figures are printed, never asserted; the target is a first paint under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHANGHAI = timedelta(hours=8)
FIGURES_SHOWN = "() => document.querySelector('[data-figure=total]') !== null"


def _windows(now: datetime) -> list[tuple[str, str]]:
    """Today so far, then the same span on each of the past four same weekdays."""
    local = now + SHANGHAI
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) - SHANGHAI
    out = []
    for k in range(5):
        shift = timedelta(days=7 * k)
        out.append(((midnight - shift).isoformat(), (now - shift).isoformat()))
    return out


def _pct(took: list[float]) -> tuple[float, float]:
    took = sorted(took)
    return statistics.median(took), took[min(len(took) - 1, round(0.99 * (len(took) - 1)))]


async def _api_reads(url: str, runs: int) -> None:
    import httpx

    from backend.app import create_app
    from tests.conftest import in_process_settings, running

    tmp = Path(tempfile.mkdtemp(prefix="cy-screen-bench-"))
    app = create_app(in_process_settings(url, tmp, log_level="WARNING"))
    now = datetime.now(UTC)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            r = await c.post(
                "/api/v1/auth/login", json={"username": "leader01", "password": "chengyun-demo"}
            )
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

            async def get(path: str, **params: str) -> None:
                resp = await c.get(f"/api/v1{path}", params=params, headers=headers)
                assert resp.status_code == 200, resp.text

            windows = _windows(now)
            month = (now + SHANGHAI).strftime("%Y-%m")
            hot = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}

            async def everything() -> None:
                await asyncio.gather(
                    *(get("/stats/overview", **{"from": f, "to": t}) for f, t in windows),
                    get("/stats/hotspots", limit="20", **hot),
                    get("/stats/assessment", month=month),
                )

            cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("baseline: GET /me", lambda: get("/me")),
                (
                    "today's overview (the first paint)",
                    lambda: get("/stats/overview", **{"from": windows[0][0], "to": windows[0][1]}),
                ),
                (
                    "a past same-weekday overview",
                    lambda: get("/stats/overview", **{"from": windows[4][0], "to": windows[4][1]}),
                ),
                ("hotspots, 30 days", lambda: get("/stats/hotspots", limit="20", **hot)),
                (f"assessment {month}", lambda: get("/stats/assessment", month=month)),
                ("all the screen's reads, concurrently", everything),
            ]
            print(f"\n{'read (as leader01)':44} {'p50 ms':>9} {'p99 ms':>9}   ({runs} runs each)")
            for name, fn in cases:
                for _ in range(3):
                    await fn()
                took = []
                for _ in range(runs):
                    t = time.perf_counter()
                    await fn()
                    took.append((time.perf_counter() - t) * 1000)
                p50, p99 = _pct(took)
                print(f"{name:44} {p50:9.1f} {p99:9.1f}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_paint(url: str, runs: int) -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    tmp = Path(tempfile.mkdtemp(prefix="cy-screen-serve-"))
    port = _free_port()
    env = {
        **os.environ, "CHENGYUN_DATA_DIR": str(tmp), "CHENGYUN_DATABASE_URL": url,
        "CHENGYUN_PASSWORD_PROFILE": "fast", "CHENGYUN_PUSH_SENDER": "memory",
        "CHENGYUN_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    env.pop("CHENGYUN_REDIS_URL", None)
    cli = [sys.executable, "-m", "backend.cli"]
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)  # polling the port until it answers
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(
                base_url=base, viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )  # fmt: skip
            page = context.new_page()
            page.goto("/app/login")
            page.get_by_label("用户名").fill("leader01")
            page.get_by_label("密码").fill("chengyun-demo")
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(re.compile(r"/app/(?!login)"))
            took = []
            for i in range(runs + 2):
                page.goto("/app/screen")
                page.wait_for_function(FIGURES_SHOWN, polling="raf")
                ms = float(page.evaluate("performance.now()"))
                if i >= 2:  # the first two warm the server's caches and the browser's
                    took.append(ms)
                # Let the screen finish its other reads (trend, hotspots, assessment, map)
                # before reopening it: a one-process server would otherwise still be
                # computing the previous page's reads in front of the next first paint.
                page.wait_for_selector("section[aria-label='考核'] table")
                page.wait_for_selector(".onemap .canvas[data-ready=true]")
                page.wait_for_load_state("networkidle")
            browser.close()
        p50, p99 = _pct(took)
        print(
            f"\nfirst paint of figures, /app/screen at 1920×1080 (ms from navigation start, "
            f"{runs} reopenings):\n  p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(took):.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database", help="an existing database bench/stats.py --keep kept")
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    name = args.database
    if name is None:
        out = subprocess.run(  # noqa: S603 - our own bench script
            [sys.executable, str(ROOT / "bench" / "stats.py"), "--server", args.server,
             "--events", str(args.events), "--runs", "3", "--keep"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        print(out.stdout.split("\n")[0])
        name = re.search(r"kept database (\S+)", out.stdout).group(1)  # type: ignore[union-attr]
    url = f"{args.server}/{name}"
    try:
        asyncio.run(_api_reads(url, args.runs))
        _first_paint(url, args.runs)
    finally:
        if args.keep:
            print(f"kept database {name}")
        elif args.database is None:
            import asyncpg

            async def drop() -> None:
                dsn = args.server.replace("postgresql+asyncpg://", "postgresql://")
                admin = await asyncpg.connect(f"{dsn}/postgres")
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()

            asyncio.run(drop())


if __name__ == "__main__":
    main()
