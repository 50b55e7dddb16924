"""close the loop (issue 17): plan period and archiving, results with notes and files, progress,
extension requests, digest rhythm

It follows 0006 (issue 18's invites): the chain is 0001 → 0002 → 0003 → 0004 → 0006 → 0007
(0005 was never released).

Claim keys that name the due date ("42@2022-06-30:telegram:1:d3") are written by the planner;
the old keys are rewritten by main's migration 0004 (the same format), so this one does not.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archived_by", sa.String(length=200), nullable=True))
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("file_id", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("file_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("progress_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=10), nullable=True))
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["occurrence_id"], ["occurrences.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.create_index("ix_extensions_occurrence", ["occurrence_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_index("ix_extensions_occurrence")
    op.drop_table("extensions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("digest")
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        for name in (
            "progress_at",
            "progress_by",
            "progress_note",
            "file_size",
            "file_name",
            "file_id",
            "note",
            "original_due",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for name in ("archived_by", "archived_at", "period_end", "period_start"):
            batch_op.drop_column(name)
