"""The review queue: open, list with filters and keyset pages, claim, assign, resolve.

This domain owns the reviews tables. It reads the decisions and assessments it shows, and
records an overturned decision through one function of ``decisions``
(:func:`service.decisions.service.record_overturn`). ``decisions`` never imports this package: it
asks the queue through :data:`QUEUE`, which the app hands it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, exists, select
from sqlalchemy.orm import Session

from config.settings import Settings
from data.codes import age_band
from service.audit import service as audit
from service.audit.chain import fingerprint
from service.auth.schemas import Caller, Role
from service.auth.service import active_user
from service.auth.teams import in_team, sees, team_filter
from service.contacts.tables import StoredAssessment
from service.db import utcnow
from service.decisions.schemas import DecisionIn
from service.decisions.service import ReviewQueue, record_overturn
from service.decisions.tables import DecisionRecord
from service.errors import Conflict, InvalidField, NotFound, SeparationOfDuties
from service.reviews.schemas import ResolveIn, ReviewItem, ReviewPage
from service.reviews.tables import Review, ReviewFlag


@dataclass(frozen=True)
class ReviewFilters:
    """Which reviews to list."""

    status: str = "open"
    team: str | None = None
    flag: str | None = None
    age_band: str | None = None
    assigned_to: str | None = None


def list_reviews(
    session: Session, filters: ReviewFilters, *, by: Caller, limit: int, cursor: str | None
) -> ReviewPage:
    """One page of the queue of ``by``'s teams, oldest first."""
    query = filtered(items_query(), filters).where(team_filter(by, Review.team_id))
    query = query.order_by(Review.seq).limit(limit + 1)
    if cursor is not None:
        query = query.where(Review.seq > parse_cursor(cursor))
    rows = session.execute(query).all()
    # For mypy: each row is (Review, DecisionRecord, StoredAssessment)
    items = [to_item(*row, viewer=by) for row in rows[:limit]]  # type: ignore[arg-type]
    more = len(rows) > limit
    return ReviewPage(items=items, next=str(rows[limit - 1][0].seq) if more else None)


def items_query() -> Select[Any]:
    """Reviews with the decision they review and the assessment it followed."""
    return (
        # For mypy: SQLAlchemy's typed Select is invariant in its columns
        select(Review, DecisionRecord, StoredAssessment)  # type: ignore[return-value]
        .join(DecisionRecord, DecisionRecord.id == Review.decision_id)
        .join(StoredAssessment, StoredAssessment.contact_id == Review.contact_id)
    )


def filtered(query: Select[Any], filters: ReviewFilters) -> Select[Any]:
    """The query narrowed by each filter given."""
    query = query.where(Review.status == filters.status)
    if filters.team is not None:
        query = query.where(Review.team_id == filters.team)
    if filters.age_band is not None:
        query = query.where(Review.age_band == filters.age_band)
    if filters.assigned_to is not None:
        query = query.where(Review.assigned_to == filters.assigned_to)
    if filters.flag is not None:
        flagged = exists().where(
            ReviewFlag.review_seq == Review.seq, ReviewFlag.code == filters.flag
        )
        query = query.where(flagged)
    return query


def parse_cursor(cursor: str) -> int:
    """The position a page's ``next`` cursor names."""
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidField(["query", "cursor"], "is not a cursor this API gave")
    return int(cursor)


def get_review(session: Session, review_id: str, *, by: Caller) -> ReviewItem:
    """One review of ``by``'s teams, or NotFound."""
    row = session.execute(items_query().where(Review.id == review_id)).first()
    if row is None or not sees(by, row[0].team_id):
        raise NotFound(f"No review {review_id}.")
    # For mypy: each row is (Review, DecisionRecord, StoredAssessment)
    return to_item(*row, viewer=by)  # type: ignore[arg-type]


def claim(session: Session, review_id: str, *, by: Caller) -> ReviewItem:
    """Take a review for yourself (409 if someone else has it, or you made the decision)."""
    review = locked_open(session, review_id, by=by)
    check_separation(session, review, by.name)
    if review.assigned_to not in (None, by.name):
        raise Conflict(f"Review {review_id} is already claimed by {review.assigned_to}.")
    if review.assigned_to is None:
        review.assigned_to, review.claimed_at = by.name, utcnow()
        audit.append(session, by, "review.claimed", "review", review_id)
    return get_review(session, review_id, by=by)  # flushes the change first


def assign(session: Session, review_id: str, assignee: str, *, by: Caller) -> ReviewItem:
    """Give a review to an active team leader of its team who did not make the decision
    (reassigning it if needed); no commit."""
    review = locked_open(session, review_id, by=by)
    user = active_user(session, assignee)
    if (
        user is None
        or user.role != Role.TEAM_LEADER
        or not in_team(session, assignee, review.team_id)
    ):
        msg = f"must name an active team leader of team {review.team_id}"
        raise InvalidField(["body", "assignee"], msg, "invalid_assignee")
    check_separation(session, review, assignee)
    details = {"assignee": assignee, "previous": review.assigned_to}
    review.assigned_to, review.claimed_at = assignee, utcnow()
    audit.append(session, by, "review.assigned", "review", review_id, details)
    return get_review(session, review_id, by=by)  # flushes the change first


def resolve(
    session: Session,
    review_id: str,
    body: ResolveIn,
    *,
    by: Caller,
    settings: Settings,
    now: datetime,
) -> ReviewItem:
    """Uphold or overturn; an overturn records the leader's decision (no commit)."""
    review = locked_open(session, review_id, by=by)
    check_separation(session, review, by.name)
    if review.assigned_to not in (None, by.name):
        raise Conflict(
            f"Review {review_id} is assigned to {review.assigned_to}; reassign it first."
        )
    if body.outcome == "overturned":
        review.new_decision_id = overturn(session, review, body, by=by, settings=settings, now=now)
    review.status, review.outcome, review.note = "resolved", body.outcome, body.note
    review.resolved_by, review.resolved_at = by.name, now.astimezone(UTC)
    review.assigned_to = review.assigned_to or by.name
    details = {
        "outcome": body.outcome,
        "note": fingerprint(body.note),
        "new_decision_id": review.new_decision_id,
    }
    audit.append(session, by, "review.resolved", "review", review_id, details)
    return get_review(session, review_id, by=by)  # flushes the change first


def overturn(
    session: Session,
    review: Review,
    body: ResolveIn,
    *,
    by: Caller,
    settings: Settings,
    now: datetime,
) -> str:
    """Record the leader's decision in their name (flagged, but never queued again)."""
    assert body.decision is not None  # ResolveIn requires it for an overturn
    decision = DecisionIn(
        decision=body.decision, reasons=body.reasons, note=body.note, review_by=body.review_by
    )
    return record_overturn(session, review.contact_id, decision, by=by, settings=settings, now=now)


def open_review(
    connection: Connection,
    decision: dict[str, Any],
    *,
    team_id: str | None,
    child_age_years: int,
) -> str:
    """Put a flagged decision (its table row) in the queue, no commit; the review's id."""
    review = {
        "id": str(uuid.uuid4()),
        "decision_id": decision["id"],
        "contact_id": decision["contact_id"],
        "team_id": team_id,
        "age_band": age_band(child_age_years),
        "flags": decision["flags"],
        "status": "open",
        "created_at": decision["decided_at"],
    }
    # Plain statements, not ORM objects: this runs on every flagged decision.
    # For mypy: an INSERT's inserted_primary_key is set once executed
    [seq] = connection.execute(_INSERT_REVIEW, review).inserted_primary_key  # type: ignore[misc]
    codes = [{"review_seq": seq, "code": f["code"]} for f in decision["flags"]]
    connection.execute(_INSERT_REVIEW_FLAGS, codes)
    return review["id"]


# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_REVIEW = Review.__table__.insert()  # type: ignore[attr-defined]
# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_REVIEW_FLAGS = ReviewFlag.__table__.insert()  # type: ignore[attr-defined]


def review_ids(session: Session, decision_ids: list[str]) -> dict[str, str]:
    """The review of each of these decisions that has one: decision id -> review id."""
    rows = session.execute(
        select(Review.decision_id, Review.id).where(Review.decision_id.in_(decision_ids))
    )
    return {decision_id: review_id for decision_id, review_id in rows}


QUEUE = ReviewQueue(open=open_review, ids_of=review_ids)


def locked_open(session: Session, review_id: str, *, by: Caller) -> Review:
    """The review, locked for update; NotFound (or not ``by``'s teams'), Conflict once resolved."""
    review = session.scalars(select(Review).where(Review.id == review_id).with_for_update()).first()
    if review is None or not sees(by, review.team_id):
        raise NotFound(f"No review {review_id}.")
    if review.status != "open":
        raise Conflict(f"Review {review_id} is already resolved ({review.outcome}).")
    return review


SEPARATION_OF_DUTIES = "separation of duties: whoever made a decision may not review it"


def check_separation(session: Session, review: Review, leader: str) -> None:
    """SeparationOfDuties if ``leader`` made the decision under review."""
    decided_by = session.scalar(
        select(DecisionRecord.decided_by).where(DecisionRecord.id == review.decision_id)
    )
    if decided_by == leader:
        raise SeparationOfDuties(
            f"Review {review.id}: {SEPARATION_OF_DUTIES}; {leader} made it, so another team "
            "leader must claim, be assigned and resolve it."
        )


def to_item(
    review: Review, decision: DecisionRecord, assessment: StoredAssessment, *, viewer: Caller
) -> ReviewItem:
    """The API shape of a review as ``viewer`` sees it."""
    return ReviewItem(
        review_id=review.id,
        contact_id=review.contact_id,
        decision_id=decision.id,
        decision=decision.decision,
        reasons=decision.reasons,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        flags=review.flags,
        risk={
            "probability": assessment.probability,
            "band": assessment.band,
            "bands": assessment.bands,
            "substantive_band": assessment.substantive_band,
            "surface_share": assessment.surface_share,
            "surface_flagged": assessment.surface_flagged,
        },
        status=review.status,
        team_id=review.team_id,
        age_band=review.age_band,
        created_at=review.created_at,
        assigned_to=review.assigned_to,
        claimed_at=review.claimed_at,
        outcome=review.outcome,
        note=review.note,
        resolved_by=review.resolved_by,
        resolved_at=review.resolved_at,
        new_decision_id=review.new_decision_id,
        needs_another_leader=review.status == "open" and decision.decided_by == viewer.name,
    )
