"""The users table (one row per person or client; only a hash of each token is kept), the
pages' sessions, and the OpenID Connect sign-ins pending and done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
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


class PageSessionRecord(Base):
    """One signed-in browser: the cookie holds only a random id whose SHA-256 is the key, so
    signing out (ending the row) kills every copy of the cookie."""

    __tablename__ = "page_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # "token" or "oidc"
    # The provider's ID token, sent back as the hint when ending the provider's session.
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Moved on by each request: a session ends after TRIAGE_SESSION_HOURS without one.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OidcPending(Base):
    """A sign-in sent to the provider and not yet back: its ``state`` (hashed), the browser
    that started it, the nonce and PKCE verifier. Used once: the callback deletes it."""

    __tablename__ = "oidc_pending"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OidcIdentity(Base):
    """The provider's account (issuer, subject) behind a user, and the teams its last sign-in
    claimed (also copied into the user's teams, ``user_teams``, which scope what they see)."""

    __tablename__ = "oidc_identities"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), ForeignKey("users.name"), unique=True)
    teams: Mapped[list[str]] = mapped_column(JSON)
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
