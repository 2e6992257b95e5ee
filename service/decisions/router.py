"""Routes: a stored contact with its decisions, and recording a decision on it.

Under ``/contacts`` (the API's paths are the contract's) but owned by this domain: reading a
contact's decisions and recording one are decisions' work; the contact itself comes from
``contacts``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request

from service.auth.schemas import BreakGlassIn
from service.contacts.schemas import CONTACT_ID_PATTERN
from service.decisions import service
from service.decisions.grouped import DecisionRequest
from service.decisions.schemas import ContactOut, DecisionIn, DecisionRecorded
from service.deps import ClockDep, DatabaseDep, ReviewQueueDep, SessionDep, SettingsDep, Worker
from service.schemas import AUTHENTICATED, JSON_BODY, error_responses

router = APIRouter(prefix="/contacts", tags=["contacts"])

ContactIdPath = Annotated[str, Path(pattern=CONTACT_ID_PATTERN, examples=["C-123"])]
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


@router.get(
    "/{contact_id}",
    response_model=ContactOut,
    summary="A stored contact, its assessment and its decisions",
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
def get_contact(
    caller: Worker, session: SessionDep, reviews: ReviewQueueDep, contact_id: ContactIdPath
) -> dict[str, Any]:
    """The contact as stored, its assessment as given, and its decisions (newest last)."""
    return service.contact_with_decisions(session, contact_id, by=caller, reviews=reviews)


@router.post(
    "/{contact_id}/break-glass",
    response_model=ContactOut,
    summary="Read another team's contact for urgent work, giving a reason (audited)",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404),
)
def break_glass(
    caller: Worker,
    session: SessionDep,
    reviews: ReviewQueueDep,
    contact_id: ContactIdPath,
    body: BreakGlassIn,
) -> dict[str, Any]:
    """The contact as `GET /v1/contacts/{id}` gives it, whatever its team. The read and its
    reason are recorded, audited and listed in the monitoring report: use it only when the
    child's own team cannot act in time."""
    return service.contact_with_decisions(
        session, contact_id, by=caller, reviews=reviews, break_glass=body.reason
    )


@router.post(
    "/{contact_id}/decision",
    response_model=DecisionRecorded,
    summary="Record a front-door decision; flagged ones go to the review queue",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404),
)
async def decide(
    request: Request,
    caller: Worker,
    db: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    reviews: ReviewQueueDep,
    contact_id: ContactIdPath,
    decision: Annotated[DecisionIn, Body(openapi_examples=DECISION_EXAMPLES)],
) -> DecisionRecorded:
    """Record a decision (several over time; the latest is current) and flag it if the rule says
    so: an NFA despite substantive risk, an NFA on surface features only, or a high-risk contact
    sent back for more information or signposted. Recorded after its due day, it must give
    `late_reasons` (422 naming them if not; 422 too if given when in time); `review_by` must be
    from today to a year ahead."""
    taken = service.DecisionTaken(
        contact_id, decision, by=caller, settings=settings, reviews=reviews, now=clock.now()
    )
    # Recorded with the decisions that arrive together: one transaction for all of them
    # (service.group_commit); answered once committed.
    return await request.app.state.decision_group.submit(DecisionRequest(taken, db))
