"""Roles, the authenticated caller, and the shape of ``/v1/me`` at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"


class Role(StrEnum):
    """What a user may do (the contract's roles)."""

    DUTY_WORKER = "duty_worker"
    TEAM_LEADER = "team_leader"
    DATA_TEAM = "data_team"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """The user behind a request, and the request's id (for the audit trail)."""

    name: str
    role: Role
    request_id: str | None = None


class MeOut(BaseModel):
    """Who the token belongs to."""

    name: str
    role: Role
