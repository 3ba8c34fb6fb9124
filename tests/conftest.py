"""Test fixtures: a migrated, seeded database per test (SQLite file copy, or a PostgreSQL
database cloned from a template), an app built with its own settings, and an API client.

Set CHENGYUN_TEST_DATABASE_URL (a PostgreSQL URL) to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backend.settings import Settings

PG_URL = os.environ.get("CHENGYUN_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("CHENGYUN_TEST_REDIS_URL") or None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg_only: needs PostgreSQL (skipped on SQLite)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs CHENGYUN_TEST_DATABASE_URL (PostgreSQL)")
    for item in items:
        if "pg_only" in item.keywords:
            item.add_marker(skip)


def _seed_into(url: str) -> None:
    from backend.auth.passwords import password_service
    from backend.db.engine import Database
    from backend.db.migrate import upgrade_head
    from backend.orgs.seed import seed_demo

    upgrade_head(url)

    async def seed() -> None:
        db = Database(url)
        try:
            async with db.sessions() as session:
                await seed_demo(session, password_service("fast"))
                await session.commit()
        finally:
            await db.dispose()

    asyncio.run(seed())


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    """(asyncpg DSN of the server's admin database, base of the SQLAlchemy URL)."""
    base, _, _db = url.rpartition("/")
    return base.replace("postgresql+asyncpg://", "postgresql://") + "/postgres", base


async def _pg_exec(dsn: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated and seeded database, built once per run; each test gets a copy."""
    if PG_URL:
        admin, base = _pg_admin_dsn(PG_URL)
        name = f"cy_tpl_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
        _seed_into(f"{base}/{name}")
        yield name
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        _seed_into(f"sqlite+aiosqlite:///{path}")
        # Fold the WAL into the main file so a plain copy is the whole database.
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        yield str(path)


@pytest.fixture
def database_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        admin, base = _pg_admin_dsn(PG_URL)
        name = f"cy_t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        yield f"{base}/{name}"
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_db, path)
        yield f"sqlite+aiosqlite:///{path}"


class FakeClock:
    """A clock the test moves by hand (business rules read time only through it)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


def in_process_settings(database_url: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings for an app driven in this process (tests and benchmarks): the database
    given, media under ``data_dir``, no scheduler, pushes kept in memory, fast password
    hashing; ``extra`` sets anything else (``log_level="WARNING"`` for a benchmark)."""
    return Settings(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        media_dir=data_dir / "media",
        scheduler_enabled=False,
        push_sender="memory",
        password_profile="fast",
        **extra,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return in_process_settings(database_url, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[Any]:
    from backend.app import create_app

    application = create_app(settings)
    application.state["ctx"].clock = clock
    yield application
    # Tests that use the app without the client (no lifespan) still opened connections.
    await application.state["ctx"].db.dispose()


@dataclass
class Api:
    """A thin client: logs demo users in once, then calls as them."""

    client: Any
    tokens: dict[str, str]

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            r = await self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": "chengyun-demo"}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    async def headers(self, username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(username)}", **extra}

    async def get(self, username: str, path: str, **kw: Any) -> Any:
        return await self.client.get(f"/api/v1{path}", headers=await self.headers(username), **kw)

    async def post(self, username: str, path: str, json: Any = None, **kw: Any) -> Any:
        headers = await self.headers(username, **kw.pop("headers", {}))
        return await self.client.post(f"/api/v1{path}", json=json, headers=headers, **kw)

    async def act(self, username: str, event_id: str, action: str, **body: Any) -> Any:
        return await self.post(username, f"/events/{event_id}/actions", {"action": action, **body})


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    """httpx over ASGI in the test's own event loop (Litestar's AsyncTestClient runs the app
    on another loop, which asyncpg connections shared with the test cannot cross)."""
    import httpx

    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """The app's lifespan, entered and left in one task of its own (anyio's cancel scopes
    must be; pytest-asyncio sets fixtures up and tears them down in different tasks)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        try:
            task.result()  # startup failed: raise its error
        except BaseExceptionGroup as group:  # anyio wraps lifespan errors in a group
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client=client, tokens={})


# -- notify: the push outbox, driven by hand (scheduler_enabled=False) ----------------------


@dataclass
class NotifyKit:
    """Direct access to the notify domain of one test app: its MemorySender, relay and
    service, and shortcuts that commit the way a request does (after-commit callbacks
    included) and then wait for the kicked relay, so nothing is timing-dependent."""

    app: Any
    api: Api

    @property
    def ctx(self) -> Any:
        return self.app.state["ctx"]

    @property
    def sender(self) -> Any:
        return self.ctx.push_sender

    @property
    def relay(self) -> Any:
        return self.ctx.push_relay

    @property
    def service(self) -> Any:
        return self.ctx.notify

    async def user_id(self, username: str) -> str:
        from sqlalchemy import select

        from backend.db.models import User

        async with self.ctx.db.sessions() as s:
            found = await s.scalar(select(User.id).where(User.username == username))
        assert found is not None, username
        return found  # type: ignore[no-any-return]

    async def device(self, username: str, token: str, platform: str = "android") -> Any:
        r = await self.api.post(username, "/devices", {"token": token, "platform": platform})
        assert r.status_code in (200, 201), r.text
        return r

    async def notify(self, usernames: list[str], **kw: Any) -> list[str]:
        from backend.db.engine import run_after_commit

        kw.setdefault("kind", "event_assigned")
        kw.setdefault("title", "新派遣事件 HS20261124000001")
        kw.setdefault("body", "区城管执法局: 占道经营")
        user_ids = [await self.user_id(u) for u in usernames]
        async with self.ctx.db.sessions() as s:
            ids = await self.service.notify_users(s, user_ids=user_ids, now=self.ctx.now(), **kw)
            await s.commit()
            run_after_commit(s)
        await self.relay.wait_idle()
        return ids  # type: ignore[no-any-return]

    async def deliveries(self) -> list[Any]:
        from sqlalchemy import select

        from backend.db.models import PushDelivery

        async with self.ctx.db.sessions() as s:
            return list(await s.scalars(select(PushDelivery).order_by(PushDelivery.created_at)))


@pytest.fixture
def notify_kit(app: Any, api: Api) -> NotifyKit:
    return NotifyKit(app=app, api=api)


# -- served app for WebSocket tests (issue 6) -------------------------------------------
@asynccontextmanager
async def serving(application: Any) -> AsyncIterator[str]:
    """Serve ``application`` with uvicorn on a free local port; yields the base ws:// URL."""
    import socket

    import uvicorn

    from backend.serving import ChengyunServer

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=3,
    )
    server = ChengyunServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def served(app: Any) -> AsyncIterator[str]:
    async with serving(app) as url:
        yield url


@dataclass
class Live:
    """An app served on a real port: its ws:// base URL and an HTTP API client to it."""

    ws_url: str
    api: Api
    app: Any


@pytest.fixture
async def live(app: Any) -> AsyncIterator[Live]:
    import httpx

    async with serving(app) as url:
        base = url.replace("ws://", "http://")
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            yield Live(ws_url=url, api=Api(client=c, tokens={}), app=app)
