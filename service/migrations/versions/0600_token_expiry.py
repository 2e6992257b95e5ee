"""Tokens expire, and a rotated-out token may keep working for an overlap.

Tokens issued before this migration had no end: they now expire 90 days after the migration
runs (not after their creation), so an upgrade locks no client out at once and leaves 90 days
to rotate them (`triage users rotate NAME`). See SECURITY.md.

Revision ID: 0600
Revises: 0500
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0600"
down_revision = "0500"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("expires_at", _utc(), nullable=True))
        batch.add_column(sa.Column("previous_token_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("previous_expires_at", _utc(), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_users_previous_token_hash"), ["previous_token_hash"]
        )
    ends = datetime.now(UTC) + timedelta(days=EXISTING_TOKEN_DAYS)
    if op.get_bind().dialect.name == "sqlite":  # SQLite keeps naive UTC (service.db.UTCDateTime)
        ends = ends.replace(tzinfo=None)
    users = sa.table("users", sa.column("expires_at", _utc()))
    op.execute(users.update().where(users.c.expires_at.is_(None)).values(expires_at=ends))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("expires_at", existing_type=_utc(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_previous_token_hash"), type_="unique")
        batch.drop_column("previous_expires_at")
        batch.drop_column("previous_token_hash")
        batch.drop_column("expires_at")
