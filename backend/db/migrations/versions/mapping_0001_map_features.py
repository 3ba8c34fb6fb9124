"""one-map features

Revision ID: mapping_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db.base

revision = "mapping_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "map_features",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("layer", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geometry", _JSON, nullable=False),
        sa.Column("properties", _JSON, nullable=False),
        sa.Column("min_lng", sa.Double(), nullable=False),
        sa.Column("min_lat", sa.Double(), nullable=False),
        sa.Column("max_lng", sa.Double(), nullable=False),
        sa.Column("max_lat", sa.Double(), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_features")),
        sa.UniqueConstraint("layer", "code", name=op.f("uq_map_features_layer")),
    )
    with op.batch_alter_table("map_features", schema=None) as batch_op:
        batch_op.create_index("ix_map_features_layer_lat", ["layer", "min_lat"], unique=False)
        batch_op.create_index("ix_map_features_layer_lng", ["layer", "min_lng"], unique=False)


def downgrade() -> None:
    op.drop_table("map_features")
