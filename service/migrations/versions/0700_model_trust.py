"""The model-trust record: each champion's model-file SHA-256 and gates, checked before loading.

A champion promoted before this revision has no record, so the service will not load it until
it is recorded (`triage models trust`, docs/deployment.md).

Revision ID: 0700
Revises: 0610
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0700"
down_revision = "0610"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_trust",
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("gates", sa.Text(), nullable=False),
        sa.Column("gates_passed", sa.Boolean(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("model", "version", name=op.f("pk_model_trust")),
    )


def downgrade() -> None:
    op.drop_table("model_trust")
