"""OpenID Connect sign-ins in the store: the pending ones (state, nonce, PKCE verifier, used
once) and the users they create or update.

A user is pinned to the provider's account (issuer and subject) on their first sign-in: a user
added with ``triage users add`` under the same name is linked then; a second account claiming a
name already linked is refused. Each sign-in sets the role from the groups again (the authority
manages roles at its provider) and records the teams claimed, through :func:`record_teams`: where
the service reads a team claim, those become the user's teams (``user_teams``), which scope what
a duty worker or team leader sees, as ``triage users teams`` does for token users.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.auth.claims import Identity, Refused
from service.auth.page_sessions import Visitor
from service.auth.schemas import SCOPED_ROLES, Role
from service.auth.service import hash_token
from service.auth.tables import OidcIdentity, OidcPending, User
from service.auth.teams import set_teams, user_teams
from service.db import utcnow

PENDING_MINUTES = 10  # how long a sign-in may take at the provider


@dataclass(frozen=True)
class Started:
    """What a sign-in sends to the provider and keeps: state, nonce and PKCE verifier."""

    state: str
    nonce: str
    code_verifier: str


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def begin(session: Session, *, browser: str, next_path: str) -> Started:
    """Keep a new pending sign-in bound to this browser (and drop stale ones); no commit."""
    now = utcnow()
    session.execute(
        delete(OidcPending).where(OidcPending.created_at < now - timedelta(minutes=PENDING_MINUTES))
    )
    # PKCE verifiers are 43-128 characters (RFC 7636); 48 random bytes give 64.
    started = Started(
        secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    )
    session.add(
        OidcPending(
            state_hash=_sha256(started.state),
            browser_hash=_sha256(browser),
            nonce=started.nonce,
            code_verifier=started.code_verifier,
            next_path=next_path[:512],
            created_at=now,
        )
    )
    return started


def take(session: Session, *, state: str, browser: str) -> OidcPending | None:
    """The pending sign-in of this state, removed so it cannot be used again; None if there is
    none, it is stale, or another browser started it (a forged or replayed callback)."""
    pending = session.get(OidcPending, _sha256(state)) if state else None
    if pending is None:
        return None
    session.delete(pending)
    stale = utcnow() - pending.created_at > timedelta(minutes=PENDING_MINUTES)
    if stale or not secrets.compare_digest(pending.browser_hash, _sha256(browser)):
        return None
    return pending


def provision(
    session: Session, identity: Identity, *, request_id: str | None, sync_teams: bool = True
) -> User:
    """Create or update the user behind ``identity`` (audited) or raise Refused; no commit.

    With ``sync_teams`` (a team claim is configured) the claimed teams become the user's teams.
    """
    by = Visitor(f"oidc:{identity.name}"[:64], request_id)
    linked = session.get(OidcIdentity, (identity.issuer, identity.subject))
    if linked is not None and linked.user_name != identity.name:
        # The provider renamed the account: keep the name the audit trail already uses.
        identity = Identity(
            identity.issuer, identity.subject, linked.user_name, identity.role, identity.teams
        )
    user = session.get(User, identity.name)
    if linked is None and _linked_to(session, identity.name) is not None:
        raise Refused(
            "name_taken",
            f"The name {identity.name!r} belongs to another account.",
            identity.name,
        )
    if user is not None and user.revoked_at is not None:
        raise Refused("revoked", "Your access to this service has been revoked.", identity.name)
    if user is None:
        # No API token for people who sign in at the provider: the stored hash opens nothing.
        user = User(
            name=identity.name,
            role=identity.role.value,
            token_hash=hash_token(secrets.token_urlsafe(32)),
            created_at=utcnow(),
            expires_at=utcnow(),  # and it has expired already
        )
        session.add(user)
        audit.append(
            session, by, "user.added", "user", identity.name, {"role": user.role, "via": "oidc"}
        )
    elif user.role != identity.role.value:
        before, user.role = user.role, identity.role.value
        audit.append(
            session, by, "user.role_changed", "user", user.name, {"from": before, "to": user.role}
        )
    if linked is None:
        linked = OidcIdentity(
            issuer=identity.issuer,
            subject=identity.subject,
            user_name=user.name,
            teams=[],
            signed_in_at=utcnow(),
        )
        session.add(linked)
    linked.signed_in_at = utcnow()
    session.flush()
    record_teams(session, user.name, identity.teams, by=by, sync=sync_teams)
    return user


def record_teams(
    session: Session, name: str, teams: tuple[str, ...], *, by: Visitor, sync: bool = True
) -> None:
    """Keep the teams the provider claims for ``name`` and, with ``sync``, make them the user's
    teams (a duty worker's or team leader's; other roles have none), audited when they change."""
    linked = _linked_to(session, name)
    assert linked is not None, "record_teams follows provision"
    linked.teams = list(teams)
    user = session.get(User, name)
    if not sync or user is None:
        return
    scoped = list(teams) if Role(user.role) in SCOPED_ROLES else []
    if set(scoped) != user_teams(session, name):
        set_teams(session, name, scoped, by=by)


def claimed_teams(session: Session, name: str) -> list[str]:
    """The teams the provider claimed for ``name`` at their last sign-in ([] if none)."""
    linked = _linked_to(session, name)
    return list(linked.teams) if linked else []


def _linked_to(session: Session, name: str) -> OidcIdentity | None:
    return session.scalars(select(OidcIdentity).where(OidcIdentity.user_name == name)).first()
