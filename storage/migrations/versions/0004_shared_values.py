"""shared values (generated webhook secrets), archived tasks, claim keys that name the due date

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_values",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # A task that disappears from a re-imported plan is archived with its history, not deleted.
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    # Claim keys now name the due date ("42@2022-06-30:telegram:1:d3"): rewrite the old ones so
    # a reminder already sent is not sent again after the upgrade.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT r.key, o.due FROM reminder_log r JOIN occurrences o ON o.id = r.occurrence_id")
    ).all()
    for key, due in rows:
        occurrence, sep, rest = str(key).partition(":")
        if not sep or "@" in occurrence:
            continue
        conn.execute(
            sa.text("UPDATE reminder_log SET key = :new WHERE key = :old"),
            {"new": f"{occurrence}@{str(due)[:10]}:{rest}", "old": key},
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("archived_at")
    op.drop_table("shared_values")
