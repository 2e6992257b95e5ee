"""Record outcomes one at a time or in bulk (all or nothing), each in the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.auth.schemas import Caller
from service.contacts.tables import Contact
from service.db import utcnow
from service.errors import NotFound
from service.outcomes.schemas import OutcomeOut
from service.outcomes.tables import OutcomeRecord


def record_outcome(session: Session, contact_id: str, value: bool, *, by: Caller) -> OutcomeOut:
    """Record (or correct) one contact's outcome (no commit)."""
    [out] = record_outcomes(session, [(contact_id, value)], by=by)
    return out


def record_need_unless_known(
    session: Session, contact_id: str, *, by: Caller
) -> tuple[bool, bool | None]:
    """Record ``outcome_need_12m = true`` unless an outcome is already stored (no commit).

    Returns whether it was recorded and the value already stored (None when there was none):
    an assessment's outcome never silently replaces what the data team recorded.
    """
    existing = session.get(OutcomeRecord, contact_id)
    if existing is not None:
        return False, existing.outcome_need_12m
    record_outcome(session, contact_id, True, by=by)
    return True, None


def record_outcomes(
    session: Session, outcomes: Sequence[tuple[str, bool]], *, by: Caller
) -> list[OutcomeOut]:
    """Record many outcomes in one transaction; NotFound naming every unknown contact; no commit."""
    ids = [contact_id for contact_id, _ in outcomes]
    known = set(session.scalars(select(Contact.contact_id).where(Contact.contact_id.in_(ids))))
    unknown = [contact_id for contact_id in ids if contact_id not in known]
    if unknown:
        raise NotFound(
            f"No contact {', '.join(unknown[:20])}" + (" ..." if len(unknown) > 20 else "")
        )
    at = utcnow()
    stored = []
    for contact_id, value in outcomes:
        record = session.get(OutcomeRecord, contact_id) or OutcomeRecord(contact_id=contact_id)
        record.outcome_need_12m, record.recorded_by, record.recorded_at = value, by.name, at
        session.add(record)
        stored.append(record)
    entries = [
        audit.Entry("outcome.recorded", "contact", r.contact_id, {"outcome": r.outcome_need_12m})
        for r in stored
    ]
    audit.append_all(session, by, entries)
    return [
        OutcomeOut(contact_id=r.contact_id, outcome_need_12m=r.outcome_need_12m,
                   recorded_by=r.recorded_by, recorded_at=r.recorded_at)
        for r in stored
    ]  # fmt: skip
