"""Record decisions, flag them with the one rule, and open reviews for flagged ones."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from config.settings import Settings
from data.codes import age_band
from service.audit import service as audit
from service.audit.chain import fingerprint
from service.auth.schemas import Caller
from service.contacts.tables import Contact, StoredAssessment
from service.db import Database, utcnow
from service.decisions.flags import AssessmentFacts, Flag, FlagThresholds, decide_flags
from service.decisions.schemas import DecisionIn, DecisionOut, DecisionRecorded, FlagOut
from service.decisions.tables import DecisionRecord
from service.errors import NotFound
from service.reviews.tables import Review, ReviewFlag

Source = Literal["worker", "review_overturn"]


def thresholds(settings: Settings) -> FlagThresholds:
    """The flag rule's thresholds from the settings."""
    return FlagThresholds(high_risk_band=settings.flag_high_risk_band)


def decide(
    db: Database, contact_id: str, body: DecisionIn, *, by: Caller, settings: Settings
) -> DecisionRecorded:
    """:func:`decide_in` a new write session of ``db`` (one transaction)."""
    with db.write() as session:
        return decide_in(session, contact_id, body, by=by, settings=settings)


def decide_in(
    session: Session, contact_id: str, body: DecisionIn, *, by: Caller, settings: Settings
) -> DecisionRecorded:
    """Record a worker's decision; a flagged one opens a review. Commits."""
    record, review_id = record_decision(
        session, contact_id, body, by=by, rule=thresholds(settings), source="worker"
    )
    session.commit()
    return DecisionRecorded(
        decision_id=record["id"],
        contact_id=contact_id,
        decision=record["decision"],
        decided_at=record["decided_at"],
        flagged_for_review=bool(record["flags"]),
        flags=[FlagOut(**f) for f in record["flags"]],
        review_id=review_id,
    )


def record_decision(
    session: Session,
    contact_id: str,
    body: DecisionIn,
    *,
    by: Caller,
    rule: FlagThresholds,
    source: Source,
) -> tuple[dict[str, Any], str | None]:
    """Store a decision with its flags (no commit); open a review if a worker's is flagged.

    Returns the decision's row and the id of the review it opened, if any. Plain statements on
    the session's connection, not ORM objects: this runs on every decision.
    """
    connection = session.connection()
    row = connection.execute(_FACTS, {"contact_id": contact_id}).first()
    if row is None:
        raise NotFound(f"No contact {contact_id}.")
    facts = AssessmentFacts(
        bands=row.bands,
        substantive_band=row.substantive_band,
        surface_share=row.surface_share,
        surface_flagged=row.surface_flagged,
    )
    flags = decide_flags(body.decision, body.reasons, facts, rule)
    record = new_record(contact_id, body, flags, by=by, source=source)
    connection.execute(_INSERT_DECISION, record)
    review_id = None
    if flags and source == "worker":
        review_id = open_review(connection, record, row.team_id, row.child_age_years, flags)
    details = decision_details(record, review_id)
    audit.append_all(
        connection,
        by,
        [audit.Entry("decision.recorded", "decision", record["id"], details, row.model_version)],
    )
    return record, review_id


_FACTS = (
    select(
        Contact.team_id,
        Contact.child_age_years,
        StoredAssessment.bands,
        StoredAssessment.substantive_band,
        StoredAssessment.surface_share,
        StoredAssessment.surface_flagged,
        StoredAssessment.model_version,
    )
    .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
    .where(Contact.contact_id == bindparam("contact_id"))
)
_INSERT_DECISION = DecisionRecord.__table__.insert()
_INSERT_REVIEW = Review.__table__.insert()
_INSERT_REVIEW_FLAGS = ReviewFlag.__table__.insert()


def new_record(
    contact_id: str, body: DecisionIn, flags: list[Flag], *, by: Caller, source: Source
) -> dict[str, Any]:
    """The table row of a decision taken now by ``by``."""
    return {
        "id": str(uuid.uuid4()),
        "contact_id": contact_id,
        "decision": body.decision.value,
        "reasons": [r.value for r in body.reasons],
        "note": body.note,
        "review_by": body.review_by,
        "decided_by": by.name,
        "decided_at": utcnow(),
        "flags": [{"code": f.code.value, "text": f.text} for f in flags],
        "source": source,
    }


def decision_details(record: dict[str, Any], review_id: str | None) -> dict[str, Any]:
    """What the audit trail keeps of a decision: the note only as a fingerprint."""
    return {
        "contact_id": record["contact_id"],
        "decision": record["decision"],
        "reasons": record["reasons"],
        "note": fingerprint(record["note"]),
        "review_by": record["review_by"].isoformat() if record["review_by"] else None,
        "flags": [f["code"] for f in record["flags"]],
        "source": record["source"],
        "review_id": review_id,
    }


def open_review(
    connection: Connection,
    record: dict[str, Any],
    team_id: str | None,
    child_age_years: int,
    flags: list[Flag],
) -> str:
    """Put a flagged decision in the review queue; return the review's id."""
    review = {
        "id": str(uuid.uuid4()),
        "decision_id": record["id"],
        "contact_id": record["contact_id"],
        "team_id": team_id,
        "age_band": age_band(child_age_years),
        "flags": record["flags"],
        "status": "open",
        "created_at": record["decided_at"],
    }
    [seq] = connection.execute(_INSERT_REVIEW, review).inserted_primary_key
    codes = [{"review_seq": seq, "code": f.code.value} for f in flags]
    connection.execute(_INSERT_REVIEW_FLAGS, codes)
    return review["id"]


def contact_and_assessment(session: Session, contact_id: str) -> tuple[Contact, StoredAssessment]:
    """A stored contact and its assessment, or NotFound."""
    row = session.execute(
        select(Contact, StoredAssessment)
        .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .where(Contact.contact_id == contact_id)
    ).first()
    if row is None:
        raise NotFound(f"No contact {contact_id}.")
    return row[0], row[1]


def list_decisions(session: Session, contact_id: str) -> list[DecisionOut]:
    """A contact's decisions, oldest first (the last is current), each with its review."""
    rows = session.execute(
        select(DecisionRecord, Review.id)
        .outerjoin(Review, Review.decision_id == DecisionRecord.id)
        .where(DecisionRecord.contact_id == contact_id)
        .order_by(DecisionRecord.seq)
    )
    return [to_out(record, review_id) for record, review_id in rows]


def to_out(record: DecisionRecord, review_id: str | None) -> DecisionOut:
    """The API shape of a stored decision."""
    return DecisionOut(
        decision_id=record.id,
        decision=record.decision,
        reasons=record.reasons,
        note=record.note,
        review_by=record.review_by,
        decided_by=record.decided_by,
        decided_at=record.decided_at,
        source=record.source,
        flagged_for_review=bool(record.flags),
        flags=[FlagOut(**f) for f in record.flags],
        review_id=review_id,
    )
