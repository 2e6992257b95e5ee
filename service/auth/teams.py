"""Teams: who sees which contacts. The one place team scoping is decided.

Duty workers and team leaders work in one or more teams (``user_teams``) and read and act only
on their teams' contacts and everything hanging from them (decisions, reviews, completions,
revisions, inbox items). Outside them the answer is "not found", never "forbidden", so a
contact's existence in another team is not confirmed. The data team and admins are not scoped
(they see no free text through their routes). A break-glass read lets a worker read one
contact of another team for urgent work, with a reason, audited.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, delete, select, true
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.audit.chain import fingerprint
from service.auth.schemas import SCOPED_ROLES, TEAM_PATTERN, Caller
from service.auth.tables import BreakGlassRead, User, UserTeam
from service.db import utcnow
from service.errors import InvalidField, NotFound


def scope(caller: Caller) -> frozenset[str] | None:
    """The teams whose work ``caller`` may see; None when not scoped (data team, admin)."""
    return caller.teams if caller.role in SCOPED_ROLES else None


def sees(caller: Caller, team_id: str | None) -> bool:
    """Whether ``caller`` may see work of ``team_id`` (a contact with no team: unscoped only)."""
    teams = scope(caller)
    return teams is None or (team_id is not None and team_id in teams)


def require_team(caller: Caller, team_id: str | None, missing: str) -> None:
    """NotFound with the ``missing`` message unless ``caller`` sees ``team_id``'s work."""
    if not sees(caller, team_id):
        raise NotFound(missing)


def require_team_given(caller: Caller, team_id: str | None, loc: list[str | int]) -> None:
    """422 at ``loc`` when a scoped caller stores a contact with no team (none could see it)."""
    teams = scope(caller)
    if teams is not None and team_id is None:
        yours = ", ".join(sorted(teams)) or "none"
        raise InvalidField(loc, f"is required: the team whose work this is (yours: {yours}).")


def team_filter(caller: Caller, column: Any) -> Any:
    """A WHERE clause keeping the rows of ``caller``'s teams (all rows when not scoped)."""
    teams = scope(caller)
    return true() if teams is None else column.in_(sorted(teams))


def user_teams(connection: Connection | Session, name: str) -> frozenset[str]:
    """The teams ``name`` works in."""
    rows = connection.execute(select(UserTeam.team_id).where(UserTeam.user_name == name))
    return frozenset(row[0] for row in rows)


def in_team(session: Session, name: str, team_id: str | None) -> bool:
    """Whether ``name`` works in ``team_id``."""
    return team_id is not None and team_id in user_teams(session, name)


def checked_teams(teams: list[str] | tuple[str, ...]) -> list[str]:
    """The team ids, each valid and once, in order; 422 on ``teams`` otherwise."""

    unique = list(dict.fromkeys(teams))
    if any(not re.fullmatch(TEAM_PATTERN, team) for team in unique):
        raise InvalidField(["teams"], "each team must be 1-64 characters, without NUL.")
    return unique


def set_teams(session: Session, name: str, teams: list[str], *, by: audit.Caller) -> list[str]:
    """Replace the teams of user ``name`` (audited; no commit); the teams, in order."""
    if session.get(User, name) is None:
        raise NotFound(f"No user {name!r}.")
    unique = checked_teams(teams)
    session.execute(delete(UserTeam).where(UserTeam.user_name == name))
    session.add_all(UserTeam(user_name=name, team_id=team) for team in unique)
    audit.append(session, by, "user.teams", "user", name, {"teams": unique})
    return unique


def record_break_glass(
    session: Session, by: Caller, contact_id: str, team_id: str | None, reason: str
) -> None:
    """Record (and audit) ``by``'s break-glass read of a contact, whatever its team; no commit.

    The reason is kept in ``break_glass_reads``; the audit entry holds its fingerprint only.
    """
    session.add(
        BreakGlassRead(
            contact_id=contact_id,
            team_id=team_id,
            read_by=by.name,
            read_at=utcnow(),
            reason=reason,
        )
    )
    details = {"team_id": team_id, "own_team": sees(by, team_id), "reason": fingerprint(reason)}
    audit.append(session, by, "contact.break_glass", "contact", contact_id, details)


def break_glass_reads(session: Session) -> list[dict[str, Any]]:
    """Every break-glass read, oldest first: when, who, which contact and team (no reason)."""
    rows = session.execute(
        select(
            BreakGlassRead.read_at,
            BreakGlassRead.read_by,
            BreakGlassRead.contact_id,
            BreakGlassRead.team_id,
        ).order_by(BreakGlassRead.seq)
    )
    return [
        {"read_at": at, "read_by": who, "contact_id": contact_id, "team_id": team}
        for at, who, contact_id, team in rows
    ]
