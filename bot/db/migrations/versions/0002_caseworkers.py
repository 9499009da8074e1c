"""caseworkers: case urgency and response times, case history, attachments, staff accounts, translation cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("case_mode_case_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("awaiting", sa.String(length=24), nullable=True))

    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("reason", sa.String(length=16), nullable=False, server_default="request")
        )
        batch.add_column(sa.Column("urgency", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("last_user_message_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("user_told_added", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("helped", sa.Boolean(), nullable=True))
        batch.create_index("ix_cases_status", ["status"], unique=False)
        batch.create_index("ix_cases_created_at", ["created_at"], unique=False)
        batch.create_index("ix_cases_queue", ["status", "urgency", "created_at"], unique=False)
    op.execute("UPDATE cases SET status = 'resolved' WHERE status = 'closed'")

    with op.batch_alter_table("messages") as batch:
        batch.create_index("ix_messages_case_id", ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"], unique=False)

    op.create_table(
        "case_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id"),
    )
    op.create_index("ix_case_attachments_case_id", "case_attachments", ["case_id"], unique=False)

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ui_language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key"], unique=False)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"], unique=False)
    op.create_index("ix_audit_events_case_id", "audit_events", ["case_id"], unique=False)
    op.create_table(
        "translations",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_translations_created_at", "translations", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("translations")
    for table in ("audit_events", "login_failures", "staff_sessions", "staff_users"):
        op.drop_table(table)
    op.drop_table("case_attachments")
    op.drop_table("case_events")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_case_id")
    op.execute("UPDATE cases SET status = 'closed' WHERE status = 'resolved'")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_queue")
        batch.drop_index("ix_cases_created_at")
        batch.drop_index("ix_cases_status")
        for column in (
            "helped",
            "user_told_added",
            "last_user_message_at",
            "first_response_at",
            "claimed_at",
            "deadline",
            "urgency",
            "reason",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("awaiting")
        batch.drop_column("case_mode_case_id")
