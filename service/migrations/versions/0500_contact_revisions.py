"""A contact's revisions: each record as received, with its own assessment.

Existing contacts become revision 1 of themselves (their stored body and assessment).

Revision ID: 0500
Revises: 0300
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_revisions",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("model_run_id", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_contact_revisions_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("contact_id", "revision", name=op.f("pk_contact_revisions")),
    )
    # Every contact stored so far is its own first revision.
    op.execute(
        "INSERT INTO contact_revisions (contact_id, revision, body, body_sha256, received_at,"
        " assessment, model_name, model_version, model_run_id, created_by, created_at)"
        " SELECT c.contact_id, 1, c.body, c.body_sha256, c.received_at, a.assessment,"
        " a.model_name, a.model_version, a.model_run_id, c.created_by, c.created_at"
        " FROM contacts c JOIN assessments a ON a.contact_id = c.contact_id"
    )


def downgrade() -> None:
    op.drop_table("contact_revisions")
