"""city link outbox and inbound cases

Revision ID: citylink_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db.base

revision = "citylink_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = backend.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "city_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("next_attempt_at", _AT, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.Column("failed_at", _AT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_city_outbox_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_outbox")),
    )
    with op.batch_alter_table("city_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_city_outbox_due", ["next_attempt_at"], unique=False)
    op.create_table(
        "city_cases",
        sa.Column("city_case_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_city_cases_event_id_events")
        ),
        sa.PrimaryKeyConstraint("city_case_id", name=op.f("pk_city_cases")),
    )


def downgrade() -> None:
    op.drop_table("city_cases")
    op.drop_table("city_outbox")
