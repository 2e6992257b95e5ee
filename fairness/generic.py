"""Generic audit of any decisions table: error and selection rates of each group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fairness.groups import Grouping, from_values, reference_index
from fairness.rates import compare_proportions
from fairness.report import Finding, group_findings, outside

GENERIC_METRICS: dict[str, str] = {
    "fpr": "false positive rate: share of label-negative rows predicted positive",
    "fnr": "false negative rate: share of label-positive rows predicted negative",
    "selection_rate": "share of rows predicted positive",
    "precision": "share of predicted-positive rows that are label-positive",
}
TRUE_VALUES = frozenset({"true", "1", "1.0", "y", "yes", "t"})
FALSE_VALUES = frozenset({"false", "0", "0.0", "n", "no", "f"})
NOT_BINARY = "{column} must be binary (true/false, 1/0, y/n); found {value!r}"
METHOD = "the group's own rate, Wilson CI; p: two-proportion z-test (Fisher's exact if sparse)"


def to_binary(series: pd.Series, column: str) -> np.ndarray:
    """A boolean-like column as floats 1.0/0.0, NaN where missing (ValueError on other values)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy(na_value=np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64").to_numpy(na_value=np.nan)
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            raise ValueError(NOT_BINARY.format(column=column, value=values[np.argmax(bad)]))
        return values
    text = series.astype("string").str.strip().str.lower()
    missing = text.isna() | (text == "")
    true = text.isin(TRUE_VALUES).to_numpy(dtype=bool, na_value=False)
    false = text.isin(FALSE_VALUES).to_numpy(dtype=bool, na_value=False)
    bad = ~(true | false | missing.to_numpy(dtype=bool))
    if bad.any():
        raise ValueError(NOT_BINARY.format(column=column, value=series.iloc[np.argmax(bad)]))
    return np.where(true, 1.0, np.where(false, 0.0, np.nan))


def generic_findings(
    label: np.ndarray,
    prediction: np.ndarray,
    groupings: Sequence[Grouping],
    *,
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> list[Finding]:
    """Per group FPR, FNR, selection rate and precision, each against the reference group's.

    ``label`` may be NaN (outcome not observed): such rows count for the selection rate only.
    """
    known = ~np.isnan(label)
    y = known & (label == 1)
    negative = known & (label == 0)
    predicted = prediction == 1
    findings: list[Finding] = []
    for grouping in groupings:
        ref = reference_index(grouping, reference)
        keep = grouping.codes >= 0
        codes = grouping.codes[keep]
        k = len(grouping.labels)

        def count(
            mask: np.ndarray, *, codes: np.ndarray = codes, keep: np.ndarray = keep, k: int = k
        ) -> np.ndarray:
            return np.bincount(codes, weights=mask[keep].astype(float), minlength=k)

        n = np.bincount(codes, minlength=k)
        tp = count(y & predicted)
        fp = count(negative & predicted)
        fn = count(y & ~predicted)
        tn = count(negative & ~predicted)
        selected = count(predicted)
        rates = {
            "fpr": (fp, fp + tn),
            "fnr": (fn, fn + tp),
            "selection_rate": (selected, n.astype(float)),
            "precision": (tp, tp + fp),
        }
        for metric, (events, totals) in rates.items():
            findings += _rate_findings(
                metric, events, totals, grouping, ref, n, min_n, ratio_band, confidence
            )
    return findings


def _rate_findings(
    metric: str,
    events: np.ndarray,
    totals: np.ndarray,
    grouping: Grouping,
    ref: int,
    n: np.ndarray,
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> list[Finding]:
    stats = compare_proportions(events, totals, ref, confidence=confidence)
    size = totals.size
    return group_findings(
        audit="generic",
        attribute=grouping.name,
        labels=grouping.labels,
        reference=ref,
        metric=metric,
        n=totals,
        **stats,
        material=outside(stats["ratio"], ratio_band),
        min_n=min_n,
        method=METHOD,
        present=n > 0,
        details=[{"events": events[i], "group_rows": n[i]} for i in range(size)],
    )


def generic_groupings(frame: pd.DataFrame, columns: Sequence[str]) -> list[Grouping]:
    """One grouping per column, by its values (as text)."""
    return [from_values(column, frame[column]) for column in columns]
