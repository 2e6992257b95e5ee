"""Model audit: how well the risk estimate serves each group, among rows with an outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fairness.groups import Grouping, reference_index
from fairness.rates import (
    auc_by_group,
    compare_proportions,
    log_ratio_interval,
    safe_divide,
    two_sided_p,
    wilson_interval,
    z_value,
)
from fairness.report import Finding, group_findings, outside

MODEL_METRICS: dict[str, str] = {
    "label_coverage": "share of the group's contacts with an observed outcome",
    "calibration_oe": "observed outcome rate / mean estimate, among rows with an observed outcome",
    "auc": "ROC AUC among rows with an observed outcome",
    "fnr": "false negative rate at the review threshold (children with need not flagged)",
    "fpr": "false positive rate at the review threshold (children without need flagged)",
    "surface_share": "mean share of the estimate that comes from surface features",
}
SELECTIVE_LABELS_CAVEAT = (
    "Selective labels: outcomes are observed only for children who were acted on or who came "
    "back, so AUC, calibration and error rates are measured on the rows with an observed "
    "outcome. Where a group's label coverage is low (for example because its contacts were "
    "often closed with no further action), the children whose outcome is missing may differ "
    "from those observed, and the group's model metrics may be biased in either direction."
)


def model_findings(
    groupings: Sequence[Grouping],
    probability: np.ndarray,
    observed: np.ndarray,
    outcome: np.ndarray,
    *,
    threshold: float,
    surface_share: np.ndarray | None,
    strata: np.ndarray,
    n_strata: int,
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    auc_margin: float,
    confidence: float,
    table_attributes: Sequence[str] = (),
) -> tuple[list[Finding], dict[str, Any]]:
    """Per-group model metrics compared with the reference group.

    Parameters
    ----------
    probability
        The risk estimate for every row.
    observed, outcome
        Whether each row's outcome is observed, and the outcome (ignored where unobserved).
    threshold
        Review threshold: a row is flagged when ``probability >= threshold``.
    surface_share
        Share of each estimate that comes from surface features, or None to skip the metric.
    strata
        Risk band of each row, for the calibration table.
    auc_margin
        Smallest AUC difference that counts as material.
    """
    findings: list[Finding] = []
    tables: dict[str, Any] = {}
    observed = observed.astype(bool)
    y = outcome.astype(bool) & observed
    flagged = probability >= threshold
    for grouping in groupings:
        ref = reference_index(grouping, reference)
        codes = grouping.codes
        k = len(grouping.labels)
        keep = codes >= 0
        c = codes[keep]

        def count(
            weights: np.ndarray | None = None,
            *,
            c: np.ndarray = c,
            keep: np.ndarray = keep,
            k: int = k,
        ) -> np.ndarray:
            w = None if weights is None else weights[keep].astype(float)
            return np.bincount(c, weights=w, minlength=k)

        n = count()
        labelled = count(observed)
        present = n > 0
        common: dict[str, Any] = {
            "attribute": grouping.name,
            "labels": grouping.labels,
            "reference": ref,
            "min_n": min_n,
            "present": present,
        }
        findings += _proportion(
            "label_coverage",
            labelled,
            n,
            ref,
            ratio_band,
            confidence,
            common,
            method="share with an observed outcome, Wilson CI; p: two-proportion test",
        )
        findings += _calibration(
            count(np.where(observed, probability, 0.0)),
            count(y),
            labelled,
            ref,
            ratio_band,
            confidence,
            common,
        )
        positives = count(y)
        negatives = labelled - positives
        findings += _proportion(
            "fnr",
            count(y & ~flagged),
            positives,
            ref,
            ratio_band,
            confidence,
            common,
            method=f"share of observed positives below the threshold {threshold:.4g}, Wilson CI",
        )
        findings += _proportion(
            "fpr",
            count(observed & ~y & flagged),
            negatives,
            ref,
            ratio_band,
            confidence,
            common,
            method=f"share of observed negatives at or above the threshold {threshold:.4g}",
        )
        findings += _auc(
            codes, probability, observed, y, labelled, ref, auc_margin, confidence, common
        )
        if surface_share is not None:
            finite = np.isfinite(surface_share)
            share = np.where(finite, surface_share, 0.0)
            findings += _mean(
                "surface_share",
                count(share),
                count(share * share),
                count(finite),
                ref,
                ratio_band,
                confidence,
                common,
            )
        if grouping.name in table_attributes:
            tables[grouping.name] = _calibration_table(
                grouping, probability, observed, y, strata, n_strata
            )
    return findings, tables


def _proportion(
    metric: str,
    events: np.ndarray,
    totals: np.ndarray,
    ref: int,
    ratio_band: tuple[float, float],
    confidence: float,
    common: dict[str, Any],
    *,
    method: str,
) -> list[Finding]:
    stats = compare_proportions(events, totals, ref, confidence=confidence)
    return group_findings(
        audit="model",
        metric=metric,
        n=totals,
        **stats,
        material=outside(stats["ratio"], ratio_band),
        method=method,
        **common,
    )


def _calibration(
    sum_probability: np.ndarray,
    events: np.ndarray,
    labelled: np.ndarray,
    ref: int,
    ratio_band: tuple[float, float],
    confidence: float,
    common: dict[str, Any],
) -> list[Finding]:
    mean_probability = safe_divide(sum_probability, labelled)
    observed_rate = safe_divide(events, labelled)
    oe = safe_divide(observed_rate, mean_probability)
    lower, upper = wilson_interval(events, labelled, confidence=confidence)
    # The estimate's mean is known exactly; the uncertainty is in the observed rate.
    var_log = safe_divide(1 - observed_rate, labelled * observed_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(oe) - np.log(oe[ref])) / np.sqrt(var_log + var_log[ref])
    ratio = safe_divide(oe, oe[ref])
    ratio_lower, ratio_upper = log_ratio_interval(
        ratio, var_log + var_log[ref], confidence=confidence
    )
    details = [
        {"mean_probability": mean_probability[i], "observed_rate": observed_rate[i]}
        for i in range(oe.size)
    ]
    return group_findings(
        audit="model",
        metric="calibration_oe",
        n=labelled,
        value=oe,
        lower=safe_divide(lower, mean_probability),
        upper=safe_divide(upper, mean_probability),
        reference_value=np.full(oe.size, oe[ref]),
        ratio=ratio,
        ratio_lower=ratio_lower,
        ratio_upper=ratio_upper,
        p_value=np.where(np.isfinite(z), two_sided_p(z), np.nan),
        material=outside(ratio, ratio_band),
        method=(
            "observed rate / mean estimate among rows with an observed outcome (1 = calibrated); "
            "CI from the Wilson CI of the observed rate; p: z-test on log(O/E)"
        ),
        details=details,
        **common,
    )


def _auc(
    codes: np.ndarray,
    probability: np.ndarray,
    observed: np.ndarray,
    y: np.ndarray,
    labelled: np.ndarray,
    ref: int,
    auc_margin: float,
    confidence: float,
    common: dict[str, Any],
) -> list[Finding]:
    groups = len(common["labels"])
    codes = np.where(observed, codes, -1)
    auc, variance, positives, negatives = auc_by_group(codes, probability, y, groups)
    se = np.sqrt(variance)
    z = z_value(confidence)
    diff = auc - auc[ref]
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = diff / np.sqrt(variance + variance[ref])
    p = np.where(np.isfinite(stat), two_sided_p(stat), np.where(diff == 0, 1.0, np.nan))
    details = [{"positives": positives[i], "negatives": negatives[i]} for i in range(groups)]
    return group_findings(
        audit="model",
        metric="auc",
        n=labelled,
        n_check=np.minimum(positives, negatives),
        value=auc,
        lower=np.clip(auc - z * se, 0, 1),
        upper=np.clip(auc + z * se, 0, 1),
        reference_value=np.full(groups, auc[ref]),
        ratio=safe_divide(auc, auc[ref]),
        p_value=p,
        material=np.abs(diff) >= auc_margin,
        method=(
            "ROC AUC among rows with an observed outcome, Hanley–McNeil CI; p: z-test on the "
            f"difference; material when the difference is at least {auc_margin:g}; both "
            "positives and negatives must reach the minimum size"
        ),
        details=details,
        **common,
    )


def _mean(
    metric: str,
    total: np.ndarray,
    total_squares: np.ndarray,
    n: np.ndarray,
    ref: int,
    ratio_band: tuple[float, float],
    confidence: float,
    common: dict[str, Any],
) -> list[Finding]:
    z = z_value(confidence)
    mean = safe_divide(total, n)
    variance = np.maximum(safe_divide(total_squares - n * mean * mean, n - 1), 0.0)
    se2 = safe_divide(variance, n)
    se = np.sqrt(se2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (mean - mean[ref]) / np.sqrt(se2 + se2[ref])
    p = np.where(np.isfinite(stat), two_sided_p(stat), np.where(mean == mean[ref], 1.0, np.nan))
    ratio = safe_divide(mean, mean[ref])
    ratio_lower, ratio_upper = log_ratio_interval(
        ratio,
        safe_divide(se2, mean * mean) + safe_divide(se2[ref], mean[ref] ** 2),
        confidence=confidence,
    )
    return group_findings(
        audit="model",
        metric=metric,
        n=n,
        value=mean,
        lower=np.clip(mean - z * se, 0, 1),
        upper=np.clip(mean + z * se, 0, 1),
        reference_value=np.full(mean.size, mean[ref]),
        ratio=ratio,
        ratio_lower=ratio_lower,
        ratio_upper=ratio_upper,
        p_value=p,
        material=outside(ratio, ratio_band),
        method="mean, normal CI; p: Welch z-test",
        **common,
    )


def _calibration_table(
    grouping: Grouping,
    probability: np.ndarray,
    observed: np.ndarray,
    y: np.ndarray,
    strata: np.ndarray,
    n_strata: int,
) -> dict[str, Any]:
    keep = (grouping.codes >= 0) & observed & (strata >= 0)
    cell = grouping.codes[keep] * n_strata + strata[keep]
    size = len(grouping.labels) * n_strata
    shape = (len(grouping.labels), n_strata)
    n = np.bincount(cell, minlength=size).reshape(shape)
    mean = safe_divide(
        np.bincount(cell, weights=probability[keep], minlength=size).reshape(shape), n
    )
    rate = safe_divide(np.bincount(cell, weights=y[keep], minlength=size).reshape(shape), n)
    return {
        group: {
            "n": n[i].tolist(),
            "mean_probability": mean[i].tolist(),
            "observed_rate": rate[i].tolist(),
        }
        for i, group in enumerate(grouping.labels)
        if n[i].sum() > 0
    }
