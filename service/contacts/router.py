"""Routes: score one contact or a batch, read a stored contact; record a decision on it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from service import blocking
from service.contacts import service
from service.contacts.schemas import (
    CONTACT_EXAMPLE,
    CONTACT_ID_PATTERN,
    Assessment,
    BatchIn,
    BatchOut,
    ContactIn,
    ContactOut,
)
from service.decisions import service as decisions
from service.decisions.schemas import DecisionIn, DecisionRecorded
from service.deps import DatabaseDep, ModelDep, SessionDep, SettingsDep, Worker
from service.schemas import AUTHENTICATED, JSON_BODY, error_responses

router = APIRouter(prefix="/contacts", tags=["contacts"])

ContactIdPath = Annotated[str, Path(pattern=CONTACT_ID_PATTERN, examples=["C-123"])]
CONTACT_EXAMPLES = {
    "contact": {"summary": "A contact with two concerns", "value": CONTACT_EXAMPLE},
    "legacy": {
        "summary": "A legacy concern code (read as 18C, with a warning)",
        "value": {**CONTACT_EXAMPLE, "contact_id": "C-124", "concerns": ["18A"]},
    },
}
DECISION_EXAMPLES = {
    "nfa": {
        "summary": "No further action",
        "value": {"decision": "nfa", "reasons": ["no_concerns_identified"], "note": "..."},
    },
    "hold": {
        "summary": "More information, held open for review",
        "value": {
            "decision": "more_information",
            "reasons": ["insufficient_information"],
            "note": "Asked the school for attendance records.",
            "review_by": "2024-05-15",
        },
    },
}


@router.post(
    "/score",
    response_model=Assessment,
    summary="Score one contact (stored; idempotent by contact_id)",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
async def score(
    caller: Worker,
    model: ModelDep,
    db: DatabaseDep,
    settings: SettingsDep,
    contact: Annotated[ContactIn, Body(openapi_examples=CONTACT_EXAMPLES)],
) -> dict[str, Any]:
    """Assess a contact with the champion and store both. The same contact again gives back the
    stored assessment; a different body under a stored contact_id is 409."""
    [assessment] = await blocking.run(
        db, service.score_contacts, db, model, [contact], by=caller, settings=settings
    )
    return assessment


@router.post(
    "/score/batch",
    response_model=BatchOut,
    summary="Score up to 1,000 contacts at once (all or nothing)",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
def score_batch(
    caller: Worker, model: ModelDep, db: DatabaseDep, settings: SettingsDep, batch: BatchIn
) -> dict[str, Any]:
    """Assess and store several contacts in one transaction; 409 names every conflicting id."""
    assessments = service.score_contacts(db, model, batch.contacts, by=caller, settings=settings)
    return {"assessments": assessments}


@router.get(
    "/{contact_id}",
    response_model=ContactOut,
    summary="A stored contact, its assessment and its decisions",
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
def get_contact(caller: Worker, session: SessionDep, contact_id: ContactIdPath) -> dict[str, Any]:
    """The contact as stored, its assessment as given, and its decisions (newest last)."""
    return service.get_contact(session, contact_id, by=caller)


@router.post(
    "/{contact_id}/decision",
    response_model=DecisionRecorded,
    summary="Record a front-door decision; flagged ones go to the review queue",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404),
)
async def decide(
    caller: Worker,
    db: DatabaseDep,
    settings: SettingsDep,
    contact_id: ContactIdPath,
    decision: Annotated[DecisionIn, Body(openapi_examples=DECISION_EXAMPLES)],
) -> DecisionRecorded:
    """Record a decision (several over time; the latest is current) and flag it if the rule says
    so: an NFA despite substantive risk, an NFA on surface features only, or a high-risk contact
    sent back for more information or signposted."""
    return await blocking.run(
        db, decisions.decide, db, contact_id, decision, by=caller, settings=settings
    )
