"""Close a contact's assessment with its outcome; a need outcome records ``outcome_need_12m``.

Owns ``assessment_completions``. Reads the contact's current decision (``decisions``) and asks
``outcomes`` to record the label; nothing imports this package but the router and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from data.lateness import check_late_reasons, outcome_implies_need
from data.workdays import ASSESSMENT_DECISIONS, assessment_due_on, london_date
from service.audit import service as audit
from service.audit.chain import fingerprint
from service.auth.schemas import Caller
from service.auth.teams import require_team
from service.completions.schemas import CompletionIn, CompletionOut, NeedOutcome
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact
from service.decisions.tables import DecisionRecord
from service.errors import Conflict, InvalidField, NotFound
from service.outcomes.service import record_need_unless_known


@dataclass(frozen=True)
class AssessmentState:
    """A contact's social-work assessment: the day it is due and, once closed, its completion."""

    due_on: date
    completion: AssessmentCompletion | None


def assessment_state(
    session: Session, contact_id: str, settings: Settings
) -> AssessmentState | None:
    """The contact's assessment (due day, completion), or None when no assessment was decided."""
    received = session.scalar(select(Contact.received_at).where(Contact.contact_id == contact_id))
    if received is None:
        return None
    completion = session.get(AssessmentCompletion, contact_id)
    if completion is None and _current_decision(session, contact_id) not in ASSESSMENT_DECISIONS:
        return None
    due = assessment_due_on(received, working_days=settings.assessment_due_working_days)
    return AssessmentState(due_on=due, completion=completion)


def _current_decision(session: Session, contact_id: str) -> str | None:
    return session.scalar(
        select(DecisionRecord.decision)
        .where(DecisionRecord.contact_id == contact_id)
        .order_by(DecisionRecord.seq.desc())
        .limit(1)
    )


def complete_assessment(
    session: Session,
    contact_id: str,
    body: CompletionIn,
    *,
    by: Caller,
    settings: Settings,
    now: datetime,
) -> CompletionOut:
    """Record the assessment's completion at ``now``, the app's clock (no commit).

    NotFound for an unknown contact; Conflict when no assessment is open; InvalidField for a
    ``completed_on`` in the future or before receipt; ``LateReasonsError`` when the reasons do
    not fit (recorded after the due day needs them, in time refuses them).
    """
    found = session.execute(
        select(Contact.received_at, Contact.team_id).where(Contact.contact_id == contact_id)
    ).first()
    if found is None:
        raise NotFound(f"No contact {contact_id}.")
    received = found.received_at
    require_team(by, found.team_id, f"No contact {contact_id}.")
    current = _current_decision(session, contact_id)
    if current not in ASSESSMENT_DECISIONS:
        raise Conflict(
            f"Contact {contact_id} has no open assessment (its current decision is "
            f"{current or 'not made yet'})."
        )
    if session.get(AssessmentCompletion, contact_id) is not None:
        raise Conflict(f"The assessment of contact {contact_id} is already completed.")
    today = london_date(now)
    check_completed_on(body.completed_on, received_on=london_date(received), today=today)
    due = assessment_due_on(received, working_days=settings.assessment_due_working_days)
    reasons = check_late_reasons(due, today, [r.value for r in body.late_reasons])
    record = AssessmentCompletion(
        contact_id=contact_id,
        completed_on=body.completed_on,
        outcome=body.outcome.value,
        note=body.note,
        late_reasons=[r.value for r in reasons],
        late_note=body.late_note or None,
        recorded_by=by.name,
        recorded_at=now.astimezone(UTC),
    )
    session.add(record)
    session.flush()
    need = need_outcome(session, contact_id, body, by=by)
    details = {
        "completed_on": body.completed_on.isoformat(),
        "outcome": body.outcome.value,
        "note": fingerprint(body.note),
        "late_reasons": record.late_reasons,
        "late_note": fingerprint(body.late_note) if body.late_note else None,
        "outcome_need_12m_recorded": need.recorded,
    }
    audit.append(session, by, "assessment.completed", "contact", contact_id, details)
    return CompletionOut(
        contact_id=contact_id,
        completed_on=record.completed_on,
        due_on=due,
        outcome=body.outcome,
        note=record.note,
        late_reasons=list(reasons),
        late_note=record.late_note or "",
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
        outcome_need_12m=need,
    )


def check_completed_on(completed_on: date, *, received_on: date, today: date) -> None:
    """Refuse a completion day in the future or before the contact was received."""
    if completed_on > today:
        raise InvalidField(
            ["body", "completed_on"],
            f"completed_on {completed_on.isoformat()} is in the future (today is "
            f"{today.isoformat()}).",
        )
    if completed_on < received_on:
        raise InvalidField(
            ["body", "completed_on"],
            f"completed_on {completed_on.isoformat()} is before the contact was received "
            f"({received_on.isoformat()}).",
        )


def need_outcome(
    session: Session, contact_id: str, body: CompletionIn, *, by: Caller
) -> NeedOutcome:
    """Record ``outcome_need_12m = true`` for a need outcome unless one is stored; say what."""
    if not outcome_implies_need(body.outcome):
        return NeedOutcome(
            recorded=False,
            existing=None,
            note=f"{body.outcome.value} does not record a need; outcome_need_12m is unchanged.",
        )
    recorded, existing = record_need_unless_known(session, contact_id, by=by)
    if recorded:
        note = "Recorded outcome_need_12m = true."
    elif existing:
        note = "outcome_need_12m was already true; unchanged."
    else:
        note = (
            "outcome_need_12m is already recorded as false and was kept; the data team may "
            "correct it (POST /v1/contacts/{id}/outcome)."
        )
    return NeedOutcome(recorded=recorded, existing=existing, note=note)
