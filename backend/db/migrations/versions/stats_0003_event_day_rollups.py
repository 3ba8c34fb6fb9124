"""statistics: daily roll-ups of events, kept by a trigger (PostgreSQL)

Revision ID: stats_0003
Revises: stats_0002

``event_day_rollups`` (UTC day × street × status × category × source, with the overview's
counts and sums) and the trigger on ``events`` that keeps it in every writer's transaction
(backend/stats/rollup_sql.py); existing events are rolled up here. PostgreSQL only: on
SQLite the overview reads the events, and this revision changes nothing.
"""

from __future__ import annotations

from alembic import op

from backend.stats.rollup_sql import CREATE_TABLE, DROP, INSTALL_TRIGGER, REBUILD

revision = "stats_0003"
down_revision = "stats_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_TABLE)
    # Lock out writers while the backfill and the trigger go in together, so no event
    # changes between the two (the migration runs in one transaction).
    op.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
    for statement in (*INSTALL_TRIGGER, *REBUILD):
        op.execute(statement)
    op.execute("ANALYZE event_day_rollups")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DROP:
        op.execute(statement)
