"""Running the product: migrations from empty, settings refusals, the CLI, health, OpenAPI."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.cli import main as cli_main
from backend.db.base import Base
from backend.db.engine import Database
from backend.db.migrate import upgrade_head
from backend.db.models import User
from backend.settings import DEMO_SECRET_KEY, Settings, SettingsError
from backend.stats.rollup import ROLLUP_TABLES
from tests.conftest import PG_URL, _pg_admin_dsn, _pg_exec, running


async def _schema_diff(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    # The statistics' roll-ups (PostgreSQL only) are kept by their triggers, not by models,
    # so the models do not name them (backend/stats/rollup.py says why): the tables there.
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name in ROLLUP_TABLES)]


async def test_migrating_an_empty_sqlite_database_gives_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await asyncio.to_thread(upgrade_head, url)
    assert await _schema_diff(url) == []
    await asyncio.to_thread(upgrade_head, url)  # a second run is a no-op
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.dispose()


@pytest.mark.pg_only
async def test_migrating_an_empty_postgresql_database_gives_the_models() -> None:
    assert PG_URL
    admin, base = _pg_admin_dsn(PG_URL)
    name = f"cy_mig_{uuid.uuid4().hex[:10]}"
    await _pg_exec(admin, f'CREATE DATABASE "{name}"')
    try:
        url = f"{base}/{name}"
        await asyncio.to_thread(upgrade_head, url)
        assert await _schema_diff(url) == []
    finally:
        await _pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_settings_from_env_reads_every_variable() -> None:
    s = Settings.from_env(
        {
            "CHENGYUN_ENV": "development",
            "CHENGYUN_DATA_DIR": "/tmp/cy-data",
            "CHENGYUN_SLA_SWEEP_SECONDS": "10",
            "CHENGYUN_ALLOWED_ORIGINS": "https://a.example, https://b.example",
            "CHENGYUN_PUSH_SENDER": "memory",
        }
    )
    assert s.sla_sweep_seconds == 10
    assert s.allowed_origins == ("https://a.example", "https://b.example")
    assert s.resolved_database_url.endswith("/tmp/cy-data/chengyun.db")
    assert s.resolved_media_dir == Path("/tmp/cy-data/media")


@pytest.mark.parametrize(
    "env",
    [
        {"CHENGYUN_ENV": "production"},  # the demo secret
        {"CHENGYUN_ENV": "production", "CHENGYUN_SECRET_KEY": "short"},
        {"CHENGYUN_SLA_SWEEP_SECONDS": "soon"},
        {"CHENGYUN_PUSH_SENDER": "pigeon"},
        {"CHENGYUN_ENV": "staging"},
    ],
)
def test_unsafe_or_malformed_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


async def test_production_refuses_to_start_with_demo_passwords(settings: Settings) -> None:
    from backend.app import create_app

    prod = settings.with_overrides(
        env="production", secret_key="a-real-secret-" + "x" * 40, password_profile="standard"
    )
    assert prod.secret_key != DEMO_SECRET_KEY
    with pytest.raises(SettingsError, match="demo password"):
        async with running(create_app(prod)):
            pass


def test_seed_demo_is_idempotent_and_prints_the_logins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHENGYUN_PASSWORD_PROFILE", "fast")
    monkeypatch.delenv("CHENGYUN_DATABASE_URL", raising=False)
    assert cli_main(["migrate"]) == 0
    assert cli_main(["seed-demo"]) == 0
    first = capsys.readouterr().out
    assert "district01" in first and "grid001" in first and "chengyun-demo" in first
    assert cli_main(["seed-demo"]) == 0
    assert "added 0 orgs, 0 categories, 0 users" in capsys.readouterr().out
    assert (
        cli_main(
            [
                "create-user",
                "ops1",
                "--role",
                "admin",
                "--org-code",
                "420111",
                "--password",
                "long-enough-pw",
            ]
        )
        == 0
    )
    assert (
        cli_main(
            [
                "create-user",
                "ops1",
                "--role",
                "admin",
                "--org-code",
                "420111",
                "--password",
                "long-enough-pw",
            ]
        )
        == 2
    )  # exists without --reset
    assert (
        cli_main(
            [
                "create-user",
                "ops2",
                "--role",
                "wizard",
                "--org-code",
                "420111",
                "--password",
                "long-enough-pw",
            ]
        )
        == 2
    )

    async def count_admins() -> int:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'chengyun.db'}")
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(User.username).where(User.role == "admin"))
                return len(rows.all())
        finally:
            await engine.dispose()

    assert asyncio.run(count_admins()) == 2


def test_openapi_command_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["openapi"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "/api/v1/events" in doc["paths"]
    assert "/api/v1/events/{event_id}/actions" in doc["paths"]


async def test_health_and_openapi_need_no_token(client: Any) -> None:
    assert (await client.get("/api/v1/health/live")).json()["status"] == "ok"
    ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "media_store": "ok"}
    doc = await client.get("/schema/openapi.json")
    assert doc.status_code == 200
    assert doc.json()["info"]["title"].startswith("chengyun")


async def test_ready_is_503_when_a_dependency_is_down(client: Any, app: Any) -> None:
    async def broken() -> None:
        raise ConnectionError("media store unreachable")

    app.state["ctx"].probes["media_store"] = broken
    r = await client.get("/api/v1/health/ready")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert r.json()["checks"]["media_store"] == "down"


@pytest.mark.parametrize(
    "command",
    [
        ["seed-demo"],
        ["serve", "--port", "9"],
        ["import-district", "docs/examples/district.json"],
        ["create-user", "ops2", "--role", "admin", "--org-code", "420111", "--password", "x" * 12],
    ],
)
def test_commands_refuse_a_database_that_is_missing_or_not_migrated_in_one_line(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CHENGYUN_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path / "not" / "there"))
    assert cli_main(command) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("chengyun: no database at") and "\n" not in err
    assert "run `chengyun migrate` first" in err
    assert not (tmp_path / "not").exists()  # nothing created on the way
    import sqlite3

    with sqlite3.connect(tmp_path / "chengyun.db") as conn:  # a database, never migrated
        conn.execute("CREATE TABLE notes (text TEXT)")
    monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path))
    assert cli_main(command) == 2
    err = capsys.readouterr().err.strip()
    assert "the database schema is not up to date" in err and "run `chengyun migrate`" in err


async def test_ready_is_503_when_the_schema_is_behind_the_code(client: Any, app: Any) -> None:
    db = app.state["ctx"].db
    async with db.engine.begin() as conn:  # as if the rooms migration had not run yet
        await conn.execute(
            text("UPDATE alembic_version SET version_num = '0001' WHERE version_num = 'rooms_0001'")
        )
    r = await client.get("/api/v1/health/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["schema"] == "down"
    assert r.json()["checks"]["database"] == "ok"


def test_a_schema_ahead_of_the_code_is_not_reported_missing() -> None:
    from backend.db.migrate import missing_revisions

    everything = missing_revisions(None)  # no alembic_version table: every head
    assert "rooms_0001" in everything and "stats_0004" in everything
    assert missing_revisions(everything) == []
    assert missing_revisions(["0001"]) == everything
    behind = [h for h in everything if h != "stats_0004"] + ["stats_0003"]
    assert missing_revisions(behind) == ["stats_0004"]
    # A revision this release does not know: a newer release migrated (rolling upgrade).
    assert missing_revisions([*everything, "rooms_0002_from_the_future"]) == []
