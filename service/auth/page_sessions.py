"""The pages' sessions, kept server-side: signing in starts one, signing out ends it.

The browser's cookie carries a random session id; only its SHA-256 is stored, so a copy of the
database opens no session, and ending the row ends every copy of the cookie. A session ends after
``TRIAGE_SESSION_HOURS`` without a request (its ``last_seen_at`` moves on with each one). Every
sign-in, refusal and sign-out is appended to the audit trail.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.audit import service as audit
from service.auth.tables import PageSessionRecord, User
from service.db import utcnow

SESSION_ID_BYTES = 32
# last_seen_at is written at most this often, so a page's burst of requests costs one write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Visitor:
    """Someone not (yet) signed in, as the audit trail records them."""

    name: str
    request_id: str | None = None


def id_hash(session_id: str) -> str:
    """The stored form of a session id: its SHA-256, hex."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(
    session: Session,
    user: User,
    *,
    method: str,
    request_id: str | None,
    id_token: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Start a page session for ``user`` (audited) and return its id for the cookie; no commit."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    started = utcnow()
    record = PageSessionRecord(
        id_hash=id_hash(session_id),
        user_name=user.name,
        method=method,
        id_token=id_token,
        created_at=started,
        last_seen_at=started,
    )
    session.add(record)
    by = Visitor(user.name, request_id)
    facts = {"method": method, "role": user.role, **(details or {})}
    audit.append(session, by, "user.signed_in", "user", user.name, facts)
    return session_id


def current(
    session: Session, session_id: str, *, hours: float, now: datetime | None = None
) -> tuple[User, PageSessionRecord] | None:
    """The active user of a live session (not ended, used within ``hours``), or None.

    A live session's ``last_seen_at`` moves on to ``now`` (no commit): the caller's unit of work
    writes it, so each request keeps the session alive for another ``hours``.
    """
    record = session.get(PageSessionRecord, id_hash(session_id))
    if record is None or record.ended_at is not None:
        return None
    at = now or utcnow()
    if at - record.last_seen_at > timedelta(hours=hours):
        return None
    user = session.get(User, record.user_name)
    if user is None or user.revoked_at is not None:
        return None
    if at - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = at
    return user, record


def end(session: Session, session_id: str, *, request_id: str | None) -> PageSessionRecord | None:
    """End a session (audited; idempotent) and return it, or None if there was none."""
    record = session.get(PageSessionRecord, id_hash(session_id))
    if record is None or record.ended_at is not None:
        return None
    record.ended_at = utcnow()
    by = Visitor(record.user_name, request_id)
    audit.append(
        session, by, "user.signed_out", "user", record.user_name, {"method": record.method}
    )
    return record


def refuse(
    session: Session, name: str | None, *, method: str, reason: str, request_id: str | None
) -> None:
    """Record a refused sign-in: who (if known), how, and why (never a token or claim set)."""
    who = name or "unknown"
    by = Visitor(who, request_id)
    audit.append(
        session, by, "user.sign_in_refused", "user", who, {"method": method, "reason": reason}
    )
