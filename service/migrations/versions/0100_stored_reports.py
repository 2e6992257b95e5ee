"""Stored reports: fairness and monitoring reports computed off the request path, kept forever.

Revision ID: 0100
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.String(128), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_decision_seq", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_reports")),
    )
    op.create_index("ix_stored_reports_kind_id", "stored_reports", ["kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_stored_reports_kind_id", table_name="stored_reports")
    op.drop_table("stored_reports")
