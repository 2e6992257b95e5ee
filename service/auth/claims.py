"""From an ID token's claims to who someone is here: name, role and teams (pure).

The authority manages roles as groups at its identity provider; ``TRIAGE_OIDC_ROLE_MAP`` says
which group gives which role. Someone whose groups give no role is refused. A team leader is
often also in the duty workers' group, so those two together mean team leader; any other mix
of roles is refused rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.auth.schemas import NAME_PATTERN, Role

# Roles one person may hold together, and the one they mean.
IMPLIED = {frozenset({Role.DUTY_WORKER, Role.TEAM_LEADER}): Role.TEAM_LEADER}
TEAM_PATTERN = r"^[A-Za-z0-9._ -]{1,64}$"


@dataclass(frozen=True)
class Identity:
    """Who the claims say someone is, and what they may do here."""

    issuer: str
    subject: str
    name: str
    role: Role
    teams: tuple[str, ...]


class Refused(Exception):
    """The claims give no single role (or no usable name): why, in words for the person."""

    def __init__(self, reason: str, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.message, self.name = reason, message, name


def claim_values(claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
    """A claim's values as strings: a list, or one string (some providers send one group)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def role_of(groups: tuple[str, ...], role_map: Mapping[str, str]) -> Role:
    """The one role these groups give through ``role_map`` (else :class:`Refused`)."""
    roles = frozenset(Role(role_map[g]) for g in groups if g in role_map)
    if not roles:
        raise Refused("no_mapped_role", "None of your groups gives you a role in this service.")
    if len(roles) == 1:
        return next(iter(roles))
    if roles in IMPLIED:
        return IMPLIED[roles]
    named = ", ".join(sorted(r.value.replace("_", " ") for r in roles))
    raise Refused("several_roles", f"Your groups give you more than one role ({named}).")


def identity_from_claims(
    claims: Mapping[str, Any],
    *,
    role_claim: str,
    role_map: Mapping[str, str],
    team_claim: str | None,
    name_claim: str,
) -> Identity:
    """Map validated ID token claims to an :class:`Identity` (or raise :class:`Refused`)."""
    name = claims.get(name_claim)
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise Refused("no_name", f"Your account has no usable {name_claim!r} to name you by.")
    try:
        role = role_of(claim_values(claims, role_claim), role_map)
    except Refused as refused:
        raise Refused(refused.reason, refused.message, name) from None
    teams = claim_values(claims, team_claim) if team_claim else ()
    kept = tuple(sorted({t.strip() for t in teams if re.fullmatch(TEAM_PATTERN, t.strip())}))
    return Identity(str(claims["iss"]), str(claims["sub"]), name, role, kept)
