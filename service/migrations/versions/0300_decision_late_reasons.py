"""Why a decision was late: its reasons and the worker's note.

Revision ID: 0300
Revises: 0200
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = "0200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("late_reasons", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("late_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("late_note")
        batch.drop_column("late_reasons")
