"""editors: content revisions (a database overlay over content/), keys and examples taught in the browser, training runs, gap subscriptions, residence status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _author() -> sa.Column[int]:
    return sa.Column(
        "author_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("residence_status", sa.String(length=24), nullable=True))

    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        _author(),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_content_revisions_key_language", "content_revisions", ["key", "language"])

    op.create_table(
        "content_keys",
        sa.Column("key", sa.String(length=80), primary_key=True),
        sa.Column("topic", sa.String(length=40), nullable=False),
        _author(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "training_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("intent", sa.String(length=80), nullable=False, index=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        _author(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column(
            "requested_by", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="SET NULL")
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(length=32), nullable=True),
        sa.Column("model_file", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )

    op.create_table(
        "gap_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "chat_id",
            sa.BigInteger(),
            sa.ForeignKey("chats.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_key", sa.String(length=80), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("gap_subscriptions")
    op.drop_table("training_runs")
    op.drop_table("training_examples")
    op.drop_table("content_keys")
    op.drop_index("ix_content_revisions_key_language", "content_revisions")
    op.drop_table("content_revisions")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("residence_status")
