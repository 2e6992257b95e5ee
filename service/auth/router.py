"""Route: who am I (any role)."""

from __future__ import annotations

from fastapi import APIRouter

from service.auth.schemas import MeOut
from service.deps import CurrentUser
from service.schemas import error_responses

router = APIRouter(tags=["users"])


@router.get(
    "/me",
    response_model=MeOut,
    summary="The token's user, role and teams",
    responses=error_responses(401),
)
def me(caller: CurrentUser) -> MeOut:
    """Check a token: the name, role and teams it belongs to."""
    return MeOut(name=caller.name, role=caller.role, teams=sorted(caller.teams))
