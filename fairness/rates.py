"""Rates, intervals and tests, vectorised over groups.

Every function takes arrays (one entry per group, or groups x risk strata) and returns arrays, so
an audit of a million rows does its counting once (``np.bincount``) and its statistics here,
without a Python loop over rows or strata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import chdtrc, ndtr, ndtri


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for a confidence level (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return float(ndtri(0.5 + confidence / 2))


def two_sided_p(z: ArrayLike) -> np.ndarray:
    """Two-sided p-value of a standard normal statistic (NaN stays NaN)."""
    return 2.0 * ndtr(-np.abs(np.asarray(z, dtype=float)))


def safe_divide(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """Element-wise division that gives NaN, not a warning, where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def wilson_interval(
    successes: np.ndarray | float, n: np.ndarray | float, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion.

    Parameters
    ----------
    successes, n
        Counts (arrays broadcast together). ``n`` may be an effective, non-integer size; the
        proportion is then ``successes / n`` as usual. Where ``n`` is 0 the bounds are NaN.
    confidence
        Two-sided coverage.

    Returns
    -------
    (lower, upper)
        Arrays of bounds within [0, 1]; the interval always contains ``successes / n``.
    """
    z = z_value(confidence)
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    p = safe_divide(successes, n)
    z2n = safe_divide(z * z, n)
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * np.sqrt(np.maximum(p * (1 - p), 0) * safe_divide(1.0, n) + z2n * z2n / (4 * z * z))
    half = half / (1 + z2n)
    lower = np.clip(centre - half, 0.0, 1.0)
    upper = np.clip(centre + half, 0.0, 1.0)
    # Guard against rounding: the interval must contain the estimate.
    return np.fmin(lower, p), np.fmax(upper, p)


def two_proportion_p(k1: ArrayLike, n1: ArrayLike, k0: ArrayLike, n0: ArrayLike) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when both rates are 0 or 1)."""
    k1, n1, k0, n0 = (np.asarray(a, dtype=float) for a in (k1, n1, k0, n0))
    pooled = safe_divide(k1 + k0, n1 + n0)
    se = np.sqrt(pooled * (1 - pooled) * (safe_divide(1.0, n1) + safe_divide(1.0, n0)))
    z = safe_divide(safe_divide(k1, n1) - safe_divide(k0, n0), se)
    p = two_sided_p(z)
    return np.where((se == 0) & np.isfinite(pooled), 1.0, p)


def fisher_or_z_p(k1: ArrayLike, n1: ArrayLike, k0: ArrayLike, n0: ArrayLike) -> np.ndarray:
    """Two-proportion p-values: Fisher's exact test where an expected cell count is under 5."""
    p = two_proportion_p(k1, n1, k0, n0)
    k1, n1, k0, n0 = (np.asarray(a, dtype=float) for a in (k1, n1, k0, n0))
    total = n1 + n0
    events = k1 + k0
    expected = np.stack(
        [
            safe_divide(n1 * events, total),
            safe_divide(n1 * (total - events), total),
            safe_divide(n0 * events, total),
            safe_divide(n0 * (total - events), total),
        ]
    )
    small = np.nanmin(expected, axis=0, initial=np.inf) < 5
    small &= (n1 > 0) & (n0 > 0)
    if small.any():
        from scipy.stats import fisher_exact  # only loaded when a small table needs it

        for i in np.flatnonzero(np.atleast_1d(small)):
            table = [
                [int(k1.flat[i]), int(n1.flat[i] - k1.flat[i])],
                [int(k0.flat[i]), int(n0.flat[i] - k0.flat[i])],
            ]
            p.flat[i] = fisher_exact(table).pvalue
    return p


@dataclass(frozen=True)
class Stratified:
    """Comparisons of each group with one reference at the same risk stratum (arrays by group).

    ``value`` and ``reference_value`` are the two groups' rates standardised to the same weights,
    ``w_k = n_group,k * n_ref,k / n_k`` (the Mantel–Haenszel weights), so ``value /
    reference_value`` is exactly the Mantel–Haenszel risk ratio. When the group is small beside
    the reference these weights are the group's own risk-band mix.
    """

    n: np.ndarray  # group rows in strata the reference also has
    n_reference: np.ndarray  # reference rows in strata the group also has
    value: np.ndarray
    value_lower: np.ndarray
    value_upper: np.ndarray
    reference_value: np.ndarray
    ratio: np.ndarray
    ratio_lower: np.ndarray
    ratio_upper: np.ndarray
    p_value: np.ndarray  # Cochran–Mantel–Haenszel test, 1 df, no continuity correction


def mantel_haenszel(
    events: np.ndarray, totals: np.ndarray, reference: int, *, confidence: float = 0.95
) -> Stratified:
    """Compare every group's event rate with the reference group's within risk strata.

    Parameters
    ----------
    events, totals
        Arrays of shape (groups, strata): events and rows of each group in each stratum.
    reference
        Row index of the reference group.
    confidence
        Coverage of the intervals.

    Notes
    -----
    The risk ratio is the Mantel–Haenszel estimator with the Greenland–Robins (1985) variance of
    its logarithm, which stays valid with many sparse strata. The p-value is the
    Cochran–Mantel–Haenszel chi-square test of no association given the stratum. The interval
    for ``value`` is a Wilson interval at the Kish effective size of the standardised rate.
    """
    z = z_value(confidence)
    a = np.asarray(events, dtype=float)
    n1 = np.asarray(totals, dtype=float)
    c = a[reference][None, :]
    n0 = n1[reference][None, :]
    shared = (n1 > 0) & (n0 > 0)
    a = np.where(shared, a, 0.0)
    n1 = np.where(shared, n1, 0.0)
    c = np.where(shared, c, 0.0)
    n0 = np.where(shared, n0, 0.0)
    total = n1 + n0
    w = safe_divide(n1 * n0, total)
    w = np.where(shared, w, 0.0)
    r = np.where(shared, safe_divide(a * n0, total), 0.0).sum(axis=1)
    s = np.where(shared, safe_divide(c * n1, total), 0.0).sum(axis=1)
    weight = w.sum(axis=1)
    value = safe_divide(r, weight)
    reference_value = safe_divide(s, weight)
    ratio = safe_divide(r, s)
    # Greenland-Robins variance of log RR_MH.
    gr = np.where(shared, safe_divide(n1 * n0 * (a + c) - a * c * total, total * total), 0.0)
    var_log = safe_divide(gr.sum(axis=1), r * s)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(ratio)
        spread = z * np.sqrt(var_log)
        ratio_lower = np.exp(log_ratio - spread)
        ratio_upper = np.exp(log_ratio + spread)
    finite = np.isfinite(log_ratio) & np.isfinite(spread)
    ratio_lower = np.where(finite, ratio_lower, np.nan)
    ratio_upper = np.where(finite, ratio_upper, np.nan)
    # Cochran-Mantel-Haenszel test.
    m1 = a + c
    expected = np.where(shared, safe_divide(n1 * m1, total), 0.0)
    variance = np.where(
        shared & (total > 1),
        safe_divide(n1 * n0 * m1 * (total - m1), total * total * (total - 1)),
        0.0,
    )
    diff = a.sum(axis=1) - expected.sum(axis=1)
    var_sum = variance.sum(axis=1)
    chi2 = safe_divide(diff * diff, var_sum)
    p_value = np.where(var_sum > 0, chdtrc(1, np.nan_to_num(chi2)), 1.0)
    p_value = np.where(weight > 0, p_value, np.nan)
    # Interval for the standardised rate: Wilson at the Kish effective size.
    n_eff = _effective_size(w, n1, weight)
    lower, upper = wilson_interval(value * n_eff, n_eff, confidence=confidence)
    return Stratified(
        n=n1.sum(axis=1),
        n_reference=n0.sum(axis=1),
        value=value,
        value_lower=lower,
        value_upper=upper,
        reference_value=reference_value,
        ratio=ratio,
        ratio_lower=ratio_lower,
        ratio_upper=ratio_upper,
        p_value=p_value,
    )


def _effective_size(w: np.ndarray, n1: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Kish effective size of a rate standardised with stratum weights ``w``."""
    per_row = np.where(n1 > 0, safe_divide(w * w, n1), 0.0).sum(axis=1)
    return safe_divide(weight * weight, per_row)


def log_ratio_interval(
    ratio: np.ndarray, var_log: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval of a ratio on the log scale (NaN where undefined)."""
    z = z_value(confidence)
    ratio = np.asarray(ratio, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(ratio)
        spread = z * np.sqrt(np.asarray(var_log, dtype=float))
        lower = np.exp(log_ratio - spread)
        upper = np.exp(log_ratio + spread)
    ok = np.isfinite(log_ratio) & np.isfinite(spread)
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def auc_by_group(
    codes: np.ndarray, score: np.ndarray, label: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ROC AUC of ``score`` for ``label`` within each group, with Hanley–McNeil variances.

    ``codes`` are group indices 0..groups-1 (rows with code -1 are ignored). Ties get average
    ranks, so the AUC counts a tied pair as one half. Returns (auc, variance, positives,
    negatives), each of length ``groups``.
    """
    import pandas as pd  # pandas' grouped rank handles ties and is vectorised

    keep = codes >= 0
    codes = codes[keep]
    label = label[keep].astype(bool)
    ranks = (
        pd.Series(np.asarray(score, dtype=float)[keep])
        .groupby(codes)
        .rank(method="average")
        .to_numpy()
    )
    positives = np.bincount(codes, weights=label, minlength=groups)
    negatives = np.bincount(codes, minlength=groups) - positives
    rank_sum = np.bincount(codes, weights=np.where(label, ranks, 0.0), minlength=groups)
    auc = safe_divide(rank_sum - positives * (positives + 1) / 2, positives * negatives)
    q1 = safe_divide(auc, 2 - auc)
    q2 = safe_divide(2 * auc * auc, 1 + auc)
    variance = safe_divide(
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc),
        positives * negatives,
    )
    return auc, np.maximum(variance, 0.0), positives, negatives


def compare_proportions(
    events: np.ndarray, totals: np.ndarray, ref: int, *, confidence: float = 0.95
) -> dict[str, Any]:
    """Each group's own rate against the reference group's: Wilson CIs, rate ratio, p-value.

    The ratio's interval is the delta method on log(rate); the p-value is Fisher's exact test
    for small tables, else the two-proportion z test. Keys match ``group_findings``.
    """
    value = safe_divide(events, totals)
    lower, upper = wilson_interval(events, totals, confidence=confidence)
    ratio = safe_divide(value, value[ref])
    var_log = safe_divide(1.0, events) - safe_divide(1.0, totals)
    ratio_lower, ratio_upper = log_ratio_interval(
        ratio, var_log + var_log[ref], confidence=confidence
    )
    size = value.size
    p_value = fisher_or_z_p(events, totals, np.full(size, events[ref]), np.full(size, totals[ref]))
    return {
        "value": value,
        "lower": lower,
        "upper": upper,
        "reference_value": np.full(size, value[ref]),
        "ratio": ratio,
        "ratio_lower": ratio_lower,
        "ratio_upper": ratio_upper,
        "p_value": p_value,
    }
