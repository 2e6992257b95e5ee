"""Findings, verdicts and the report, with JSON that never contains NaN (:mod:`reporting`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from fairness.adjust import ADJUSTMENTS, Adjustment, adjust_pvalues
from reporting import StrictJson, clean, created_now

Audit = Literal["decisions", "model", "workload", "generic"]
Verdict = Literal["disparity", "no_disparity_detected", "insufficient_data", "reference"]
VERDICTS: tuple[str, ...] = ("disparity", "no_disparity_detected", "insufficient_data", "reference")
PENDING = ""  # a comparison whose verdict waits for the report-wide p-value adjustment
REPORT_VERSION = 1


@dataclass(frozen=True)
class Finding:
    """One comparison of one group's metric with its reference group's.

    ``value`` is the group's metric and ``ci`` its interval; ``reference_value`` is the
    reference group's metric computed the same way (for the decisions audit: standardised to the
    same risk mix), ``difference = value - reference_value`` and ``ratio`` their ratio (for the
    decisions audit the Mantel–Haenszel risk ratio, with ``ratio_ci``). ``material`` says the
    effect is large enough to matter (outside the ratio band, or the AUC margin); a ``disparity``
    needs that and ``p_adjusted < alpha``. Missing numbers are NaN here and ``null`` in JSON.
    """

    audit: str
    attribute: str
    group: str
    reference: str
    metric: str
    n: int
    value: float
    ci: tuple[float, float]
    reference_value: float
    difference: float
    ratio: float
    p_adjusted: float
    verdict: str
    n_reference: int = 0
    ratio_ci: tuple[float, float] = (math.nan, math.nan)
    p_value: float = math.nan
    material: bool = False
    method: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-safe values (NaN and infinities become ``None``)."""
        return {f.name: clean(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output (``None`` numbers become NaN)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("value", "reference_value", "difference", "ratio", "p_adjusted", "p_value"):
            if key in values:
                values[key] = _float(values[key])
        for key in ("ci", "ratio_ci"):
            if key in values and values[key] is not None:
                values[key] = tuple(_float(v) for v in values[key])
            elif key in values:
                values[key] = (math.nan, math.nan)
        return cls(**values)

    @property
    def label(self) -> str:
        """``attribute=group``, for messages."""
        return f"{self.attribute}={self.group}"


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def group_findings(
    *,
    audit: str,
    attribute: str,
    labels: Sequence[str],
    reference: int,
    metric: str,
    n: np.ndarray,
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    reference_value: np.ndarray,
    ratio: np.ndarray,
    p_value: np.ndarray,
    material: np.ndarray,
    min_n: int,
    method: str,
    n_reference: np.ndarray | None = None,
    ratio_lower: np.ndarray | None = None,
    ratio_upper: np.ndarray | None = None,
    n_check: np.ndarray | None = None,
    present: np.ndarray | None = None,
    own: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
    reference_method: str | None = None,
) -> list[Finding]:
    """Findings for every present group of one attribute and one metric (arrays by group).

    A group whose metric denominator (``n_check``, default ``n``) or whose reference's is under
    ``min_n`` gets ``insufficient_data``; the reference group gets ``reference`` with its own
    value (``own``: value, lower, upper, when the comparisons' values are standardised).
    """
    n_check = n if n_check is None else n_check
    n_ref = np.full(len(labels), n_check[reference]) if n_reference is None else n_reference
    present = np.asarray(n) > 0 if present is None else present
    nan = np.full(len(labels), np.nan)
    ratio_lower = nan if ratio_lower is None else ratio_lower
    ratio_upper = nan if ratio_upper is None else ratio_upper
    findings = []
    for i, group in enumerate(labels):
        if not present[i]:
            continue
        common: dict[str, Any] = {
            "audit": audit,
            "attribute": attribute,
            "group": group,
            "reference": labels[reference],
            "metric": metric,
            "method": method,
            "details": details[i] if details is not None else {},
        }
        if i == reference:
            common["method"] = reference_method or method
            v, lo, hi = (own[0][i], own[1][i], own[2][i]) if own else (value[i], lower[i], upper[i])
            findings.append(
                Finding(
                    **common,
                    n=int(n[i]),
                    value=float(v),
                    ci=(float(lo), float(hi)),
                    reference_value=float(v),
                    difference=0.0,
                    ratio=1.0,
                    p_adjusted=math.nan,
                    verdict="reference",
                    n_reference=int(n[i]),
                )
            )
            continue
        enough = n_check[i] >= min_n and n_ref[i] >= min_n
        findings.append(
            Finding(
                **common,
                n=int(n[i]),
                value=float(value[i]),
                ci=(float(lower[i]), float(upper[i])),
                reference_value=float(reference_value[i]),
                difference=float(value[i] - reference_value[i]),
                ratio=float(ratio[i]),
                p_adjusted=math.nan,
                verdict=PENDING if enough else "insufficient_data",
                n_reference=int(n_ref[i]),
                ratio_ci=(float(ratio_lower[i]), float(ratio_upper[i])),
                p_value=float(p_value[i]) if enough else math.nan,
                material=bool(material[i]),
            )
        )
    return findings


def outside(ratio: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Whether each ratio lies outside the band (infinite ratios do; NaN ones do not)."""
    ratio = np.asarray(ratio, dtype=float)
    with np.errstate(invalid="ignore"):
        return (ratio < band[0]) | (ratio > band[1])


def finalise(
    findings: Iterable[Finding], *, alpha: float, adjust: Adjustment
) -> tuple[list[Finding], int]:
    """Adjust every pending comparison's p-value together and give each its verdict.

    Returns the findings and the number of comparisons adjusted. A pending comparison without a
    p-value (nothing could be tested) gets ``insufficient_data``.
    """
    findings = list(findings)
    pending = [i for i, f in enumerate(findings) if f.verdict == PENDING]
    raw = np.array([findings[i].p_value for i in pending], dtype=float)
    adjusted = adjust_pvalues(raw, adjust)
    for i, p in zip(pending, adjusted, strict=True):
        f = findings[i]
        if math.isnan(p):
            verdict = "insufficient_data"
        elif p < alpha and f.material:
            verdict = "disparity"
        else:
            verdict = "no_disparity_detected"
        findings[i] = replace(f, p_adjusted=float(p), verdict=verdict)
    return findings, int(np.isfinite(raw).sum())


@dataclass
class Report(StrictJson):
    """A fairness report: settings, caveats, headline sentences, findings and plot tables."""

    mode: Literal["contract", "generic"]
    rows: int
    settings: dict[str, Any]
    adjustment: dict[str, Any]
    caveats: list[str]
    headlines: list[str]
    findings: list[Finding]
    tables: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=created_now)

    def select(
        self,
        *,
        audit: str | None = None,
        attribute: str | None = None,
        group: str | None = None,
        metric: str | None = None,
        verdict: str | None = None,
    ) -> list[Finding]:
        """The findings matching every criterion given."""
        wanted = {
            "audit": audit,
            "attribute": attribute,
            "group": group,
            "metric": metric,
            "verdict": verdict,
        }
        return [
            f
            for f in self.findings
            if all(v is None or getattr(f, k) == v for k, v in wanted.items())
        ]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe values."""
        return {
            "version": REPORT_VERSION,
            "mode": self.mode,
            "created": self.created,
            "rows": self.rows,
            "settings": clean(self.settings),
            "adjustment": clean(self.adjustment),
            "caveats": list(self.caveats),
            "headlines": list(self.headlines),
            "findings": [f.to_dict() for f in self.findings],
            "tables": clean(self.tables),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_dict` output (for example, a JSON file read back)."""
        return cls(
            mode=data["mode"],
            rows=int(data["rows"]),
            settings=dict(data.get("settings", {})),
            adjustment=dict(data.get("adjustment", {})),
            caveats=list(data.get("caveats", [])),
            headlines=list(data.get("headlines", [])),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            tables=dict(data.get("tables", {})),
            created=data.get("created", ""),
        )


def adjustment_record(method: Adjustment, alpha: float, comparisons: int) -> dict[str, Any]:
    """How p-values were adjusted, for the report."""
    return {
        "method": method,
        "description": ADJUSTMENTS[method],
        "alpha": alpha,
        "comparisons": comparisons,
        "scope": "every comparison in this report, across audits, attributes and metrics",
    }
