"""Decisions audit: NFA and escalation rates of each group against its reference, at equal risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fairness.groups import Grouping, reference_index
from fairness.rates import mantel_haenszel, wilson_interval
from fairness.report import Finding, group_findings, outside

DECISION_METRICS: dict[str, str] = {
    "nfa_rate": "no further action",
    "escalation_rate": "assessment or strategy discussion",
}
METHOD = (
    "risk-standardised rate (Mantel–Haenszel weights over risk bands); ratio: Mantel–Haenszel "
    "risk ratio, Greenland–Robins CI; p: Cochran–Mantel–Haenszel test"
)
REFERENCE_METHOD = "crude rate of the reference group, Wilson CI"


def stratified_counts(
    grouping: Grouping, strata: np.ndarray, n_strata: int, outcomes: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Rows and events of each group in each stratum: arrays of shape (groups, strata).

    ``strata`` holds each row's stratum (-1 = leave the row out); one ``np.bincount`` per array.
    """
    keep = (grouping.codes >= 0) & (strata >= 0)
    cell = grouping.codes[keep] * n_strata + strata[keep]
    size = len(grouping.labels) * n_strata
    shape = (len(grouping.labels), n_strata)
    totals = np.bincount(cell, minlength=size).reshape(shape)
    events = {
        name: np.bincount(cell, weights=flag[keep], minlength=size).reshape(shape)
        for name, flag in outcomes.items()
    }
    return totals, events


def decisions_findings(
    groupings: Sequence[Grouping],
    strata: np.ndarray,
    n_strata: int,
    outcomes: Mapping[str, np.ndarray],
    *,
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
    table_attributes: Sequence[str] = (),
) -> tuple[list[Finding], dict[str, Any]]:
    """Compare each group's decision rates with its reference's within risk strata.

    Parameters
    ----------
    groupings
        Attributes to audit (single attributes and intersections).
    strata
        Each row's risk stratum, 0..n_strata-1; -1 leaves a row out (no decision recorded).
    outcomes
        Metric name -> boolean array per row (``nfa_rate``, ``escalation_rate``).
    reference
        Attribute -> reference group; the largest group otherwise.
    table_attributes
        Attributes whose rates by risk band go into the report's tables (for the plots).

    Returns
    -------
    (findings, tables)
    """
    findings: list[Finding] = []
    tables: dict[str, Any] = {}
    for grouping in groupings:
        ref = reference_index(grouping, reference)
        totals, events = stratified_counts(grouping, strata, n_strata, outcomes)
        counts = totals.sum(axis=1)
        for metric, event in events.items():
            result = mantel_haenszel(event, totals, ref, confidence=confidence)
            crude_events = event.sum(axis=1)
            crude = np.divide(
                crude_events, counts, out=np.full(counts.size, np.nan), where=counts > 0
            )
            lower, upper = wilson_interval(crude_events, counts, confidence=confidence)
            details = [
                {"crude_rate": crude[i], "events": crude_events[i]} for i in range(crude.size)
            ]
            findings += group_findings(
                audit="decisions",
                attribute=grouping.name,
                labels=grouping.labels,
                reference=ref,
                metric=metric,
                n=result.n,
                n_reference=result.n_reference,
                value=result.value,
                lower=result.value_lower,
                upper=result.value_upper,
                reference_value=result.reference_value,
                ratio=result.ratio,
                ratio_lower=result.ratio_lower,
                ratio_upper=result.ratio_upper,
                p_value=result.p_value,
                material=outside(result.ratio, ratio_band),
                min_n=min_n,
                method=METHOD,
                present=counts > 0,
                own=(crude, lower, upper),
                details=details,
                reference_method=REFERENCE_METHOD,
            )
            if metric == "nfa_rate" and grouping.name in table_attributes:
                tables[grouping.name] = _by_band(grouping, totals, event)
    return findings, tables


def _by_band(grouping: Grouping, totals: np.ndarray, events: np.ndarray) -> dict[str, Any]:
    rates = np.divide(events, totals, out=np.full(totals.shape, np.nan), where=totals > 0)
    return {
        group: {"n": totals[i].tolist(), "nfa_rate": rates[i].tolist()}
        for i, group in enumerate(grouping.labels)
        if totals[i].sum() > 0
    }
