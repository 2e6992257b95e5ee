"""Initial schema: users, contacts and assessments, decisions, the review queue, the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_users")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_users_token_hash")),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("child_age_years", sa.Integer(), nullable=False),
        sa.Column("referral_source", sa.String(4), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_team_id"), "contacts", ["team_id"])
    op.create_table(
        "assessments",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("model_run_id", sa.String(64), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("bands", sa.Integer(), nullable=False),
        sa.Column("surface_share", sa.Float(), nullable=False),
        sa.Column("surface_flagged", sa.Boolean(), nullable=False),
        sa.Column("substantive_probability", sa.Float(), nullable=False),
        sa.Column("substantive_band", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("assessed_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.contact_id"],
            name=op.f("fk_assessments_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_assessments")),
    )
    op.create_table(
        "decisions",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", _utc(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.contact_id"], name=op.f("fk_decisions_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_decisions")),
        sa.UniqueConstraint("id", name=op.f("uq_decisions_id")),
    )
    op.create_index(op.f("ix_decisions_contact_id"), "decisions", ["contact_id"])
    op.create_table(
        "reviews",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("decision_id", sa.String(36), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("age_band", sa.String(8), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("assigned_to", sa.String(64), nullable=True),
        sa.Column("claimed_at", _utc(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("new_decision_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.contact_id"], name=op.f("fk_reviews_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_reviews_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["new_decision_id"],
            ["decisions.id"],
            name=op.f("fk_reviews_new_decision_id_decisions"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_reviews")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_reviews_decision_id")),
        sa.UniqueConstraint("id", name=op.f("uq_reviews_id")),
    )
    for column in ("age_band", "assigned_to", "status", "team_id"):
        op.create_index(op.f(f"ix_reviews_{column}"), "reviews", [column])
    op.create_table(
        "review_flags",
        sa.Column("review_seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_seq"], ["reviews.seq"], name=op.f("fk_review_flags_review_seq_reviews")
        ),
        sa.PrimaryKeyConstraint("review_seq", "code", name=op.f("pk_review_flags")),
    )
    op.create_index(op.f("ix_review_flags_code"), "review_flags", ["code"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_events",
        "review_flags",
        "reviews",
        "decisions",
        "assessments",
        "contacts",
        "users",
    ):
        op.drop_table(table)
