"""Teams: each duty worker and team leader works in one or more teams (``user_teams``); a
break-glass read of another team's contact is kept with its reason (``break_glass_reads``).

Duty workers and team leaders now see only their teams' work. So that an upgraded deployment
keeps working, every existing duty worker and team leader is put in every team seen in the
store (each distinct ``contacts.team_id``): they see what they saw before. An admin then narrows
each person's teams with ``triage users teams NAME --team T`` (docs/deployment.md). Contacts with
no team are seen by the data team and admins only. Data team and admin users have no teams.

Revision ID: 0610
Revises: 0600
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0610"
down_revision = "0600"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_teams",
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name=op.f("fk_user_teams_user_name_users")
        ),
        sa.PrimaryKeyConstraint("user_name", "team_id", name=op.f("pk_user_teams")),
    )
    # Existing workers and leaders keep their scope: every team seen in the store.
    op.execute(
        sa.text(
            "INSERT INTO user_teams (user_name, team_id) "
            "SELECT users.name, teams.team_id FROM users "
            "CROSS JOIN (SELECT DISTINCT team_id FROM contacts WHERE team_id IS NOT NULL) teams "
            "WHERE users.role IN ('duty_worker', 'team_leader')"
        )
    )

    op.create_table(
        "break_glass_reads",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("read_by", sa.String(64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_break_glass_reads")),
    )
    op.create_index(
        op.f("ix_break_glass_reads_contact_id"), "break_glass_reads", ["contact_id"], unique=False
    )
    op.create_index(
        op.f("ix_break_glass_reads_read_at"), "break_glass_reads", ["read_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_break_glass_reads_read_at"), table_name="break_glass_reads")
    op.drop_index(op.f("ix_break_glass_reads_contact_id"), table_name="break_glass_reads")
    op.drop_table("break_glass_reads")
    op.drop_table("user_teams")
