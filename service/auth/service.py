"""Users and tokens: add, list, rotate, revoke, authenticate.

Tokens are 256-bit random strings; only their SHA-256 is stored (a fast hash suffices for
secrets this long), so a copy of the database gives no usable token. Every token expires
(``expires_at``); rotating one may let the old token work on for an overlap so clients can
switch. "Now" is read through :func:`utcnow` here, so tests move time by replacing it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.auth.schemas import NAME_PATTERN, SCOPED_ROLES, Caller, Role
from service.auth.tables import User, UserTeam
from service.auth.teams import checked_teams, set_teams
from service.db import utcnow
from service.errors import Conflict, InvalidField, NotFound
from service.prebuilt import Prebuilt

TOKEN_BYTES = 32
DEFAULT_TOKEN_DAYS = 90


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(days: int, max_days: int) -> datetime:
    """When a token issued now for ``days`` days ends; 422 beyond ``max_days`` or below 1."""
    if not 1 <= days <= max_days:
        raise InvalidField(["expires_in_days"], f"must be 1 to {max_days} days.")
    return utcnow() + timedelta(days=days)


def add_user(
    session: Session,
    name: str,
    role: Role,
    *,
    by: Caller,
    days: int = DEFAULT_TOKEN_DAYS,
    max_days: int = DEFAULT_TOKEN_DAYS,
    teams: tuple[str, ...] | list[str] = (),
) -> str:
    """Create a user in ``teams`` and return their new token (shown once, never stored); no
    commit. Duty workers and team leaders need one team or more; other roles have none."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidField(["name"], "must be 1-64 letters, digits, '.', '_', '@' or '-'.")
    check_team_count(role, teams)
    if session.get(User, name) is not None:
        # Names stay unique forever: the audit trail refers to people by name.
        raise Conflict(f"User {name!r} already exists (revoked names are not reused).")
    expires_at = token_expiry(days, max_days)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user = User(name=name, role=role.value, token_hash=hash_token(token), created_at=utcnow())
    user.expires_at = expires_at
    session.add(user)
    audit.append(session, by, "user.added", "user", name, {"role": role.value, "days": days})
    if teams:
        session.flush()  # the user's row first: each team row refers to it
        set_teams(session, name, checked_teams(teams), by=by)
    return token


def check_team_count(role: Role, teams: tuple[str, ...] | list[str]) -> None:
    """422 on ``teams`` unless a scoped role has one or more and any other role none."""
    if role in SCOPED_ROLES and not teams:
        raise InvalidField(["teams"], f"a {role.value} needs one team or more (--team).")
    if role not in SCOPED_ROLES and teams:
        raise InvalidField(["teams"], f"a {role.value} sees every team and takes no --team.")


def change_teams(session: Session, name: str, teams: list[str], *, by: Caller) -> list[str]:
    """Replace an active duty worker's or team leader's teams (audited; no commit)."""
    user = active_user(session, name)
    if user is None:
        raise NotFound(f"No active user {name!r}.")
    check_team_count(Role(user.role), teams)
    return set_teams(session, name, teams, by=by)


def list_users(session: Session) -> list[User]:
    """Every user, active or revoked, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def leaders(session: Session, team: str | None = None) -> list[str]:
    """The names of the active team leaders (those a review may be assigned to), or those of
    ``team`` when given."""
    query = select(User.name).where(User.role == Role.TEAM_LEADER.value, User.revoked_at.is_(None))
    if team is not None:
        query = query.join(UserTeam, UserTeam.user_name == User.name).where(
            UserTeam.team_id == team
        )
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


def rotate_token(
    session: Session,
    name: str,
    *,
    by: Caller,
    days: int = DEFAULT_TOKEN_DAYS,
    max_days: int = DEFAULT_TOKEN_DAYS,
    overlap_hours: float = 0,
) -> str:
    """Give an active user a new token; the old works ``overlap_hours`` more; no commit."""
    if overlap_hours < 0:
        raise InvalidField(["overlap_hours"], "must be 0 or more hours.")
    user = active_user(session, name)
    if user is None:
        raise NotFound(f"No active user {name!r}.")
    expires_at = token_expiry(days, max_days)
    now = utcnow()
    keep_old = overlap_hours > 0 and user.expires_at > now
    user.previous_token_hash = user.token_hash if keep_old else None
    user.previous_expires_at = (
        min(user.expires_at, now + timedelta(hours=overlap_hours)) if keep_old else None
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user.token_hash, user.expires_at = hash_token(token), expires_at
    details = {"role": user.role, "days": days, "overlap_hours": overlap_hours}
    audit.append(session, by, "user.rotated", "user", name, details)
    return token


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token is: its active holder, expired, or nobody's."""

    holder: tuple[str, str] | None = None
    expired: bool = False
    teams: frozenset[str] = frozenset()


def check_token(connection: Connection, token: str) -> TokenCheck:
    """Whose token this is (name and role) if active and unexpired, else why not."""
    digest = hash_token(token)
    return judge_token(_HOLDER.all(connection, {"digest": digest}), digest)


def judge_token(rows: list[tuple[Any, ...]], digest: str) -> TokenCheck:
    """What the token of SHA-256 ``digest`` is, from the rows of :data:`_HOLDER`'s columns
    whose current or previous hash is ``digest`` (one per team of the holder).

    Pure: :func:`check_token` and a group of lookups (``service.auth.lookups``) judge alike."""
    if not rows:
        return TokenCheck()
    name, role, token_hash, revoked_at, expires_at, previous_hash, previous_expires_at, _ = rows[0]
    if revoked_at is not None:
        return TokenCheck()
    current = hmac.compare_digest(token_hash, digest)
    if not current and not hmac.compare_digest(previous_hash or "", digest):
        return TokenCheck()
    ends = expires_at if current else previous_expires_at
    if ends is None or ends <= utcnow():
        return TokenCheck(expired=True)
    teams = frozenset(row[-1] for row in rows if row[0] == name and row[-1] is not None)
    return TokenCheck(holder=(name, role), teams=teams)


def authenticate(session: Session, token: str) -> User | None:
    """The active user holding this unexpired token, or None."""
    holder = check_token(session.connection(), token).holder
    return session.get(User, holder[0]) if holder is not None else None


def token_holder(connection: Connection, token: str) -> tuple[str, str] | None:
    """:func:`authenticate` as one prebuilt query: the holder's name and role, or None."""
    return check_token(connection, token).holder


# What a token's rows hold: the holder, their hashes and expiries, and one of their teams.
HOLDER_COLUMNS = (
    User.name,
    User.role,
    User.token_hash,
    User.revoked_at,
    User.expires_at,
    User.previous_token_hash,
    User.previous_expires_at,
    UserTeam.team_id,
)

# The holder and their teams (one row per team) in one statement, run on the driver
# (service.prebuilt): every authenticated request runs it.
_HOLDER = Prebuilt(
    select(*HOLDER_COLUMNS)
    .outerjoin(UserTeam, UserTeam.user_name == User.name)
    .where(
        or_(
            User.token_hash == bindparam("digest"),
            User.previous_token_hash == bindparam("digest"),
        )
    )
)


def active_user(session: Session, name: str) -> User | None:
    """The user of this name unless unknown or revoked."""
    user = session.get(User, name)
    return user if user is not None and user.revoked_at is None else None
