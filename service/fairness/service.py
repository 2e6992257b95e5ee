"""Build a contract extract from the store and audit it with the pure fairness module."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairness import audit_contract
from service.contacts.tables import Contact, StoredAssessment
from service.decisions.tables import DecisionRecord

# Columns of the stored contact body the audits read (never the narrative).
BODY_COLUMNS = (
    "child_age_years",
    "referral_source",
    "child_sex",
    "child_ethnicity",
    "child_disability",
    "team_id",
    "received_at",
)
EXTRA = ("contact_id", "probability", "band", "surface_share", "decision", "outcome_need_12m")
WORKER = "worker"


def stored_extract(session: Session) -> pd.DataFrame:
    """Each scored contact with its assessment and the duty worker's latest decision.

    Overturns by team leaders are left out: the audit is of the front-door decisions themselves.
    """
    latest = (
        select(DecisionRecord.contact_id, DecisionRecord.decision, DecisionRecord.seq)
        .where(DecisionRecord.source == WORKER)
        .order_by(DecisionRecord.seq)
    )
    decisions = {row.contact_id: row.decision for row in session.execute(latest)}
    columns = (
        Contact.contact_id,
        Contact.body,
        StoredAssessment.probability,
        StoredAssessment.band,
        StoredAssessment.surface_share,
    )
    rows = session.execute(
        select(*columns).join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
    )
    records = []
    for row in rows:
        body = json.loads(row.body)
        records.append(
            {
                **{column: body.get(column) for column in BODY_COLUMNS},
                "contact_id": row.contact_id,
                "probability": row.probability,
                "band": row.band,
                "surface_share": row.surface_share,
                "decision": decisions.get(row.contact_id),
                # Outcomes are recorded by the data team's loop; none are stored yet.
                "outcome_need_12m": None,
            }
        )
    return _typed(pd.DataFrame.from_records(records, columns=[*BODY_COLUMNS, *EXTRA]))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True, format="ISO8601")
    frame["outcome_need_12m"] = frame["outcome_need_12m"].astype("boolean")
    defaults = {"child_sex": "U", "child_ethnicity": "NOBT", "child_disability": "U"}
    return frame.fillna(defaults)


def fairness_report(session: Session, *, min_n: int) -> dict[str, Any]:
    """The decisions, model and workload audits of the stored contacts, as report JSON."""
    frame = stored_extract(session)
    decided = frame[frame["decision"].notna()]
    if decided.empty:
        return {"rows": 0, "findings": [], "caveats": ["No decisions are recorded yet."]}
    report = audit_contract(decided, min_n=min_n)
    return report.to_dict()
