"""Fairness audits: pure functions over tables (pandas, numpy, scipy; matplotlib for plots).

Two ways in: :func:`audit_contract` for a contract extract with a risk estimate (decisions,
model and workload audits) and :func:`audit_generic` for any decisions table. Both return a
:class:`Report` (``report.to_json()`` never contains NaN); :func:`render_html` turns it into one
self-contained page, and :func:`model_gate` decides whether a model's audit blocks promotion.
See docs/fairness.md for what each audit computes and how to read a verdict.
"""

from fairness.adjust import ADJUSTMENTS, Adjustment, adjust_pvalues
from fairness.audit import (
    BAD_PROBABILITY,
    CONTRACT_AUDITS,
    MISSING_COLUMN,
    PREDICTION_OR_SCORE,
    SCORE_NEEDS_THRESHOLD,
    THRESHOLD_WITHOUT_SCORE,
    audit_contract,
    audit_generic,
)
from fairness.decisions import DECISION_METRICS
from fairness.gate import GATED_METRICS, GateResult, model_gate
from fairness.generic import GENERIC_METRICS
from fairness.groups import CONTRACT_ATTRIBUTES, UNKNOWN_REFERENCE_GROUP
from fairness.html import render_html, write_html
from fairness.model_audit import MODEL_METRICS, SELECTIVE_LABELS_CAVEAT
from fairness.rates import mantel_haenszel, wilson_interval
from fairness.report import VERDICTS, Finding, Report

__all__ = [
    "ADJUSTMENTS",
    "BAD_PROBABILITY",
    "CONTRACT_ATTRIBUTES",
    "CONTRACT_AUDITS",
    "DECISION_METRICS",
    "GATED_METRICS",
    "GENERIC_METRICS",
    "MISSING_COLUMN",
    "MODEL_METRICS",
    "PREDICTION_OR_SCORE",
    "SCORE_NEEDS_THRESHOLD",
    "SELECTIVE_LABELS_CAVEAT",
    "THRESHOLD_WITHOUT_SCORE",
    "UNKNOWN_REFERENCE_GROUP",
    "VERDICTS",
    "Adjustment",
    "Finding",
    "GateResult",
    "Report",
    "adjust_pvalues",
    "audit_contract",
    "audit_generic",
    "mantel_haenszel",
    "model_gate",
    "render_html",
    "wilson_interval",
    "write_html",
]
