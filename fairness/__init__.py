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
    DECISIONS_CAVEAT,
    MISSING_COLUMN,
    OBSERVATIONAL_CAVEAT,
    PREDICTION_OR_SCORE,
    SCORE_NEEDS_THRESHOLD,
    THRESHOLD_WITHOUT_SCORE,
    audit_contract,
    audit_generic,
    risk_strata,
)
from fairness.decisions import DECISION_METRICS, decisions_findings
from fairness.gate import GATED_METRICS, GateResult, model_gate
from fairness.generic import GENERIC_METRICS
from fairness.groups import (
    ATTRIBUTE_COLUMNS,
    CONTRACT_ATTRIBUTES,
    UNKNOWN_REFERENCE_GROUP,
    Grouping,
    age_bands,
    contract_groupings,
)
from fairness.html import render_html, write_html
from fairness.model_audit import MODEL_METRICS, SELECTIVE_LABELS_CAVEAT
from fairness.rates import (
    auc_by_group,
    fisher_or_z_p,
    mantel_haenszel,
    safe_divide,
    two_sided_p,
    wilson_interval,
    z_value,
)
from fairness.report import VERDICTS, Finding, Report, outside
from fairness.timing import TIMING_CAVEAT, TIMING_METRICS, decision_days, timing_findings
from fairness.workload import MIN_MONTHS, WORKLOAD_CAVEAT

__all__ = [
    "ADJUSTMENTS",
    "ATTRIBUTE_COLUMNS",
    "BAD_PROBABILITY",
    "CONTRACT_ATTRIBUTES",
    "CONTRACT_AUDITS",
    "DECISIONS_CAVEAT",
    "DECISION_METRICS",
    "GATED_METRICS",
    "GENERIC_METRICS",
    "MIN_MONTHS",
    "MISSING_COLUMN",
    "MODEL_METRICS",
    "OBSERVATIONAL_CAVEAT",
    "PREDICTION_OR_SCORE",
    "SCORE_NEEDS_THRESHOLD",
    "SELECTIVE_LABELS_CAVEAT",
    "THRESHOLD_WITHOUT_SCORE",
    "TIMING_CAVEAT",
    "TIMING_METRICS",
    "UNKNOWN_REFERENCE_GROUP",
    "VERDICTS",
    "WORKLOAD_CAVEAT",
    "Adjustment",
    "Finding",
    "GateResult",
    "Grouping",
    "Report",
    "adjust_pvalues",
    "age_bands",
    "auc_by_group",
    "audit_contract",
    "audit_generic",
    "contract_groupings",
    "decision_days",
    "decisions_findings",
    "fisher_or_z_p",
    "mantel_haenszel",
    "model_gate",
    "outside",
    "render_html",
    "risk_strata",
    "safe_divide",
    "timing_findings",
    "two_sided_p",
    "wilson_interval",
    "write_html",
    "z_value",
]
