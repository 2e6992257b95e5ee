"""Routes of the review queue (team leaders only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service.decisions.flags import FlagCode
from service.deps import ClockDep, Leader, ReadSessionDep, SessionDep, SettingsDep
from service.reviews import service
from service.reviews.schemas import (
    AgeBand,
    AssignIn,
    ResolveIn,
    ReviewItem,
    ReviewPage,
    ReviewStatus,
)
from service.schemas import AUTHENTICATED, JSON_BODY, NO_NUL, error_responses

router = APIRouter(prefix="/reviews", tags=["reviews"])
ReviewIdPath = Annotated[str, Path(pattern=NO_NUL)]


@router.get(
    "",
    response_model=ReviewPage,
    summary="The review queue, oldest first, filtered and paginated",
    responses=error_responses(*AUTHENTICATED, 422),
)
def list_reviews(
    caller: Leader,
    session: ReadSessionDep,
    status: ReviewStatus = "open",
    team: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    flag: FlagCode | None = None,
    age_band: AgeBand | None = None,  # type: ignore[valid-type]
    assigned_to: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="`next` from the previous page.")] = None,
) -> ReviewPage:
    """Flagged decisions waiting for review (or resolved ones), with their risk and flags."""
    filters = service.ReviewFilters(
        status=status, team=team, flag=flag, age_band=age_band, assigned_to=assigned_to
    )
    return service.list_reviews(session, filters, by=caller, limit=limit, cursor=cursor)


@router.get(
    "/{review_id}",
    response_model=ReviewItem,
    summary="One review",
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
def get_review(caller: Leader, session: ReadSessionDep, review_id: ReviewIdPath) -> ReviewItem:
    """A review and the decision it is about."""
    return service.get_review(session, review_id, by=caller)


@router.post(
    "/{review_id}/claim",
    response_model=ReviewItem,
    summary="Claim a review for yourself",
    responses=error_responses(*AUTHENTICATED, 404, 409, 422),
)
def claim(caller: Leader, session: SessionDep, review_id: ReviewIdPath) -> ReviewItem:
    """Take the review so nobody duplicates the work; 409 if another leader has it, or
    `separation_of_duties` if you made the decision."""
    return service.claim(session, review_id, by=caller)


@router.post(
    "/{review_id}/assign",
    response_model=ReviewItem,
    summary="Assign a review to a team leader",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404, 409),
)
def assign(
    caller: Leader, session: SessionDep, review_id: ReviewIdPath, body: AssignIn
) -> ReviewItem:
    """Give the review to an active team leader of its team (422 otherwise); 409 once resolved,
    or `separation_of_duties` if the assignee made the decision."""
    return service.assign(session, review_id, body.assignee, by=caller)


@router.post(
    "/{review_id}",
    response_model=ReviewItem,
    summary="Resolve a review: upheld or overturned",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404, 409),
)
def resolve(
    caller: Leader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    review_id: ReviewIdPath,
    body: ResolveIn,
) -> ReviewItem:
    """Uphold the decision, or overturn it with a new decision in your name. A resolved review
    leaves the queue; resolving it again is 409, and so is resolving the review of your own
    decision (`separation_of_duties`)."""
    return service.resolve(session, review_id, body, by=caller, settings=settings, now=clock.now())
