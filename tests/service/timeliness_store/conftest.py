"""A store with in-time and late decisions and assessments, the clock stood after them all."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from data.workdays import FixedClock
from service.completions.tables import AssessmentCompletion
from service.db import utcnow
from service.decisions.tables import DecisionRecord

LONDON = ZoneInfo("Europe/London")
# Received Wednesday 1 May 2024: the decision is due Thursday 2 May (Monday 6 May was a bank
# holiday), an assessment 45 working days later (Wednesday 3 July 2024).
AS_AT = date(2024, 8, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=LONDON)


@pytest.fixture
def store(app, client, auth, scored):
    """North: two in time, two late (three reasons), one undecided; two assessments, one late.
    South: one late decision that a report for north must not count."""
    for contact_id in ("A", "B", "C", "D", "E", "F"):
        scored(contact_id)
    scored("S", team_id="south")
    decisions = [
        ("A", "nfa", date(2024, 5, 2), None, None),
        ("B", "nfa", date(2024, 5, 3), ["team_capacity", "worker_absence"], "short-staffed"),
        ("C", "nfa", date(2024, 5, 7), ["team_capacity"], None),
        ("E", "assessment", date(2024, 5, 2), None, None),
        ("F", "assessment", date(2024, 5, 1), None, None),
        ("S", "nfa", date(2024, 5, 9), ["holiday_period"], "south's note"),
    ]
    completions = [
        ("E", date(2024, 6, 20), [], None),
        ("F", date(2024, 7, 31), ["no_access_to_child"], "the family moved away"),
    ]
    with app.state.db.write() as session:
        for contact_id, decision, day, reasons, note in decisions:
            session.add(
                DecisionRecord(
                    id=str(uuid.uuid4()),
                    contact_id=contact_id,
                    decision=decision,
                    reasons=["other"],
                    note="n",
                    review_by=None,
                    decided_by="worker",
                    decided_at=at(day),
                    flags=[],
                    source="worker",
                    late_reasons=reasons,
                    late_note=note,
                )
            )
        session.flush()
        for contact_id, day, reasons, note in completions:
            session.add(
                AssessmentCompletion(
                    contact_id=contact_id,
                    completed_on=day,
                    outcome="child_in_need_plan",
                    note="",
                    late_reasons=reasons,
                    late_note=note,
                    recorded_by="worker",
                    recorded_at=utcnow(),
                )
            )
        session.commit()
    app.state.clock = FixedClock(AS_AT)
