"""Record decisions, flag them with the one rule, and ask reviews to open one for flagged ones.

This domain owns the decisions table. It reads a contact's assessment through ``contacts`` and
never reads or writes the reviews tables: it asks the review queue through a
:class:`ReviewQueue` given by the caller (``service.reviews.service.QUEUE``, wired by the app),
because ``reviews`` depends on ``decisions`` and not the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, bindparam, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from config.settings import Settings
from data.workdays import london_date
from models.narrative_check import top_uncoded_concern
from service.audit import service as audit
from service.audit.chain import fingerprint
from service.auth.schemas import Caller
from service.auth.teams import require_team
from service.contacts.service import get_contact
from service.contacts.tables import Contact, StoredAssessment
from service.decisions.flags import AssessmentFacts, Flag, FlagThresholds, decide_flags
from service.decisions.schemas import DecisionIn, DecisionOut, DecisionRecorded, FlagOut
from service.decisions.tables import DecisionRecord
from service.decisions.timing import check_timing, due_from
from service.errors import NotFound
from service.prebuilt import Prebuilt, pipelined

Source = Literal["worker", "review_overturn"]


def thresholds(settings: Settings) -> FlagThresholds:
    """The flag rule's thresholds from the settings."""
    return FlagThresholds(
        high_risk_band=settings.flag_high_risk_band,
        narrative_flag_similarity=settings.narrative_flag_similarity,
    )


class OpenReview(Protocol):
    """Puts a flagged decision in the review queue and returns the review's id."""

    def __call__(
        self,
        connection: Connection,
        decision: dict[str, Any],
        *,
        team_id: str | None,
        child_age_years: int,
    ) -> str: ...


@dataclass(frozen=True)
class ReviewQueue:
    """What this domain asks of the review queue: open a review, find decisions' reviews."""

    open: OpenReview
    ids_of: Callable[[Session, list[str]], dict[str, str]]  # decision id -> review id


def decide(
    session: Session,
    contact_id: str,
    body: DecisionIn,
    *,
    by: Caller,
    settings: Settings,
    reviews: ReviewQueue,
    now: datetime,
    audit_later: list[tuple[Caller, audit.Entry]] | None = None,
) -> DecisionRecorded:
    """Record a worker's decision taken at ``now``; a flagged one opens a review (no commit).

    Raises ``ReviewByError`` or ``LateReasonsError`` (422 naming the field) when ``review_by``
    or the late reasons do not fit ``now``'s day. ``audit_later``: add the audit entry there
    for the caller to append (with others of the same transaction) instead of appending it.
    """
    record, review_id = record_decision(
        session,
        contact_id,
        body,
        by=by,
        settings=settings,
        now=now,
        source="worker",
        open_review=reviews.open,
        audit_later=audit_later,
    )
    return DecisionRecorded(
        decision_id=record["id"],
        contact_id=contact_id,
        decision=record["decision"],
        decided_at=record["decided_at"],
        due_on=record["due_on"],
        late_reasons=record["late_reasons"] or [],
        flagged_for_review=bool(record["flags"]),
        flags=[FlagOut(**f) for f in record["flags"]],
        review_id=review_id,
    )


def record_overturn(
    session: Session,
    contact_id: str,
    body: DecisionIn,
    *,
    by: Caller,
    settings: Settings,
    now: datetime,
) -> str:
    """Record a team leader's decision on review (flagged, never queued again); its id.

    The one function ``reviews`` calls in this domain (no commit). Its ``review_by`` is checked
    like a worker's; it needs no late reasons (its timeliness is the review's).
    """
    record, _ = record_decision(
        session,
        contact_id,
        body,
        by=by,
        settings=settings,
        now=now,
        source="review_overturn",
    )
    return str(record["id"])


def record_decision(
    session: Session,
    contact_id: str,
    body: DecisionIn,
    *,
    by: Caller,
    settings: Settings,
    now: datetime,
    source: Source,
    open_review: OpenReview | None = None,
    audit_later: list[tuple[Caller, audit.Entry]] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Store a decision with its flags (no commit); ask ``open_review`` to queue a flagged one.

    Returns the decision's row and the id of the review it opened, if any. ``now`` (the app's
    clock) is both the decision's ``decided_at`` and the day its lateness is judged on. Plain
    statements on the session's connection, not ORM objects: this runs on every decision.
    """
    connection = session.connection()
    # On PostgreSQL: BEGIN with the read in one round trip, the decision's INSERT with the audit
    # head's read (and lock) in one, the entry with the head's move in one, then COMMIT; the
    # head stays locked for the last two only. A plain block on SQLite.
    with ExitStack() as pipeline:
        pipeline.enter_context(pipelined(connection))
        row = decision_facts(connection, contact_id)
        require_team(by, row.team_id, f"No contact {contact_id}.")
        facts = AssessmentFacts(
            bands=row.bands,
            substantive_band=row.substantive_band,
            surface_share=row.surface_share,
            surface_flagged=row.surface_flagged,
            narrative_concern=top_uncoded_concern(row.assessment),
        )
        due = due_from(row.held_until, row.received_at, settings)
        late_reasons = check_timing(
            due_on=due,
            today=london_date(now),
            review_by=body.review_by,
            late_reasons=body.late_reasons,
            exempt_from_late_reasons=source == "review_overturn",
        )
        flags = decide_flags(body.decision, body.reasons, facts, thresholds(settings))
        record = new_record(contact_id, body, flags, by=by, source=source, at=now)
        record["late_reasons"] = [r.value for r in late_reasons]
        record["late_note"] = body.late_note or None
        _INSERT_DECISION.execute(connection, [record])
        review_id = None
        if flags and open_review is not None:
            # The review's statements read their rows through SQLAlchemy, which sees none inside
            # a pipeline: it ends here (its sync sends the INSERT) and the rest runs plainly.
            pipeline.close()
            review_id = open_review(
                connection, record, team_id=row.team_id, child_age_years=row.child_age_years
            )
        details = decision_details(record, review_id)
        record["due_on"] = due
        entry = audit.Entry(
            "decision.recorded", "decision", record["id"], details, row.model_version
        )
        if audit_later is None:
            audit.append_all(connection, by, [entry])
        else:
            audit_later.append((by, entry))
        return record, review_id


@dataclass(frozen=True)
class DecisionFacts:
    """What recording a decision on a stored contact reads: the contact's team, the child's
    age and when it was received, its assessment's bands, surface share, model version and
    stored JSON (for the narrative check), and the current decision's ``review_by``."""

    team_id: str | None
    child_age_years: int
    bands: Any
    substantive_band: Any
    surface_share: Any
    surface_flagged: Any
    model_version: str | None
    assessment: Any
    received_at: datetime
    held_until: date | None


def decision_facts(connection: Connection, contact_id: str) -> DecisionFacts:
    """:class:`DecisionFacts` of a stored contact in one statement; NotFound if none."""
    row = _FACTS.first(connection, {"contact_id": contact_id})
    if row is None:
        raise NotFound(f"No contact {contact_id}.")
    return DecisionFacts(*row)


# The current decision (the latest) and its review_by: NULL if none or not held open.
_HELD_UNTIL = (
    select(DecisionRecord.review_by)
    .where(DecisionRecord.contact_id == Contact.contact_id)
    .order_by(DecisionRecord.seq.desc())
    .limit(1)
    .correlate(Contact)
    .scalar_subquery()
)
# Run on the driver (service.prebuilt): this runs on every decision, and inside a pipeline
# (SQLAlchemy's own result would see no rows there before the pipeline syncs; the driver's
# fetch syncs it).
_FACTS = Prebuilt(
    select(
        Contact.team_id,
        Contact.child_age_years,
        StoredAssessment.bands,
        StoredAssessment.substantive_band,
        # Both drivers give a float as it is; PostgreSQL's Float result processor would need
        # the type the driver reports, which a prebuilt statement does not have.
        type_coerce(StoredAssessment.surface_share, NullType()),
        StoredAssessment.surface_flagged,
        StoredAssessment.model_version,
        StoredAssessment.assessment,
        Contact.received_at,
        _HELD_UNTIL,
    )
    .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
    .where(Contact.contact_id == bindparam("contact_id"))
)


def decide_all(session: Session, decisions: list[DecisionTaken]) -> list[DecisionRecorded]:
    """Record several requests' decisions in order in one transaction, their audit entries in
    one append at the end (no commit)."""
    entries: list[tuple[Caller, audit.Entry]] = []
    recorded = [decide_taken(session, d, audit_later=entries) for d in decisions]
    audit.append_each(session, entries)
    return recorded


def decide_taken(
    session: Session,
    d: DecisionTaken,
    *,
    audit_later: list[tuple[Caller, audit.Entry]] | None = None,
) -> DecisionRecorded:
    """:func:`decide` for one request's decision as taken (no commit)."""
    return decide(
        session,
        d.contact_id,
        d.body,
        by=d.by,
        settings=d.settings,
        reviews=d.reviews,
        now=d.now,
        audit_later=audit_later,
    )


@dataclass(frozen=True)
class DecisionTaken:
    """One request's decision on a contact, with what :func:`decide` needs to record it."""

    contact_id: str
    body: DecisionIn
    by: Caller
    settings: Settings
    reviews: ReviewQueue
    now: datetime


# For mypy: a mapped class's __table__ is a Table at run time
# inline(): no RETURNING of the new seq (nothing reads it), so it runs on the driver and
# pipelines with the statements after it.
_INSERT_DECISION = Prebuilt(DecisionRecord.__table__.insert().inline())  # type: ignore[attr-defined]


def new_record(
    contact_id: str,
    body: DecisionIn,
    flags: list[Flag],
    *,
    by: Caller,
    source: Source,
    at: datetime,
) -> dict[str, Any]:
    """The table row of a decision taken by ``by`` at ``at``."""
    return {
        "id": str(uuid.uuid4()),
        "contact_id": contact_id,
        "decision": body.decision.value,
        "reasons": [r.value for r in body.reasons],
        "note": body.note,
        "review_by": body.review_by,
        "decided_by": by.name,
        "decided_at": at.astimezone(UTC),
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
        "late_reasons": record.get("late_reasons") or [],
        "late_note": fingerprint(record["late_note"]) if record.get("late_note") else None,
    }


def contact_with_decisions(
    session: Session,
    contact_id: str,
    *,
    by: Caller,
    reviews: ReviewQueue,
    break_glass: str | None = None,
) -> dict[str, Any]:
    """A stored contact, its assessment and its decisions; the viewing is audited (no commit).
    ``break_glass``: the reason for reading another team's contact (recorded)."""
    found = get_contact(session, contact_id, by=by, break_glass=break_glass)
    return {**found, "decisions": list_decisions(session, contact_id, reviews)}


def list_decisions(session: Session, contact_id: str, reviews: ReviewQueue) -> list[DecisionOut]:
    """A contact's decisions, oldest first (the last is current), each with its review."""
    records = list(
        session.scalars(
            select(DecisionRecord)
            .where(DecisionRecord.contact_id == contact_id)
            .order_by(DecisionRecord.seq)
        )
    )
    review_ids = reviews.ids_of(session, [r.id for r in records]) if records else {}
    return [to_out(record, review_ids.get(record.id)) for record in records]


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
        late_reasons=record.late_reasons or [],
        late_note=record.late_note or "",
        source=record.source,
        flagged_for_review=bool(record.flags),
        flags=[FlagOut(**f) for f in record.flags],
        review_id=review_id,
    )
