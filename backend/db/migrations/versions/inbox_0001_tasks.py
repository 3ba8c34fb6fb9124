"""inbox tasks, tombstones and the change counter

Revision ID: inbox_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db.base

revision = "inbox_0001"
down_revision = "0001"
branch_labels = ("inbox",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = backend.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("room_id", sa.String(length=36), nullable=True),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_org_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_role", sa.String(length=30), nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("warn_at", TS, nullable=True),
        sa.Column("escalate_at", TS, nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("overdue_fired", sa.Boolean(), nullable=False),
        sa.Column("escalation_fired", sa.Boolean(), nullable=False),
        sa.Column("next_crossing_at", TS, nullable=True),
        sa.Column("rev", BIGINT, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("close_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_org_id"], ["orgs.id"], name=op.f("fk_tasks_assignee_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_tasks_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_tasks_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index("ix_tasks_user_open", "tasks", ["assignee_user_id", "state"])
    op.create_index("ix_tasks_org_open", "tasks", ["assignee_org_id", "assignee_role", "state"])
    op.create_index("ix_tasks_rev", "tasks", ["rev"])
    op.create_index("ix_tasks_crossing", "tasks", ["state", "next_crossing_at"])
    op.create_index(op.f("ix_tasks_event_id"), "tasks", ["event_id"])
    op.create_table(
        "task_tombstones",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("rev", BIGINT, nullable=False),
        sa.Column("audience_user_id", sa.String(length=36), nullable=True),
        sa.Column("audience_org_id", sa.String(length=36), nullable=True),
        sa.Column("audience_role", sa.String(length=30), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_tombstones")),
    )
    op.create_index("ix_task_tombstones_user_rev", "task_tombstones", ["audience_user_id", "rev"])
    op.create_index(
        "ix_task_tombstones_org_rev",
        "task_tombstones",
        ["audience_org_id", "audience_role", "rev"],
    )
    op.create_table(
        "inbox_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_counter")),
    )
    op.execute("INSERT INTO inbox_counter (id, value) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("inbox_counter")
    op.drop_index("ix_task_tombstones_org_rev", table_name="task_tombstones")
    op.drop_index("ix_task_tombstones_user_rev", table_name="task_tombstones")
    op.drop_table("task_tombstones")
    op.drop_index(op.f("ix_tasks_event_id"), table_name="tasks")
    op.drop_index("ix_tasks_crossing", table_name="tasks")
    op.drop_index("ix_tasks_rev", table_name="tasks")
    op.drop_index("ix_tasks_org_open", table_name="tasks")
    op.drop_index("ix_tasks_user_open", table_name="tasks")
    op.drop_table("tasks")
