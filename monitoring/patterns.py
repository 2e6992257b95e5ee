"""Decision patterns month by month: the fairness decisions audit, deflections and reviews.

Each month with enough contacts is audited with :func:`fairness.audit_contract` (NFA and
escalation at the same estimated risk, by age band, referral source, ethnicity, sex and
disability), against one reference group per attribute fixed over the whole report so the
months compare like with like. Deflections (``more_information`` or ``signpost``: the contact is
sent away without action) are compared the same way, with the fairness module's
Mantel-Haenszel machinery. Review outcomes, when a reviews table is given, are tabulated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.codes import Decision
from fairness import (
    ATTRIBUTE_COLUMNS,
    CONTRACT_ATTRIBUTES,
    Finding,
    Grouping,
    audit_contract,
    contract_groupings,
    decisions_findings,
    risk_strata,
    wilson_interval,
)
from monitoring.checks import Check, check_from_finding
from reporting import clean

RISK_BANDS = 10
DEFLECTION_METRICS: dict[str, tuple[str, ...]] = {
    "deflection_rate": (Decision.MORE_INFORMATION.value, Decision.SIGNPOST.value),
    "more_information_rate": (Decision.MORE_INFORMATION.value,),
    "signpost_rate": (Decision.SIGNPOST.value,),
}
# Deflection is tested (and can alert); its two parts are tabulated only, because an anonymous
# referrer cannot be asked for more information, so their split differs by design.
TESTED_DEFLECTION = "deflection_rate"
REVIEW_OUTCOMES = ("upheld", "overturned")
NO_REVIEWS = (
    "Review overturn rates need the service's reviews table; no reviews were given (file mode), "
    "so they are not reported."
)
BAD_REVIEWS = "reviews must have the columns contact_id and outcome (upheld or overturned)"


def attributes_of(frame: pd.DataFrame) -> list[str]:
    """The contract attributes whose columns the frame has."""
    return [a for a in CONTRACT_ATTRIBUTES if ATTRIBUTE_COLUMNS[a] in frame.columns]


def reference_groups(
    frame: pd.DataFrame, attributes: Sequence[str], given: Mapping[str, str]
) -> dict[str, str]:
    """One reference group per attribute for the whole report: the given one, else the largest."""
    out = dict(given)
    for grouping in contract_groupings(frame, attributes):
        out.setdefault(grouping.name, grouping.labels[grouping.largest()])
    return out


def present_references(
    groupings: Sequence[Grouping], reference: Mapping[str, str]
) -> dict[str, str]:
    """The references that have contacts in this month (the others fall back to the largest)."""
    out = {}
    for grouping in groupings:
        group = reference.get(grouping.name)
        if group in grouping.labels and grouping.counts[grouping.labels.index(group)] > 0:
            out[grouping.name] = group
    return out


def strata_of(frame: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Risk strata as the decisions audit forms them: the band column, else deciles."""
    if "band" in frame.columns:
        _, strata = np.unique(frame["band"].to_numpy(dtype=float), return_inverse=True)
        return strata.astype(np.int64), int(strata.max()) + 1 if strata.size else 0
    strata, _ = risk_strata(frame["probability"].to_numpy(dtype=float), RISK_BANDS)
    return strata, RISK_BANDS


def _check(finding: Finding, month: str) -> Check:
    tested = finding.verdict not in ("insufficient_data", "reference") and math.isfinite(
        finding.p_value
    )
    return check_from_finding(
        finding,
        kind="decision_disparity",
        month=month,
        where=f"{finding.attribute}={finding.group}",
        measure="risk_ratio",
        tested=tested,
        details={
            "reference": finding.reference,
            "value": finding.value,
            "value_ci": list(finding.ci),
            "reference_value": finding.reference_value,
            "n_reference": finding.n_reference,
        },
    )


def _deflections(
    month_frame: pd.DataFrame,
    groupings: Sequence[Grouping],
    reference: Mapping[str, str],
    *,
    group_min_n: int,
    ratio_band: tuple[float, float],
) -> list[Finding]:
    decision = month_frame["decision"].astype("string")
    decided = decision.notna().to_numpy()
    strata, n_strata = strata_of(month_frame)
    outcomes = {
        name: decision.isin(list(values)).to_numpy(dtype=bool, na_value=False)
        for name, values in DEFLECTION_METRICS.items()
    }
    findings, _ = decisions_findings(
        groupings,
        np.where(decided, strata, -1),
        n_strata,
        outcomes,
        reference=reference,
        min_n=group_min_n,
        ratio_band=ratio_band,
        confidence=0.95,
    )
    return findings


def _deflection_row(finding: Finding, month: str) -> dict[str, Any]:
    return clean(
        {
            "month": month,
            "attribute": finding.attribute,
            "group": finding.group,
            "reference": finding.reference,
            "metric": finding.metric,
            "n": finding.n,
            "value": finding.value,
            "ci": list(finding.ci),
            "reference_value": finding.reference_value,
            "ratio": finding.ratio,
            "ratio_ci": list(finding.ratio_ci),
            "crude_rate": finding.details.get("crude_rate", math.nan),
        }
    )


def decision_checks(
    frame: pd.DataFrame,
    month_pos: np.ndarray,
    months: Sequence[str],
    *,
    reference: Mapping[str, str],
    min_n: int,
    group_min_n: int,
    ratio_band: tuple[float, float],
    alpha: float,
) -> tuple[list[Check], list[dict[str, Any]]]:
    """Each month's decisions audit and deflection comparisons as checks, and the rates table.

    Months with fewer than ``min_n`` decided contacts are left out (too few to audit).
    """
    attributes = attributes_of(frame)
    references = reference_groups(frame, attributes, reference)
    decided = frame["decision"].notna().to_numpy()
    checks: list[Check] = []
    table: list[dict[str, Any]] = []
    for m, month in enumerate(months):
        rows = (month_pos == m) & decided
        if rows.sum() < min_n:
            continue
        month_frame = frame.loc[rows]
        groupings = contract_groupings(month_frame, attributes)
        present = present_references(groupings, references)
        report = audit_contract(
            month_frame,
            audits=["decisions"],
            attributes=attributes,
            intersections=False,
            reference=present,
            min_n=group_min_n,
            ratio_band=ratio_band,
            alpha=alpha,
        )
        checks += [_check(f, month) for f in report.findings if f.verdict != "reference"]
        for f in _deflections(
            month_frame, groupings, present, group_min_n=group_min_n, ratio_band=ratio_band
        ):
            if f.metric != TESTED_DEFLECTION:
                table.append(_deflection_row(f, month))
            elif f.verdict != "reference":
                checks.append(_check(f, month))
    return checks, table


def review_table(
    frame: pd.DataFrame, month_pos: np.ndarray, months: Sequence[str], reviews: pd.DataFrame
) -> list[dict[str, Any]]:
    """Overturn rate of resolved reviews by month and group, with Wilson intervals."""
    if not {"contact_id", "outcome"} <= set(reviews.columns):
        raise ValueError(BAD_REVIEWS)
    resolved = reviews[reviews["outcome"].isin(REVIEW_OUTCOMES)]
    position = pd.Index(frame["contact_id"].astype(str)).get_indexer(
        resolved["contact_id"].astype(str)
    )
    found = position >= 0
    rows = position[found]
    overturned = resolved["outcome"].to_numpy()[found] == "overturned"
    month_of = month_pos[rows]
    out = []
    attributes = attributes_of(frame)
    groupings = contract_groupings(frame.iloc[rows], attributes) if rows.size else []
    for grouping in groupings:
        for m, month in enumerate(months):
            in_month = month_of == m
            totals = np.bincount(grouping.codes[in_month], minlength=len(grouping.labels))
            events = np.bincount(
                grouping.codes[in_month],
                weights=overturned[in_month],
                minlength=len(grouping.labels),
            )
            lower, upper = wilson_interval(events, totals)
            for g, label in enumerate(grouping.labels):
                if totals[g] == 0:
                    continue
                out.append(
                    clean(
                        {
                            "month": month,
                            "attribute": grouping.name,
                            "group": label,
                            "reviews": int(totals[g]),
                            "overturned": int(events[g]),
                            "overturn_rate": events[g] / totals[g],
                            "ci": [lower[g], upper[g]],
                        }
                    )
                )
    return out
