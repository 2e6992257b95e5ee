"""The users table: one row per person or client; only a hash of each token is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class User(Base):
    """Someone who may call the API, with one role and one token."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Every token expires (SECURITY.md); a rotated-out token may keep working until its own end.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserTeam(Base):
    """A team a user works in: duty workers and team leaders see only their teams' work."""

    __tablename__ = "user_teams"

    user_name: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class BreakGlassRead(Base):
    """A duty worker's or team leader's read of another team's contact, with their reason.

    The reason is free text, kept here for the authority's review; the audit entry holds only
    its fingerprint, and the monitoring report lists the reads without it.
    """

    __tablename__ = "break_glass_reads"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(64), index=True)
    team_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    read_by: Mapped[str] = mapped_column(String(64))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
