"""orgs.updated_at: running processes notice new or reshaped grids

Revision ID: orgs_0001
Revises: 0001

Each process keeps the grid polygons in memory; it compares the grids' count and newest
updated_at once a minute and rebuilds its index when they moved (backend/orgs/service.py),
so a district import reaches running servers without a restart. Existing rows take their
created_at.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db.base

revision = "orgs_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orgs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE orgs SET updated_at = created_at")
    with op.batch_alter_table("orgs", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at",
            existing_type=backend.db.base.UTCDateTime(timezone=True),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("orgs", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
