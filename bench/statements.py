"""Statements sent by one report, accept and dispatch (each with an Idempotency-Key).

    .venv/bin/python bench/statements.py            # counts (SQLite, caches warm)
    .venv/bin/python bench/statements.py --list     # and each statement, with its caller
    .venv/bin/python bench/statements.py --database-url postgresql+asyncpg://…/<new db>

Seeds the demo district into a temporary SQLite file (or creates, seeds and drops the named
PostgreSQL database), serves the app in-process over ASGI, and counts every statement with
an engine ``before_cursor_execute`` listener (``BEGIN IMMEDIATE`` included on SQLite). The
first round warms the caches (categories, grid index); the last one is printed. Reports go
to different categories, so none links a duplicate (as most of ``api.py``'s do not).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import traceback
import uuid
from pathlib import Path
from typing import Any

import greenlet
import httpx
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402
    _pg_admin_dsn,
    _pg_exec,
    _seed_into,
    in_process_settings,
    running,
)
from tests.integration.demo import grid_point  # noqa: E402

CATEGORIES = ("garbage_exposed", "graffiti", "dead_animal")


def _caller() -> str:
    """The innermost app frames (not the database layer) that sent the statement: the
    stack of the greenlet running it, then of the coroutines that awaited it."""
    frames: list[traceback.FrameSummary] = []
    g: Any = greenlet.getcurrent()
    frame: Any = sys._getframe()
    while g is not None:
        if frame is not None:
            frames = traceback.extract_stack(frame) + frames
        g = g.parent
        frame = g.gr_frame if g is not None else None
    mine = [
        f"{f.filename.split('/backend/')[-1]}:{f.lineno}"
        for f in frames
        if "/backend/" in f.filename and "/backend/db/" not in f.filename
    ]
    return " < ".join(reversed(mine[-2:]))


async def run(url: str, tmp: Path, show: bool) -> None:
    from backend.app import create_app

    await asyncio.to_thread(_seed_into, url)
    logging.disable(logging.INFO)
    app = create_app(in_process_settings(url, tmp))
    ctx = app.state["ctx"]
    seen: list[str] = []
    recording = False

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if recording:
            sql = ("executemany " if many else "") + " ".join(statement.split())[:90]
            seen.append(f"{sql}  <- {_caller()}")

    event.listen(ctx.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:

                async def login(username: str) -> dict[str, str]:
                    body = {"username": username, "password": "chengyun-demo"}
                    r = await c.post("/api/v1/auth/login", json=body)
                    return {"Authorization": f"Bearer {r.json()['access_token']}"}

                grid, street = await login("grid001"), await login("street01a")
                async with ctx.db.sessions() as s:
                    org = (
                        await s.execute(text("SELECT id FROM orgs WHERE code = 'dept-cgzf'"))
                    ).scalar()

                async def post(label: str, path: str, body: Any, auth: dict[str, str]) -> Any:
                    nonlocal recording
                    seen.clear()
                    recording = True
                    headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
                    r = await c.post(f"/api/v1{path}", json=body, headers=headers)
                    recording = False
                    assert r.status_code < 300, r.text
                    if last:
                        print(f"{label}: {len(seen)} statements")
                        for line in seen if show else ():
                            print("   ", line)
                    return r.json()

                for i, category in enumerate(CATEGORIES):
                    last = i == len(CATEGORIES) - 1
                    spot = {**grid_point(1), "address": "洪山区珞喻路"}
                    body = {"category_code": category, "description": "暴露垃圾", "location": spot}
                    created = await post("report", "/events", body, grid)
                    path = f"/events/{created['id']}/actions"
                    await post("accept", path, {"action": "accept"}, street)
                    await post("dispatch", path, {"action": "dispatch", "org_id": org}, street)
    finally:
        await ctx.db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL URL naming a database to create")
    parser.add_argument("--list", action="store_true", help="print each statement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.database_url:
            asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.list))
            return 0
        admin, _base = _pg_admin_dsn(args.database_url)
        name = args.database_url.rpartition("/")[2]
        asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
        try:
            asyncio.run(run(args.database_url, Path(tmp), args.list))
        finally:
            asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
