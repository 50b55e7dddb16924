"""continuous work's reporting occurrences (issue 26, item 7)

A task with no due date ("thường xuyên") gets one reporting occurrence per period it is reported
on (a year, or a quarter): an occurrence whose `period_start` is the period's first day and whose
`due` is its last. Dated occurrences keep `period_start` NULL. Existing undated tasks get theirs
at their plan's next import.

Revision ID: 0009
Revises: 0011 (main's head when this was written; the lead orders the chain at merge)
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_column("period_start")
