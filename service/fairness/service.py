"""Audit the store's front-door decisions with the pure fairness module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fairness import audit_contract
from service.exports.contract import contract_extract
from timeliness import TimelinessOptions


def fairness_report(
    session: Session, *, min_n: int, rules: TimelinessOptions | None = None
) -> dict[str, Any]:
    """Decisions, model and workload audits of every scored contact with a decision.

    The decisions audited are the duty workers' own (overturns by team leaders are left out).
    """
    frame = contract_extract(session, decisions="worker", with_assessment=True, rules=rules)
    decided = frame[frame["decision"].notna()]
    if decided.empty:
        return {"rows": 0, "findings": [], "caveats": ["No decisions are recorded yet."]}
    return audit_contract(decided.reset_index(drop=True), min_n=min_n).to_dict()
