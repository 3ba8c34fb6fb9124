"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:08:57.408407
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target_type", sa.String(length=30), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_at", ["actor_id", "at"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "case_counters",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_case_counters")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "orgs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column(
            "boundary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("street_id", sa.String(length=36), nullable=True),
        sa.Column("community_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["orgs.id"], name=op.f("fk_orgs_parent_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orgs")),
        sa.UniqueConstraint("code", name=op.f("uq_orgs_code")),
    )
    with op.batch_alter_table("orgs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orgs_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orgs_street_id"), ["street_id"], unique=False)
        batch_op.create_index("ix_orgs_type", ["type"], unique=False)

    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=50), nullable=False),
        sa.Column("default_department_id", sa.String(length=36), nullable=True),
        sa.Column(
            "sla_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sla_clock", sa.String(length=10), nullable=False),
        sa.Column("photo_required", sa.Boolean(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_department_id"],
            ["orgs.id"],
            name=op.f("fk_categories_default_department_id_orgs"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("demo_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_users_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_no", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.Column("street_id", sa.String(length=36), nullable=False),
        sa.Column("reporter_id", sa.String(length=36), nullable=False),
        sa.Column("assignee_org_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_user_id", sa.String(length=36), nullable=True),
        sa.Column("sla_clock", sa.String(length=10), nullable=True),
        sa.Column("sla_started_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warn_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervision_count", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_org_id"], ["orgs.id"], name=op.f("fk_events_assignee_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_events_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_events_category_code_categories")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["orgs.id"], name=op.f("fk_events_community_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["events.id"], name=op.f("fk_events_duplicate_of_events")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["orgs.id"], name=op.f("fk_events_grid_id_orgs")),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_events_reporter_id_users")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["orgs.id"], name=op.f("fk_events_street_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("case_no", name=op.f("uq_events_case_no")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_assignee", ["assignee_org_id"], unique=False)
        batch_op.create_index("ix_events_category_lat", ["category_code", "lat"], unique=False)
        batch_op.create_index("ix_events_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_events_grid_created", ["grid_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_events_reporter_created", ["reporter_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_events_status", ["status"], unique=False)
        batch_op.create_index("ix_events_street_created", ["street_id", "created_at"], unique=False)

    op.create_table(
        "media",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("taken_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gps_lat", sa.Double(), nullable=True),
        sa.Column("gps_lng", sa.Double(), nullable=True),
        sa.Column("phash", sa.BigInteger(), nullable=True),
        sa.Column("created_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_media_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("owner_id", "sha256", name="uq_media_owner_sha256"),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=False)

    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column(
            "muted_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_preferences")),
    )
    op.create_table(
        "event_assignments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_assignments_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_event_assignments_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_event_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_assignments")),
    )
    with op.batch_alter_table("event_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_assignments_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            "ix_event_assignments_org_event", ["org_id", "event_id"], unique=False
        )

    op.create_table(
        "event_extensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_event_extensions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_extensions_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_event_extensions_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_extensions")),
    )
    with op.batch_alter_table("event_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_extensions_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "event_media",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("media_id", sa.String(length=36), nullable=False),
        sa.Column("timeline_seq", sa.Integer(), nullable=False),
        sa.Column("location_mismatch", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_media_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["media_id"], ["media.id"], name=op.f("fk_event_media_media_id_media")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_media")),
    )
    with op.batch_alter_table("event_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_media_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_media_media_id"), ["media_id"], unique=False)

    op.create_table(
        "event_timeline",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_event_timeline_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_timeline_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_timeline")),
        sa.UniqueConstraint("event_id", "seq", name="uq_event_timeline_event_seq"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_session_id"))

    op.drop_table("refresh_tokens")
    op.drop_table("event_timeline")
    with op.batch_alter_table("event_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_media_media_id"))
        batch_op.drop_index(batch_op.f("ix_event_media_event_id"))

    op.drop_table("event_media")
    with op.batch_alter_table("event_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_extensions_event_id"))

    op.drop_table("event_extensions")
    with op.batch_alter_table("event_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_event_assignments_org_event")
        batch_op.drop_index(batch_op.f("ix_event_assignments_event_id"))

    op.drop_table("event_assignments")
    op.drop_table("user_preferences")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha256"))
        batch_op.drop_index(batch_op.f("ix_media_owner_id"))

    op.drop_table("media")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_street_created")
        batch_op.drop_index("ix_events_status")
        batch_op.drop_index("ix_events_reporter_created")
        batch_op.drop_index("ix_events_grid_created")
        batch_op.drop_index("ix_events_created")
        batch_op.drop_index("ix_events_category_lat")
        batch_op.drop_index("ix_events_assignee")

    op.drop_table("events")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_org_id"))

    op.drop_table("users")
    op.drop_table("categories")
    with op.batch_alter_table("orgs", schema=None) as batch_op:
        batch_op.drop_index("ix_orgs_type")
        batch_op.drop_index(batch_op.f("ix_orgs_street_id"))
        batch_op.drop_index(batch_op.f("ix_orgs_parent_id"))

    op.drop_table("orgs")
    op.drop_table("login_throttle")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
    op.drop_table("case_counters")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index("ix_audit_log_actor_at")

    op.drop_table("audit_log")
