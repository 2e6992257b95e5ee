"""Users and tokens: add, list, revoke, authenticate.

Tokens are 256-bit random strings; only their SHA-256 is stored (a fast hash suffices for
secrets this long), so a copy of the database gives no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.auth.schemas import NAME_PATTERN, Caller, Role
from service.auth.tables import User
from service.db import utcnow
from service.errors import Conflict, InvalidField, NotFound

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, role: Role, *, by: Caller) -> str:
    """Create a user and return their new token (shown once, never stored); no commit."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidField(["name"], "must be 1-64 letters, digits, '.', '_', '@' or '-'.")
    if session.get(User, name) is not None:
        # Names stay unique forever: the audit trail refers to people by name.
        raise Conflict(f"User {name!r} already exists (revoked names are not reused).")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(User(name=name, role=role.value, token_hash=hash_token(token), created_at=utcnow()))
    audit.append(session, by, "user.added", "user", name, {"role": role.value})
    return token


def list_users(session: Session) -> list[User]:
    """Every user, active or revoked, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def leaders(session: Session) -> list[str]:
    """The names of the active team leaders (those a review may be assigned to)."""
    query = select(User.name).where(User.role == Role.TEAM_LEADER.value, User.revoked_at.is_(None))
    return list(session.scalars(query.order_by(User.name)))


def revoke_user(session: Session, name: str, *, by: Caller) -> User:
    """Revoke a user's token (idempotent; no commit); their past actions stay theirs."""
    user = session.get(User, name)
    if user is None:
        raise NotFound(f"No user {name!r}.")
    if user.revoked_at is None:
        user.revoked_at = utcnow()
        audit.append(session, by, "user.revoked", "user", name, {"role": user.role})
    return user


def authenticate(session: Session, token: str) -> User | None:
    """The active user holding this token, or None."""
    digest = hash_token(token)
    user = session.scalars(select(User).where(User.token_hash == digest)).first()
    if user is None or user.revoked_at is not None:
        return None
    return user if hmac.compare_digest(user.token_hash, digest) else None


def token_holder(connection: Connection, token: str) -> tuple[str, str] | None:
    """:func:`authenticate` as one prebuilt query: the holder's name and role, or None."""
    digest = hash_token(token)
    row = connection.execute(_HOLDER, {"digest": digest}).first()
    if row is None or row.revoked_at is not None:
        return None
    return (row.name, row.role) if hmac.compare_digest(row.token_hash, digest) else None


_HOLDER = select(User.name, User.role, User.token_hash, User.revoked_at).where(
    User.token_hash == bindparam("digest")
)


def active_user(session: Session, name: str) -> User | None:
    """The user of this name unless unknown or revoked."""
    user = session.get(User, name)
    return user if user is not None and user.revoked_at is None else None
