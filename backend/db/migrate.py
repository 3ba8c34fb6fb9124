"""Running Alembic from code: ``chengyun migrate`` and the tests use the same path."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["SchemaBehind", "alembic_config", "check_schema", "missing_revisions", "upgrade_head"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_head(url: str) -> None:
    """Create or upgrade the schema (synchronous: runs its own event loop)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # "heads": each domain keeps its own branch of revisions off the initial schema.
    command.upgrade(alembic_config(url), "heads")


class SchemaBehind(RuntimeError):
    """The database lacks revisions this code needs: run ``chengyun migrate``."""


@cache
def _revision_graph() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """This code's heads, and each known revision with its ancestors (itself included)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    lineage = {
        rev.revision: frozenset(r.revision for r in script.iterate_revisions(rev.revision, "base"))
        for rev in script.walk_revisions()
    }
    return frozenset(script.get_heads()), lineage


def missing_revisions(applied: Iterable[str] | None) -> list[str]:
    """The heads of this code that the database (``alembic_version`` rows; None when the
    table does not exist) has not reached. A revision this code does not know comes from a
    newer release: the schema is ahead, which an older replica tolerates during a rolling
    upgrade, so nothing is reported missing."""
    heads, lineage = _revision_graph()
    if applied is None:
        return sorted(heads)
    reached: set[str] = set()
    for version in applied:
        if version not in lineage:
            return []
        reached |= lineage[version]
    return sorted(heads - reached)


async def check_schema(engine: AsyncEngine) -> None:
    """Raise ``SchemaBehind`` when the database is not migrated to this code's heads."""
    async with engine.connect() as conn:
        has_table = await conn.run_sync(lambda c: inspect(c).has_table("alembic_version"))
        rows: list[str] | None = None
        if has_table:
            result = await conn.execute(text("SELECT version_num FROM alembic_version"))
            rows = list(result.scalars())
    missing = missing_revisions(rows)
    if missing:
        raise SchemaBehind(
            "the database schema is not up to date (missing "
            + ", ".join(missing)
            + "): run `chengyun migrate`"
        )
