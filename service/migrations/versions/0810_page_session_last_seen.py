"""Page sessions end after ``TRIAGE_SESSION_HOURS`` without a request: each keeps when it was
last used (``page_sessions.last_seen_at``). Existing sessions start from their sign-in time.

Revision ID: 0810
Revises: 0800
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0810"
down_revision = "0800"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE page_sessions SET last_seen_at = created_at"))
    with op.batch_alter_table("page_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("page_sessions") as batch:
        batch.drop_column("last_seen_at")
