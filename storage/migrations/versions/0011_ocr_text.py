"""the text of scanned and OCR'd plans (issue 27): the raw OCR kept beside the repaired text

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("repaired_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("repaired_text")
        batch_op.drop_column("ocr_text")
