"""A throw-away database for one benchmark run: SQLite in a temp folder, or a fresh
PostgreSQL database created for the run and dropped after."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

__all__ = ["run_on_scratch_database"]


async def _pg(admin_dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_on_scratch_database(
    main: Callable[[str, Path], Awaitable[None]], database_url: str | None, prefix: str
) -> None:
    """``main(url, data_dir)`` on SQLite, or on the PostgreSQL database named by the URL."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if not database_url:
            asyncio.run(main(f"sqlite+aiosqlite:///{tmp / 'bench.db'}", tmp))
            return
        base, name = database_url.rsplit("/", 1)
        admin = base.replace("postgresql+asyncpg", "postgresql") + "/postgres"
        asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(_pg(admin, f'CREATE DATABASE "{name}"'))
        try:
            asyncio.run(main(database_url, tmp))
        finally:
            asyncio.run(_pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
