"""statistics: the hotspots' and the assessment's roll-ups, kept by triggers (PostgreSQL)

Revision ID: stats_0004
Revises: stats_0003

``event_spot_rollups`` (UTC day × street × grid × category: events not merged, events that
crossed orgs) kept by a trigger on ``events``; ``assignment_day_rollups`` (Shanghai day of
the dispatch × street × receiving org: the assessment's terms) with its per-event terms
``assignment_event_terms``, kept by triggers on ``event_assignments``, ``events`` and
``event_timeline`` (backend/stats/rollup2_sql.py). All roll-up upserts, the day roll-up's
too, take one advisory lock first (lock order). Existing rows are rolled up here.
PostgreSQL only: on SQLite the statistics read the events, and this revision changes
nothing.
"""

from __future__ import annotations

from alembic import op

from backend.stats.rollup2_sql import (
    CREATE_TABLES,
    DROP,
    INSTALL,
    LOCKED_DAY_APPLY,
    REBUILD,
    UNLOCKED_DAY_APPLY,
)

revision = "stats_0004"
down_revision = "stats_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in CREATE_TABLES:
        op.execute(statement)
    # Writers wait while the triggers go in and the backfill runs (one transaction), so
    # no row changes between the two.
    op.execute("LOCK TABLE events, event_assignments, event_timeline IN SHARE ROW EXCLUSIVE MODE")
    for statement in (LOCKED_DAY_APPLY, *INSTALL, *REBUILD):
        op.execute(statement)
    for table in ("event_spot_rollups", "assignment_day_rollups", "assignment_event_terms"):
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (*DROP, UNLOCKED_DAY_APPLY):
        op.execute(statement)
