"""The fairness gate a model must pass before it may become the champion.

The promotion policy (training/policy.py) applies it with the settings' thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fairness.model_audit import SELECTIVE_LABELS_CAVEAT
from fairness.report import Finding, Report

# Error rates at a fixed threshold are not gated by default: a perfectly calibrated model has
# different false negative and false positive rates wherever groups' base rates differ
# (Chouldechova 2017; Kleinberg, Mullainathan and Raghavan 2017), so gating them would block
# every honest model. Calibration within groups is the property an honest model keeps.
GATED_METRICS: tuple[str, ...] = ("calibration_oe",)
NO_MODEL_FINDINGS = "the report has no model-audit findings: run the model audit before the gate"


@dataclass(frozen=True)
class GateResult:
    """Whether the model may be promoted, and why not.

    ``reasons`` explain each blocking finding; ``checked`` are the model-audit comparisons the
    gate looked at; ``caveated`` are large, significant disparities that did not block because
    too few of the group's (or its reference's) outcomes are observed; ``notes`` explain them.
    """

    passed: bool
    reasons: list[str]
    checked: list[Finding]
    caveated: list[Finding]
    notes: list[str] = field(default_factory=list)
    blocking: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (for logging with the training run)."""
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "checked": len(self.checked),
            "blocking": [f.to_dict() for f in self.blocking],
            "caveated": [f.to_dict() for f in self.caveated],
        }


def _findings(
    source: Report | Mapping[str, Any] | Iterable[Finding | Mapping[str, Any]],
) -> list[Finding]:
    if isinstance(source, Report):
        return list(source.findings)
    if isinstance(source, Mapping):
        return [Finding.from_dict(f) for f in source.get("findings", [])]
    return [f if isinstance(f, Finding) else Finding.from_dict(f) for f in source]


def _describe(finding: Finding) -> str:
    ratio = "an unbounded ratio" if not math.isfinite(finding.ratio) else f"{finding.ratio:.2f}x"
    return (
        f"{finding.metric} for {finding.attribute}={finding.group} is {finding.value:.3g} against "
        f"{finding.reference_value:.3g} for {finding.reference} ({ratio}, adjusted p="
        f"{finding.p_adjusted:.2g}, n={finding.n})"
    )


def model_gate(
    report: Report | Mapping[str, Any] | Iterable[Finding | Mapping[str, Any]],
    *,
    min_coverage: float = 0.8,
    max_ratio: float = 1.25,
    alpha: float = 0.05,
    metrics: Sequence[str] = GATED_METRICS,
) -> GateResult:
    """Decide whether a model's audit blocks its promotion.

    Parameters
    ----------
    report
        A :class:`Report` from :func:`audit_contract` with the model audit, its JSON as a dict,
        or its findings.
    min_coverage
        A disparity blocks only when at least this share of the group's outcomes, and of its
        reference group's, are observed (the ``label_coverage`` findings). Below it the
        disparity is reported in ``caveated``: with selective labels it may be an artefact.
    max_ratio
        A disparity blocks only when its ratio is above ``max_ratio`` or below
        ``1 / max_ratio``.
    alpha
        A disparity blocks only when its report-wide adjusted p-value is below ``alpha``.
    metrics
        Model-audit metrics the gate applies to (default: within-group calibration).

    Returns
    -------
    GateResult
        ``passed`` is False when at least one finding blocks.
    """
    findings = [f for f in _findings(report) if f.audit == "model"]
    if not findings:
        raise ValueError(NO_MODEL_FINDINGS)
    coverage = {(f.attribute, f.group): f.value for f in findings if f.metric == "label_coverage"}
    checked = [
        f
        for f in findings
        if f.metric in metrics and f.verdict in ("disparity", "no_disparity_detected")
    ]
    blocking: list[Finding] = []
    caveated: list[Finding] = []
    notes: list[str] = []
    for f in checked:
        large = not (1 / max_ratio <= f.ratio <= max_ratio) if not math.isnan(f.ratio) else False
        if not (large and f.p_adjusted < alpha):
            continue
        covered = [coverage.get((f.attribute, g), math.nan) for g in (f.group, f.reference)]
        if all(c >= min_coverage for c in covered):
            blocking.append(f)
        else:
            caveated.append(f)
            shares = " and ".join(
                f"{g} {c:.0%}" if math.isfinite(c) else f"{g} unknown"
                for g, c in zip((f.group, f.reference), covered, strict=True)
            )
            notes.append(
                f"Not blocking: {_describe(f)}; outcomes observed for {shares}, under "
                f"{min_coverage:.0%}."
            )
    if notes:
        notes.append(SELECTIVE_LABELS_CAVEAT)
    return GateResult(
        passed=not blocking,
        reasons=[_describe(f) for f in blocking],
        checked=checked,
        caveated=caveated,
        notes=notes,
        blocking=blocking,
    )
