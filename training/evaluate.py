"""Evaluate a model on held-out contacts, honestly about selective labels.

Observed-outcome metrics are computed on contacts that were acted on, whose outcomes are always
observed (``labels.acted_on``): judging on every observed outcome would flatter or fool the
evaluation, because after NFA an outcome is seen mostly when there was need. On synthetic data,
``true_risk`` gives the truth for every contact: the *expected* AUC under need ~ Bernoulli(true
risk), for the model and for ``true_risk`` itself, and mean estimates against mean true risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from data.codes import age_band
from training.labels import acted_on

BOOTSTRAP_RESAMPLES = 200


@dataclass
class Evaluation:
    """Headline metrics (with CIs) and metrics by group."""

    metrics: dict[str, float] = field(default_factory=dict)
    groups: list[dict[str, Any]] = field(default_factory=list)
    has_truth: bool = False

    def flat(self) -> dict[str, float]:
        """Headline metrics, finite only (for MLflow)."""
        return {k: v for k, v in self.metrics.items() if v is not None and np.isfinite(v)}


def expected_auc(score: np.ndarray, truth: np.ndarray) -> float:
    """AUC of ``score`` when each contact is a positive with probability ``truth``."""
    n = len(score)
    labels = np.r_[np.ones(n), np.zeros(n)]
    return float(roc_auc_score(labels, np.r_[score, score], sample_weight=np.r_[truth, 1 - truth]))


def calibration_error(probability: np.ndarray, outcome: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-frequency bins (mean |estimate - observed|)."""
    if len(probability) == 0:
        return float("nan")
    order = np.argsort(probability, kind="stable")
    error = 0.0
    for chunk in np.array_split(order, min(bins, len(order))):
        error += len(chunk) * abs(probability[chunk].mean() - outcome[chunk].mean())
    return float(error / len(probability))


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def bootstrap_ci(
    statistic, *arrays: np.ndarray, seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float]:
    """95% percentile bootstrap interval of ``statistic(*arrays)``."""
    rng = np.random.default_rng(seed)
    n = len(arrays[0])
    values = []
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        value = statistic(*(a[index] for a in arrays))
        if np.isfinite(value):
            values.append(value)
    if not values:
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def evaluate(frame: pd.DataFrame, probability: np.ndarray, *, seed: int = 0) -> Evaluation:
    """Metrics of ``probability`` on a held-out extract (see the module docstring)."""
    result = Evaluation(has_truth="true_risk" in frame and frame["true_risk"].notna().all())
    m = result.metrics
    acted = acted_on(frame) & frame["outcome_need_12m"].notna().to_numpy()
    y = frame["outcome_need_12m"].fillna(False).to_numpy(dtype=bool).astype(float)
    p_acted, y_acted = probability[acted], y[acted]
    m["rows"] = float(len(frame))
    m["label_coverage"] = float(frame["outcome_need_12m"].notna().mean())
    m["acted_on_rows"] = float(acted.sum())
    m["auc"] = _auc(y_acted, p_acted)
    m["auc_ci_low"], m["auc_ci_high"] = bootstrap_ci(_auc, y_acted, p_acted, seed=seed)
    m["calibration_error"] = calibration_error(p_acted, y_acted)
    m["calibration_error_ci_low"], m["calibration_error_ci_high"] = bootstrap_ci(
        calibration_error, p_acted, y_acted, seed=seed
    )
    if 0 < y_acted.sum() < len(y_acted):
        m["log_loss"] = float(log_loss(y_acted, np.clip(p_acted, 1e-12, 1 - 1e-12)))
        m["brier"] = float(brier_score_loss(y_acted, p_acted))
    observed = frame["outcome_need_12m"].notna().to_numpy()
    m["auc_all_observed_naive"] = _auc(y[observed], probability[observed])
    m["mean_estimate"] = float(probability.mean())
    if result.has_truth:
        truth = frame["true_risk"].to_numpy(dtype=float)
        m["truth_auc_model"] = expected_auc(probability, truth)
        m["truth_auc_best"] = expected_auc(truth, truth)
        m["truth_auc_ratio"] = m["truth_auc_model"] / m["truth_auc_best"]
        m["truth_mean"] = float(truth.mean())
        m["truth_mean_ratio"] = m["mean_estimate"] / m["truth_mean"]
        m["truth_calibration_error"] = calibration_error(probability, truth)
    result.groups = by_group(frame, probability, acted, y, truth_available=result.has_truth)
    return result


def by_group(
    frame: pd.DataFrame,
    probability: np.ndarray,
    acted: np.ndarray,
    y: np.ndarray,
    *,
    truth_available: bool,
) -> list[dict[str, Any]]:
    """Metrics for each age band and referral source."""
    attributes = {
        "age_band": frame["child_age_years"].map(age_band).to_numpy(),
        "referral_source": frame["referral_source"].astype(str).to_numpy(),
    }
    observed = frame["outcome_need_12m"].notna().to_numpy()
    rows = []
    for attribute, values in attributes.items():
        for group in pd.unique(values):
            member = values == group
            row: dict[str, Any] = {
                "attribute": attribute,
                "group": str(group),
                "n": int(member.sum()),
                "label_coverage": float(observed[member].mean()),
                "acted_on_n": int((member & acted).sum()),
                "mean_estimate": float(probability[member].mean()),
                "auc_acted_on": _auc(y[member & acted], probability[member & acted]),
                "observed_rate_acted_on": float(y[member & acted].mean())
                if (member & acted).any()
                else float("nan"),
            }
            if truth_available:
                truth = frame["true_risk"].to_numpy(dtype=float)[member]
                row["truth_mean"] = float(truth.mean())
                row["truth_mean_ratio"] = row["mean_estimate"] / row["truth_mean"]
                row["truth_auc_ratio"] = expected_auc(probability[member], truth) / expected_auc(
                    truth, truth
                )
            rows.append(row)
    return rows
