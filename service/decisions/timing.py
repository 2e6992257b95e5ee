"""When a decision is due, and whether one recorded today must say why it is late.

A decision is due ``decision_due_working_days`` working days after the contact was received, or
on the current decision's ``review_by`` when the contact was held open (docs/timeliness.md).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select

from config.settings import Settings
from data.codes import LateReason
from data.lateness import check_late_reasons
from data.workdays import check_review_by, decision_due_on
from service.contacts.tables import Contact
from service.decisions.tables import DecisionRecord


def decision_due(connection: Connection, contact_id: str, settings: Settings) -> date:
    """The day the next decision on a stored contact is due."""
    held = connection.execute(
        select(DecisionRecord.review_by)
        .where(DecisionRecord.contact_id == contact_id)
        .order_by(DecisionRecord.seq.desc())
        .limit(1)
    ).scalar()
    if held is not None:
        return held
    received = connection.execute(
        select(Contact.received_at).where(Contact.contact_id == contact_id)
    ).scalar_one()
    return due_from(None, received, settings)


def due_from(held: date | None, received: datetime, settings: Settings) -> date:
    """The day the next decision is due: the current decision's ``review_by`` (``held``) if
    it has one, else so many working days after the contact was ``received``."""
    if held is not None:
        return held
    return decision_due_on(received, working_days=settings.decision_due_working_days)


def check_timing(
    *,
    due_on: date,
    today: date,
    review_by: date | None,
    late_reasons: list[LateReason],
    exempt_from_late_reasons: bool = False,
) -> tuple[LateReason, ...]:
    """Check ``review_by`` and the late reasons against today; raise the pure errors if wrong.

    A leader's overturn on review is exempt from late reasons (its timeliness is the review's).
    """
    if review_by is not None:
        check_review_by(review_by, today=today)
    if exempt_from_late_reasons:
        return tuple(late_reasons)
    return check_late_reasons(due_on, today, [r.value for r in late_reasons])
