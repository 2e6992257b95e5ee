"""The store as a contract extract: contacts, their current decisions and known outcomes.

One function serves `triage export` (retraining on the service's own history), the fairness
report and monitoring. Free text (narratives, decision notes, late notes) is left out unless asked
for. Each row carries its timeliness (docs/timeliness.md): the exported decision's ``due_on`` (the
``review_by`` of the decision before it when the contact was held open, else the rule) and
``late_reasons``, and the social-work assessment's due day, completion, outcome and late reasons.

A CSV extract is opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula: :func:`spreadsheet_safe` prefixes such text
cells with a single quote (OWASP's CSV-injection advice). Parquet is typed data read by code,
not a spreadsheet, so it keeps the text exactly as stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.contract import COLUMNS
from data.validate import ContractError, validate_frame
from data.workdays import ASSESSMENT_DECISIONS, assessment_due_on, decision_due_on
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact, StoredAssessment
from service.decisions.tables import DecisionRecord
from service.outcomes.tables import OutcomeRecord
from timeliness import TimelinessOptions

Decisions = Literal["current", "worker"]
ASSESSMENT_COLUMNS = ("probability", "band", "surface_share", "model_version")
FREE_TEXT = ("narrative", "decision_note", "late_note", "assessment_late_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def contract_extract(
    session: Session,
    *,
    decisions: Decisions = "current",
    free_text: bool = False,
    with_assessment: bool = False,
    rules: TimelinessOptions | None = None,
) -> pd.DataFrame:
    """Every scored contact as a typed contract row (in contact_id order).

    ``decisions="current"`` takes each contact's latest decision (an overturn included);
    ``"worker"`` the latest made at the front door, for audits of front-door decisions.
    ``rules`` gives the due-day settings (the defaults of ``TimelinessOptions`` otherwise).
    """
    rules = rules or TimelinessOptions()
    latest, held = _latest_decisions(session, worker_only=decisions == "worker")
    completions = {c.contact_id: c for c in session.scalars(select(AssessmentCompletion))}
    outcomes = dict(
        session.execute(select(OutcomeRecord.contact_id, OutcomeRecord.outcome_need_12m)).all()
    )
    rows, extra = [], []
    query = (
        select(Contact.contact_id, Contact.body, Contact.received_at, StoredAssessment)
        .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .order_by(Contact.contact_id)
    )
    for contact_id, body, received_at, assessment in session.execute(query):
        decision = latest.get(contact_id)
        record = _raw_row(json.loads(body), decision, outcomes.get(contact_id))
        record.update(
            _timing_row(
                received_at,
                decision,
                held.get(contact_id),
                completions.get(contact_id),
                rules,
            )
        )
        if not free_text:
            record.update(dict.fromkeys(FREE_TEXT, ""))
        rows.append(record)
        extra.append(
            {
                "probability": assessment.probability,
                "band": assessment.band,
                "surface_share": assessment.surface_share,
                "model_version": assessment.model_version,
            }
        )
    frame = _typed(pd.DataFrame(rows, columns=list(COLUMNS), dtype="string"))
    if with_assessment:
        frame = pd.concat([frame, pd.DataFrame(extra, columns=list(ASSESSMENT_COLUMNS))], axis=1)
    return frame


def _latest_decisions(
    session: Session, *, worker_only: bool
) -> tuple[dict[str, DecisionRecord], dict[str, date | None]]:
    """Each contact's latest decision, and the ``review_by`` in force when it was recorded.

    The ``review_by`` is that of the decision just before it (of any source), the due day the
    service applied when the decision was recorded (``service.decisions.timing.decision_due``).
    """
    latest: dict[str, DecisionRecord] = {}
    held: dict[str, date | None] = {}
    previous: dict[str, DecisionRecord] = {}
    for record in session.scalars(select(DecisionRecord).order_by(DecisionRecord.seq)):
        before = previous.get(record.contact_id)
        previous[record.contact_id] = record
        if worker_only and record.source != "worker":
            continue
        latest[record.contact_id] = record
        held[record.contact_id] = before.review_by if before is not None else None
    return latest, held


def _timing_row(
    received_at: datetime,
    decision: DecisionRecord | None,
    held: date | None,
    completion: AssessmentCompletion | None,
    rules: TimelinessOptions,
) -> dict[str, str]:
    """The timeliness columns of one row: the exported decision's and the assessment's."""
    row: dict[str, str] = {}
    if decision is not None:
        due = held or decision_due_on(received_at, working_days=rules.decision_due_working_days)
        row["due_on"] = due.isoformat()
        row["late_reasons"] = ";".join(decision.late_reasons or [])
        row["late_note"] = decision.late_note or ""
    if completion is not None or (decision and decision.decision in ASSESSMENT_DECISIONS):
        due = assessment_due_on(received_at, working_days=rules.assessment_due_working_days)
        row["assessment_due_on"] = due.isoformat()
    if completion is not None:
        row["assessment_completed_on"] = completion.completed_on.isoformat()
        row["assessment_outcome"] = completion.outcome
        row["assessment_late_reasons"] = ";".join(completion.late_reasons or [])
        row["assessment_late_note"] = completion.late_note or ""
    return row


def _raw_row(body: dict, decision: DecisionRecord | None, outcome: bool | None) -> dict[str, str]:
    """One contract row as CSV-style text, validated afterwards like any extract."""
    row = {key: _text(value) for key, value in body.items() if key in COLUMNS}
    row["concerns"] = ";".join(body.get("concerns", []))
    if decision is not None:
        row["decision"] = decision.decision
        row["decided_at"] = decision.decided_at.isoformat()
        row["worker_id"] = decision.decided_by
        row["decision_note"] = decision.note
    row["outcome_need_12m"] = "" if outcome is None else _text(outcome)
    return row


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _typed(raw: pd.DataFrame) -> pd.DataFrame:
    report = validate_frame(raw.fillna(""))
    if not report.ok:
        raise ContractError(report)
    return report.frame


def neutralised(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'``; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose free-text columns can be opened in a spreadsheet safely."""
    safe = frame.copy()
    for column in safe.columns:
        dtype = safe[column].dtype
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            safe[column] = safe[column].map(neutralised, na_action="ignore").astype(dtype)
    return safe
