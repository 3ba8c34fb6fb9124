"""smart-dispatch routing rules, suggestion columns, statistics indexes

Revision ID: stats_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db.base

revision = "stats_0001"
down_revision = "0001"
branch_labels = ("stats",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("street_id", sa.String(length=36), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["categories.code"],
            name=op.f("fk_routing_rules_category_code_categories"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_routing_rules_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["street_id"], ["orgs.id"], name=op.f("fk_routing_rules_street_id_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index("ix_routing_rules_category", "routing_rules", ["category_code"])
    # Existing rows get false / null; new columns without foreign keys, so SQLite can add
    # them with a plain ALTER TABLE.
    op.add_column(
        "categories",
        sa.Column("auto_dispatch", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("events", sa.Column("suggested_org_id", sa.String(length=36), nullable=True))
    op.add_column("events", sa.Column("suggested_rule", JSON, nullable=True))
    op.create_index("ix_event_assignments_assigned", "event_assignments", ["assigned_at"])
    op.create_index(
        "ix_event_timeline_action_event", "event_timeline", ["action", "event_id", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_event_timeline_action_event", table_name="event_timeline")
    op.drop_index("ix_event_assignments_assigned", table_name="event_assignments")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("suggested_rule")
        batch_op.drop_column("suggested_org_id")
    with op.batch_alter_table("categories") as batch_op:
        batch_op.drop_column("auto_dispatch")
    op.drop_index("ix_routing_rules_category", table_name="routing_rules")
    op.drop_table("routing_rules")
