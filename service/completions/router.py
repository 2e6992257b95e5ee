"""Route: close a contact's social-work assessment with its outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.completions import service
from service.completions.schemas import CompletionIn, CompletionOut
from service.contacts.schemas import CONTACT_ID_PATTERN
from service.deps import ClockDep, SessionDep, SettingsDep, Worker
from service.schemas import AUTHENTICATED, JSON_BODY, error_responses

router = APIRouter(prefix="/contacts", tags=["contacts"])

ContactIdPath = Annotated[str, Path(pattern=CONTACT_ID_PATTERN, examples=["C-123"])]


@router.post(
    "/{contact_id}/assessment",
    response_model=CompletionOut,
    summary="Complete the contact's assessment with its outcome",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404, 409),
)
def complete(
    caller: Worker,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    contact_id: ContactIdPath,
    body: CompletionIn,
) -> CompletionOut:
    """Close the assessment opened by an `assessment` or `strategy_discussion` decision (409
    otherwise, or when already completed). Recorded after its due day it must give
    `late_reasons`. A need outcome records `outcome_need_12m = true` unless one is stored."""
    return service.complete_assessment(
        session, contact_id, body, by=caller, settings=settings, now=clock.now()
    )
