"""statistics: events.first_dispatched_at, satisfaction, cross_department; covering indexes

Revision ID: stats_0002
Revises: stats_0001

The overview's average handling time and satisfaction, and hotspots' 多跨, read these
columns instead of joining every event of the window with its assignments and visits; the
stats domain's action hook keeps them (backend/stats/wiring.py). Existing rows are
backfilled here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db.base

revision = "stats_0002"
down_revision = "stats_0001"
branch_labels = None
depends_on = None

STATS_COLUMNS = (
    "street_id",
    "status",
    "category_code",
    "source",
    "grid_id",
    "handled_at",
    "due_at",
    "first_dispatched_at",
    "satisfaction",
    "cross_department",
)
RUNNING = "status IN ('dispatched', 'handling')"
# The latest visit (highest seq) per event; JSON differs between the two databases.
LATEST_VISIT_PG = """
UPDATE events SET satisfaction = (
    SELECT CAST(t.data ->> 'satisfaction' AS INTEGER) FROM event_timeline t
    WHERE t.event_id = events.id AND t.action = 'visit' ORDER BY t.seq DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM event_timeline t WHERE t.event_id = events.id AND t.action = 'visit')
"""
LATEST_VISIT_SQLITE = """
UPDATE events SET satisfaction = (
    SELECT CAST(json_extract(t.data, '$.satisfaction') AS INTEGER) FROM event_timeline t
    WHERE t.event_id = events.id AND t.action = 'visit' ORDER BY t.seq DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM event_timeline t WHERE t.event_id = events.id AND t.action = 'visit')
"""
# 多跨: two or more distinct orgs, or a return.
CROSS_DEPARTMENT = """
UPDATE events SET cross_department = true WHERE id IN (
    SELECT event_id FROM event_assignments GROUP BY event_id
    HAVING count(DISTINCT org_id) >= 2
        OR sum(CASE WHEN end_reason = 'returned' THEN 1 ELSE 0 END) >= 1)
"""


def upgrade() -> None:
    # Nullable, no foreign keys: SQLite adds them with a plain ALTER TABLE.
    op.add_column(
        "events",
        sa.Column("first_dispatched_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("events", sa.Column("satisfaction", sa.Integer(), nullable=True))
    op.add_column(
        "events",
        sa.Column("cross_department", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    # Backfill: the earliest assignment per event, then the latest visit.
    op.execute(
        "UPDATE events SET first_dispatched_at = ("
        " SELECT min(a.assigned_at) FROM event_assignments a WHERE a.event_id = events.id)"
        " WHERE EXISTS (SELECT 1 FROM event_assignments a WHERE a.event_id = events.id)"
    )
    op.execute(
        LATEST_VISIT_PG if op.get_bind().dialect.name == "postgresql" else LATEST_VISIT_SQLITE
    )
    op.execute(CROSS_DEPARTMENT)

    op.create_index("ix_events_stats_created", "events", ["created_at", *STATS_COLUMNS])
    op.create_index(
        "ix_events_stats_street", "events", ["street_id", "created_at", *STATS_COLUMNS[1:]]
    )
    op.create_index(
        "ix_event_timeline_rework", "event_timeline", ["action", "at", "event_id", "to_status"]
    )
    op.create_index(
        "ix_events_running_due",
        "events",
        ["due_at", "street_id"],
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
    )


def downgrade() -> None:
    op.drop_index("ix_events_running_due", table_name="events")
    op.drop_index("ix_event_timeline_rework", table_name="event_timeline")
    op.drop_index("ix_events_stats_street", table_name="events")
    op.drop_index("ix_events_stats_created", table_name="events")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("cross_department")
        batch_op.drop_column("satisfaction")
        batch_op.drop_column("first_dispatched_at")
