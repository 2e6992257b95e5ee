"""Routes: score one contact or a batch of contacts (stored with their assessments)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response

from service import blocking
from service.contacts import service
from service.contacts.grouped import ScoreRequest
from service.contacts.schemas import (
    CONTACT_EXAMPLE,
    CONTACT_ID_PATTERN,
    Assessment,
    BatchIn,
    BatchOut,
    ContactIn,
    RevisionAssessment,
)
from service.deps import DatabaseDep, ModelDep, NarrativeDep, ScoringDep, SettingsDep, Worker
from service.errors import InvalidField
from service.schemas import AUTHENTICATED, JSON_BODY, error_responses

router = APIRouter(prefix="/contacts", tags=["contacts"])

CONTACT_EXAMPLES = {
    "contact": {"summary": "A contact with two concerns", "value": CONTACT_EXAMPLE},
    "legacy": {
        "summary": "A legacy concern code (read as 18C, with a warning)",
        "value": {**CONTACT_EXAMPLE, "contact_id": "C-124", "concerns": ["18A"]},
    },
}


@router.post(
    "/score",
    response_model=Assessment,
    summary="Score one contact (stored; idempotent by contact_id)",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
async def score(
    request: Request,
    caller: Worker,
    scoring: ScoringDep,
    contact: Annotated[ContactIn, Body(openapi_examples=CONTACT_EXAMPLES)],
) -> Response:
    """Assess a contact with the champion and store both. The same contact again gives back the
    stored assessment; a different body under a stored contact_id is 409."""
    model, reader, db, settings = scoring.model, scoring.reader, scoring.db, scoring.settings
    [item] = service.prepare([contact], settings, by=caller)
    scored = ScoreRequest(item, caller, model, reader, db, settings)
    if service.runs_sentence_model([item], reader):
        # Tens of milliseconds: in the thread pool, before joining the group to be stored.
        [scored.assessed] = await blocking.compute(
            False, service.assess_contacts, model, [item], settings, narrative=reader
        )
    # Assessed (unless done above) and stored with the requests that arrive together: one model
    # call and one transaction for all of them (service.group_commit); answered once committed.
    answer = await request.app.state.score_group.submit(scored)
    # The JSON already made (for storage) as it is: what response_model would give, without
    # validating and serialising it again (tests/service/test_service_group_commit.py).
    return Response(answer, media_type="application/json")


@router.post(
    "/score/batch",
    response_model=BatchOut,
    summary="Score up to 1,000 contacts at once (all or nothing)",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 409, 503),
)
def score_batch(
    caller: Worker,
    model: ModelDep,
    reader: NarrativeDep,
    db: DatabaseDep,
    settings: SettingsDep,
    batch: BatchIn,
) -> dict[str, Any]:
    """Assess and store several contacts in one transaction; 409 names every conflicting id."""
    assessments = service.score_contacts(
        db, model, batch.contacts, by=caller, settings=settings, narrative=reader
    )
    return {"assessments": assessments}


@router.post(
    "/{contact_id}/revisions",
    response_model=RevisionAssessment,
    summary="A changed record of a stored contact, re-assessed; earlier revisions kept",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404, 409, 503),
)
async def revise(
    caller: Worker,
    scoring: ScoringDep,
    contact_id: Annotated[str, Path(pattern=CONTACT_ID_PATTERN, examples=["C-123"])],
    contact: Annotated[ContactIn, Body(openapi_examples=CONTACT_EXAMPLES)],
) -> dict[str, Any]:
    """Store the record as the contact's next revision with the champion's assessment of it;
    decisions follow the latest. The same record as the latest gives back its assessment; due
    dates still run from the first receipt."""
    if contact.contact_id != contact_id:
        raise InvalidField(["body", "contact_id"], f"must be the path's contact_id, {contact_id}")
    model, reader, db, settings = scoring.model, scoring.reader, scoring.db, scoring.settings
    [item] = service.prepare([contact], settings, by=caller)
    [assessed] = await blocking.compute(
        not service.runs_sentence_model([item], reader),  # light: no sentence model to run
        service.assess_contacts,
        model,
        [item],
        settings,
        narrative=reader,
    )
    return await blocking.run(db, service.save_revision, db, item, assessed, by=caller)
