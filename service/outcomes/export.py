"""The store as a contract extract: contacts, their current decisions and known outcomes.

One function serves `triage export` (retraining on the service's own history), the fairness
report and monitoring. Free text (narratives, decision notes) is left out unless asked for.

A CSV extract is opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula: :func:`spreadsheet_safe` prefixes such text
cells with a single quote (OWASP's CSV-injection advice). Parquet is typed data read by code,
not a spreadsheet, so it keeps the text exactly as stored.
"""

from __future__ import annotations

import json
from typing import Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.contract import COLUMNS
from data.validate import ContractError, validate_frame
from service.contacts.tables import Contact, StoredAssessment
from service.decisions.tables import DecisionRecord
from service.outcomes.tables import OutcomeRecord

Decisions = Literal["current", "worker"]
ASSESSMENT_COLUMNS = ("probability", "band", "surface_share", "model_version")
FREE_TEXT = ("narrative", "decision_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def contract_extract(
    session: Session,
    *,
    decisions: Decisions = "current",
    free_text: bool = False,
    with_assessment: bool = False,
) -> pd.DataFrame:
    """Every scored contact as a typed contract row (in contact_id order).

    ``decisions="current"`` takes each contact's latest decision (an overturn included);
    ``"worker"`` the latest made at the front door, for audits of front-door decisions.
    """
    latest = _latest_decisions(session, worker_only=decisions == "worker")
    outcomes = dict(
        session.execute(select(OutcomeRecord.contact_id, OutcomeRecord.outcome_need_12m)).all()
    )
    rows, extra = [], []
    query = (
        select(Contact.contact_id, Contact.body, StoredAssessment)
        .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .order_by(Contact.contact_id)
    )
    for contact_id, body, assessment in session.execute(query):
        record = _raw_row(json.loads(body), latest.get(contact_id), outcomes.get(contact_id))
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


def _latest_decisions(session: Session, *, worker_only: bool) -> dict[str, DecisionRecord]:
    query = select(DecisionRecord).order_by(DecisionRecord.seq)
    if worker_only:
        query = query.where(DecisionRecord.source == "worker")
    return {record.contact_id: record for record in session.scalars(query)}


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
