"""The inbox's claims and the index it reads contacts by; completed social-work assessments.

Revision ID: 0200
Revises: 0100
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_claims",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_inbox_claims_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_inbox_claims")),
    )
    op.create_index(op.f("ix_inbox_claims_claimed_by"), "inbox_claims", ["claimed_by"])
    op.create_index("ix_contacts_team_id_received_at", "contacts", ["team_id", "received_at"])
    op.create_table(
        "assessment_completions",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("late_reasons", sa.JSON(), nullable=False),
        sa.Column("late_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_assessment_completions_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_assessment_completions")),
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_team_id_received_at", table_name="contacts")
    op.drop_table("assessment_completions")
    op.drop_index(op.f("ix_inbox_claims_claimed_by"), table_name="inbox_claims")
    op.drop_table("inbox_claims")
