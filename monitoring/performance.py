"""How well the estimates did, by cohort month and group, once outcomes have matured.

A cohort (the contacts received in one month) is judged only when every contact in it has had
``outcome_months`` (12) for its outcome to show. As in training, the model is judged on contacts
that were **acted on** (early help, assessment, strategy discussion), whose outcomes are always
observed: after NFA an outcome is seen mostly when there was need, which would flatter the AUC and
make the estimates look too low. Label coverage is reported for every month and group so a reader
can see how much of the group the figures stand for.

- ``calibration_oe``: observed outcomes / sum of estimates (1 = calibrated), with an exact Poisson
  interval for the observed count (slightly conservative), and the z test of observed against
  expected with variance ``sum(p * (1 - p))``; material outside ``ratio_band``.
- ``auc``: with its Hanley-McNeil interval, and the one-sided test that it is below ``min_auc``
  (the quality gate's floor); material when the estimate is under the floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import chi2

from data.codes import ACTED_ON
from fairness import (
    Grouping,
    auc_by_group,
    contract_groupings,
    outside,
    safe_divide,
    two_sided_p,
    z_value,
)
from monitoring.checks import Check
from monitoring.drift import ALL_CONTACTS
from reporting import clean

GROUP_ATTRIBUTES: tuple[str, ...] = ("age_band", "referral_source")
MIN_CLASS = 10  # fewest positives and negatives for an AUC
Z95 = z_value(0.95)


def groupings_of(frame: pd.DataFrame) -> list[Grouping]:
    """Everyone as one group, then age bands and referral sources."""
    everyone = Grouping(ALL_CONTACTS, np.zeros(len(frame), dtype=np.int64), (ALL_CONTACTS,))
    return [everyone, *contract_groupings(frame, GROUP_ATTRIBUTES)]


def _where(grouping: Grouping, label: str) -> str:
    return ALL_CONTACTS if grouping.name == ALL_CONTACTS else f"{grouping.name}={label}"


def poisson_interval(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) 95% interval for Poisson counts."""
    observed = np.asarray(observed, dtype=float)
    lower = np.where(observed > 0, chi2.ppf(0.025, 2 * observed) / 2, 0.0)
    upper = chi2.ppf(0.975, 2 * observed + 2) / 2
    return lower, upper


def _cohort_checks(
    grouping: Grouping,
    codes: np.ndarray,
    probability: np.ndarray,
    outcome: np.ndarray,
    month: str,
    *,
    group_min_n: int,
    ratio_band: tuple[float, float],
    min_auc: float,
) -> list[Check]:
    k = len(grouping.labels)
    n = np.bincount(codes, minlength=k)
    observed = np.bincount(codes, weights=outcome, minlength=k)
    expected = np.bincount(codes, weights=probability, minlength=k)
    variance = np.bincount(codes, weights=probability * (1 - probability), minlength=k)
    oe = safe_divide(observed, expected)
    low, high = poisson_interval(observed)
    p_oe = two_sided_p(safe_divide(observed - expected, np.sqrt(variance)))
    auc, auc_var, positives, negatives = auc_by_group(codes, probability, outcome, k)
    se = np.sqrt(auc_var)
    p_auc = ndtr(safe_divide(auc - min_auc, se))
    material_oe = outside(oe, ratio_band)
    checks = []
    for g, label in enumerate(grouping.labels):
        if n[g] == 0:
            continue
        where = _where(grouping, label)
        enough = n[g] >= group_min_n and variance[g] > 0
        checks.append(
            Check(
                kind="performance",
                month=month,
                what="calibration_oe",
                where=where,
                measure="observed_expected",
                n=int(n[g]),
                strength=float(oe[g]),
                p_value=float(p_oe[g]) if enough else math.nan,
                material=bool(material_oe[g]),
                status="tested" if enough else "insufficient_data",
                ci=(float(low[g] / expected[g]), float(high[g] / expected[g])),
                level="material" if material_oe[g] else "",
                details={"observed": float(observed[g]), "expected": float(expected[g])},
            )
        )
        enough_auc = n[g] >= group_min_n and min(positives[g], negatives[g]) >= MIN_CLASS
        enough_auc = enough_auc and se[g] > 0
        checks.append(
            Check(
                kind="performance",
                month=month,
                what="auc",
                where=where,
                measure="auc",
                n=int(n[g]),
                strength=float(auc[g]),
                p_value=float(p_auc[g]) if enough_auc else math.nan,
                material=bool(auc[g] < min_auc),
                status="tested" if enough_auc else "insufficient_data",
                ci=(
                    float(max(auc[g] - Z95 * se[g], 0.0)),
                    float(min(auc[g] + Z95 * se[g], 1.0)),
                ),
                level="below the floor" if auc[g] < min_auc else "",
                details={
                    "positives": int(positives[g]),
                    "negatives": int(negatives[g]),
                    "floor": min_auc,
                },
            )
        )
    return checks


def performance_checks(
    frame: pd.DataFrame,
    month_pos: np.ndarray,
    months: Sequence[str],
    mature: Sequence[bool],
    *,
    group_min_n: int,
    ratio_band: tuple[float, float],
    min_auc: float,
) -> tuple[list[Check], list[dict[str, Any]]]:
    """Calibration and AUC checks of mature cohorts, and label coverage of every cohort."""
    probability = frame["probability"].to_numpy(dtype=float)
    observed = frame["outcome_need_12m"].notna().to_numpy()
    outcome = frame["outcome_need_12m"].fillna(False).to_numpy(dtype=bool).astype(float)
    acted = frame["decision"].isin([d.value for d in ACTED_ON]).to_numpy(dtype=bool)
    judged = acted & observed
    checks: list[Check] = []
    coverage: list[dict[str, Any]] = []
    for grouping in groupings_of(frame):
        for m, month in enumerate(months):
            in_month = (month_pos == m) & (grouping.codes >= 0)
            coverage += _coverage_rows(grouping, in_month, observed, judged, month, mature[m])
            if not mature[m]:
                continue
            rows = in_month & judged
            checks += _cohort_checks(
                grouping,
                grouping.codes[rows],
                probability[rows],
                outcome[rows],
                month,
                group_min_n=group_min_n,
                ratio_band=ratio_band,
                min_auc=min_auc,
            )
    return checks, coverage


def _coverage_rows(
    grouping: Grouping,
    in_month: np.ndarray,
    observed: np.ndarray,
    judged: np.ndarray,
    month: str,
    mature: bool,
) -> list[dict[str, Any]]:
    k = len(grouping.labels)
    codes = grouping.codes[in_month]
    n = np.bincount(codes, minlength=k)
    seen = np.bincount(codes, weights=observed[in_month], minlength=k)
    acted = np.bincount(codes, weights=judged[in_month], minlength=k)
    return [
        clean(
            {
                "month": month,
                "where": _where(grouping, label),
                "n": int(n[g]),
                "label_coverage": seen[g] / n[g],
                "acted_on_with_outcome": int(acted[g]),
                "mature": mature,
            }
        )
        for g, label in enumerate(grouping.labels)
        if n[g] > 0
    ]
