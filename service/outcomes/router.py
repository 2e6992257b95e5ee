"""Route: record a contact's outcome when it becomes known (data teams)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from service.auth.schemas import Caller, Role
from service.contacts.schemas import CONTACT_ID_PATTERN
from service.deps import SessionDep, require_roles
from service.outcomes import service
from service.outcomes.schemas import OutcomeIn, OutcomeOut
from service.schemas import AUTHENTICATED, JSON_BODY, error_responses

router = APIRouter(prefix="/contacts", tags=["outcomes"])
DataTeam = Annotated[Caller, Depends(require_roles(Role.DATA_TEAM))]
ContactIdPath = Annotated[str, Path(pattern=CONTACT_ID_PATTERN, examples=["C-123"])]


@router.post(
    "/{contact_id}/outcome",
    response_model=OutcomeOut,
    summary="Record whether the child was assessed as in need within 12 months",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404),
)
def record(
    contact_id: ContactIdPath, body: OutcomeIn, caller: DataTeam, session: SessionDep
) -> OutcomeOut:
    """Record (or correct) the outcome of a scored contact; it feeds monitoring and retraining."""
    return service.record_outcome(session, contact_id, body.outcome_need_12m, by=caller)
