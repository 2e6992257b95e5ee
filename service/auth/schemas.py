"""Roles, the authenticated caller, and the shape of ``/v1/me`` at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"
TEAM_PATTERN = r"^[^\x00]{1,64}$"  # as a contact's team_id: 1-64 characters, no NUL


class Role(StrEnum):
    """What a user may do (the contract's roles)."""

    DUTY_WORKER = "duty_worker"
    TEAM_LEADER = "team_leader"
    DATA_TEAM = "data_team"
    ADMIN = "admin"


# Roles that read and act only on their own teams' work (service.auth.teams).
SCOPED_ROLES = frozenset({Role.DUTY_WORKER, Role.TEAM_LEADER})


@dataclass(frozen=True)
class Caller:
    """The user behind a request, their teams, and the request's id (for the audit trail)."""

    name: str
    role: Role
    request_id: str | None = None
    # Scoped roles see these teams' work only: none given means none seen (service.auth.teams).
    teams: frozenset[str] = field(default_factory=frozenset)


class MeOut(BaseModel):
    """Who the token belongs to, and the teams whose work they see (empty when not scoped)."""

    name: str
    role: Role
    teams: list[str] = []


class BreakGlassIn(BaseModel):
    """Why another team's contact must be read now (kept for review, never logged)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Police call out of hours; the child's team is closed."}]
        },
    )

    reason: str = Field(
        min_length=10,
        max_length=2_000,
        pattern=r"^[^\x00]*$",
        description="Why this urgent cross-team read is needed: 10 to 2,000 characters.",
    )
