"""the inbox of pushed updates (issue 30): kept before acknowledged, claimed per chat

Revision ID: 0012
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("chat", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.Column("takeovers", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "key", name="uq_inbox_channel_key"),
    )
    op.create_index(
        "ix_inbox_pending",
        "inbox",
        ["chat", "seq"],
        postgresql_where=sa.text("handled_at IS NULL"),
        sqlite_where=sa.text("handled_at IS NULL"),
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"])
    op.create_table(
        "inbox_claims",
        sa.Column("chat", sa.String(length=120), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat"),
    )


def downgrade() -> None:
    op.drop_table("inbox_claims")
    op.drop_index("ix_inbox_handled_at", table_name="inbox")
    op.drop_index("ix_inbox_pending", table_name="inbox")
    op.drop_table("inbox")
