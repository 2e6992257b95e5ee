"""Page sessions kept server-side (sign-out ends every copy of a cookie), and OpenID Connect
sign-ins: those pending at the provider, and the provider accounts behind users.

Revision ID: 0800
Revises: 0710
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0800"
down_revision = "0710"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name=op.f("fk_page_sessions_user_name_users")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_page_sessions")),
    )
    op.create_index(op.f("ix_page_sessions_user_name"), "page_sessions", ["user_name"])
    op.create_table(
        "oidc_pending",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_path", sa.String(512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oidc_pending")),
    )
    op.create_index(op.f("ix_oidc_pending_created_at"), "oidc_pending", ["created_at"])
    op.create_table(
        "oidc_identities",
        sa.Column("issuer", sa.String(512), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name=op.f("fk_oidc_identities_user_name_users")
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_oidc_identities")),
        sa.UniqueConstraint("user_name", name=op.f("uq_oidc_identities_user_name")),
    )


def downgrade() -> None:
    op.drop_table("oidc_identities")
    op.drop_index(op.f("ix_oidc_pending_created_at"), table_name="oidc_pending")
    op.drop_table("oidc_pending")
    op.drop_index(op.f("ix_page_sessions_user_name"), table_name="page_sessions")
    op.drop_table("page_sessions")
