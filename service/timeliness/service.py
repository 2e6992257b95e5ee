"""The store as the frame the pure timeliness report takes, and the report over it.

One way in: `triage timeliness` (without ``--data``), ``GET /v1/timeliness/report`` and the
``/ui/timeliness`` page all call ``timeliness_frame`` / ``store_report``. Reads contacts, decisions
and completed assessments; writes nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from data.workdays import Clock
from service.auth.schemas import Caller
from service.auth.teams import team_filter
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact
from service.decisions.tables import DecisionRecord
from timeliness import TimelinessOptions, timeliness_report

COLUMNS = (
    "contact_id",
    "team_id",
    "received_at",
    "decision",
    "decided_at",
    "due_on",
    "late_reasons",
    "late_note",
    "assessment_completed_on",
    "assessment_late_reasons",
    "assessment_late_note",
)


def timeliness_frame(
    session: Session, *, team: str | None = None, by: Caller | None = None
) -> pd.DataFrame:
    """Every stored contact (of ``team`` when given, of ``by``'s teams when scoped) as one row
    the pure report reads.

    The decision timed is the latest made at the front door (an overturn by a team leader is not
    the front door's timing); it is due on the ``review_by`` of the worker decision before it when
    that one held the contact open, else by the rule. Whether an assessment is due follows the
    current decision (an overturn included).
    """
    contacts = select(Contact.contact_id, Contact.team_id, Contact.received_at).order_by(
        Contact.contact_id
    )
    if team is not None:
        contacts = contacts.where(Contact.team_id == team)
    if by is not None:  # a team leader reads their teams' timeliness (and late notes) only
        contacts = contacts.where(team_filter(by, Contact.team_id))
    current: dict[str, DecisionRecord] = {}
    worker: dict[str, DecisionRecord] = {}
    held_until: dict[str, Any] = {}
    for record in session.scalars(select(DecisionRecord).order_by(DecisionRecord.seq)):
        current[record.contact_id] = record
        if record.source == "worker":
            previous = worker.get(record.contact_id)
            held_until[record.contact_id] = previous.review_by if previous else None
            worker[record.contact_id] = record
    completions = {c.contact_id: c for c in session.scalars(select(AssessmentCompletion))}
    rows = []
    for contact_id, team_id, received_at in session.execute(contacts):
        now, timed = current.get(contact_id), worker.get(contact_id)
        done = completions.get(contact_id)
        rows.append(
            {
                "contact_id": contact_id,
                "team_id": team_id,
                "received_at": received_at,
                "decision": now.decision if now else None,
                "decided_at": timed.decided_at if timed else None,
                "due_on": held_until.get(contact_id),
                "late_reasons": _joined(timed.late_reasons if timed else None),
                "late_note": timed.late_note if timed else None,
                "assessment_completed_on": done.completed_on if done else None,
                "assessment_late_reasons": _joined(done.late_reasons if done else None),
                "assessment_late_note": done.late_note if done else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in ("received_at", "decided_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    for name in ("due_on", "assessment_completed_on"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def options_for(settings: Settings, *, with_notes: bool) -> TimelinessOptions:
    """The report's options from the one settings object (notes only when asked for)."""
    return TimelinessOptions(
        decision_due_working_days=settings.decision_due_working_days,
        assessment_due_working_days=settings.assessment_due_working_days,
        with_notes=with_notes,
    )


def store_report(
    session: Session,
    settings: Settings,
    *,
    clock: Clock,
    team: str | None = None,
    with_notes: bool = False,
    by: Caller | None = None,
) -> dict[str, Any]:
    """The timeliness report over the store (of one team when given, of ``by``'s teams when
    scoped), as at the clock's day."""
    frame = timeliness_frame(session, team=team, by=by)
    options = options_for(settings, with_notes=with_notes)
    return timeliness_report(frame, clock=clock, options=options)


def _joined(reasons: list[str] | None) -> str | None:
    return ";".join(reasons) if reasons else None
