"""rooms, members, messages, instruction targets, reads, incidents

Revision ID: rooms_0001
Revises: 0001
Create Date: 2026-11-24 03:36:35.124846
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db.base

revision = "rooms_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("event_key", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_rooms_created_by_users")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_rooms_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("event_key", name=op.f("uq_rooms_event_key")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column(
            "location",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("declared_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["declared_by"], ["users.id"], name=op.f("fk_incidents_declared_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_incidents_event_id_events")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_incidents_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "instruction_targets",
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("due_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_text", sa.Text(), nullable=True),
        sa.Column("reminded_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_instruction_targets_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_instruction_targets_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_instruction_targets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", "user_id", name=op.f("pk_instruction_targets")),
    )
    with op.batch_alter_table("instruction_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_instruction_targets_open_due", ["acked_at", "due_at"], unique=False
        )

    op.create_table(
        "room_members",
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("member_key", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("added_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_room_members_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_members_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_room_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("room_id", "member_key", name=op.f("pk_room_members")),
    )
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_members_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_room_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "room_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("client_msg_id", sa.String(length=100), nullable=True),
        sa.Column("sender_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_id", sa.String(length=36), nullable=True),
        sa.Column(
            "location",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "mentions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("due_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_of_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_messages_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_room_messages_sender_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_messages")),
        sa.UniqueConstraint(
            "room_id", "sender_id", "client_msg_id", name="uq_room_messages_room_sender_client"
        ),
        sa.UniqueConstraint("room_id", "seq", name="uq_room_messages_room_seq"),
    )
    op.create_table(
        "room_reads",
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_reads_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_room_reads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_room_reads")),
    )


def downgrade() -> None:
    op.drop_table("room_reads")
    op.drop_table("room_messages")
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_room_members_org_id"))

    op.drop_table("room_members")
    with op.batch_alter_table("instruction_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_instruction_targets_open_due")

    op.drop_table("instruction_targets")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status_created")

    op.drop_table("incidents")
    op.drop_table("rooms")
