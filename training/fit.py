"""Fit the candidate model families, choose by cross-validated log-loss, calibrate, band.

Candidates (each explained exactly, see ``models.model``):

- ``linear``: logistic regression with an L2 penalty (glum), coefficients of concerns, a previous
  CP plan, an open early-help case and prior contacts bounded below by 0, so another reported
  concern never lowers the estimate;
- ``tree``: scikit-learn's HistGradientBoostingClassifier on the same one-hot matrix (never its
  ``categorical_features``: shap issue 3436) with the same monotone constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_limits

from models import features as F
from models.model import Family, TriageModel
from training.labels import Labels

LINEAR_ALPHAS: tuple[float, ...] = (1e-5, 1e-4, 1e-3)
# Multipliers of the penalty on the surface columns (age band, referral source): with a heavier
# penalty the model uses who the child is and who called only where the data insist. Chosen by
# cross-fitted log-loss like the penalty itself.
SURFACE_PENALTIES: tuple[float, ...] = (1.0, 30.0)
TREE_SETTINGS: tuple[dict[str, Any], ...] = (
    {"learning_rate": 0.1, "max_iter": 150, "max_leaf_nodes": 15, "min_samples_leaf": 40},
    {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 7, "min_samples_leaf": 80},
)


@dataclass(frozen=True)
class Candidate:
    """One family with one setting, and its cross-fitted results."""

    family: Family
    params: dict[str, Any]
    cv_log_loss: float
    oof_raw: np.ndarray  # out-of-fold log-odds for every row of the extract

    @property
    def name(self) -> str:
        """A short label, e.g. ``linear(alpha=0.001)``."""
        inner = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.family}({inner})"


def assign_folds(n: int, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """A fold number 0..folds-1 for each of n rows, at random."""
    return np.random.default_rng(seed).permutation(n) % folds


def fit_estimator(
    family: Family,
    params: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    *,
    seed: int,
) -> Any:
    """Fit one estimator; linear fits are returned as ``{"coef", "intercept"}``."""
    if family == "linear":
        from glum import GeneralizedLinearRegressor

        lower = np.where(F.MONOTONE > 0, 0.0, -np.inf)
        penalty = np.where(F.SURFACE, params.get("surface_penalty", 1.0), 1.0)
        glm = GeneralizedLinearRegressor(
            family="binomial",
            alpha=params["alpha"],
            l1_ratio=0.0,
            P2=penalty,
            lower_bounds=lower,
            fit_intercept=True,
            max_iter=500,
        )
        glm.fit(x, y, sample_weight=weight)
        return {"coef": np.asarray(glm.coef_, dtype=np.float64), "intercept": float(glm.intercept_)}
    model = HistGradientBoostingClassifier(
        **params,
        l2_regularization=1.0,
        monotonic_cst=F.MONOTONE.tolist(),
        early_stopping=False,
        random_state=seed,
    )
    # One OpenMP thread: on these 2-core machines more threads made fitting 5-8 times slower.
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.fit(x, y, sample_weight=weight)


def raw_output(family: Family, estimator: Any, x: np.ndarray) -> np.ndarray:
    """Log-odds from a fitted estimator of either family."""
    if family == "linear":
        return estimator["intercept"] + x @ estimator["coef"]
    with threadpool_limits(limits=1, user_api="openmp"):
        return estimator.decision_function(x)


def cross_fit(
    family: Family,
    params: dict[str, Any],
    x: np.ndarray,
    labels: Labels,
    folds: np.ndarray,
    *,
    seed: int = 0,
) -> Candidate:
    """Out-of-fold log-odds for every row, and the weighted log-loss on the labelled rows.

    Each fold is predicted by a model fitted on the labelled rows of the other folds, so every
    contact (labelled or not) gets an honest held-out estimate.
    """
    oof = np.zeros(len(x))
    for k in np.unique(folds):
        held = folds == k
        train = labels.rows & ~held
        estimator = fit_estimator(
            family, params, x[train], labels.y_all[train], labels.weight_all[train], seed=seed
        )
        oof[held] = raw_output(family, estimator, x[held])
    rows = labels.rows
    loss = log_loss(
        labels.y_all[rows],
        np.clip(expit(oof[rows]), 1e-12, 1 - 1e-12),
        sample_weight=labels.weight_all[rows],
    )
    return Candidate(family, params, float(loss), oof)


def grid(families: Iterable[Family]) -> list[tuple[Family, dict[str, Any]]]:
    """Every (family, setting) pair to compare."""
    pairs: list[tuple[Family, dict[str, Any]]] = []
    for family in families:
        settings = (
            [{"alpha": a, "surface_penalty": m} for a in LINEAR_ALPHAS for m in SURFACE_PENALTIES]
            if family == "linear"
            else list(TREE_SETTINGS)
        )
        pairs.extend((family, s) for s in settings)
    return pairs


def compare(
    x: np.ndarray,
    labels: Labels,
    folds: np.ndarray,
    *,
    families: Iterable[Family] = ("linear", "tree"),
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Candidate]:
    """Cross-fit every candidate; best (lowest held-out log-loss) first."""
    results = []
    for family, params in grid(families):
        progress(f"cross-fitting {family} {params}")
        results.append(cross_fit(family, params, x, labels, folds, seed=seed))
    return sorted(results, key=lambda c: c.cv_log_loss)


def platt(raw: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """Fit ``probability = sigmoid(a * raw + b)`` on held-out (out-of-fold) outputs."""
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(raw.reshape(-1, 1), y, sample_weight=weight)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def band_edges(probability: np.ndarray, bands: int) -> np.ndarray:
    """Equal-frequency band edges: the k-quantiles of the training population's estimates."""
    edges = np.quantile(probability, np.arange(1, bands) / bands)
    return np.maximum.accumulate(edges)


def cross_calibrated(candidate: Candidate, labels: Labels, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold calibrated probabilities for every row (Platt fitted on the other folds)."""
    probability = np.zeros(len(folds))
    for k in np.unique(folds):
        held = folds == k
        train = labels.rows & ~held
        a, b = platt(candidate.oof_raw[train], labels.y_all[train], labels.weight_all[train])
        probability[held] = expit(a * candidate.oof_raw[held] + b)
    return probability


def build_model(
    chosen: Candidate,
    x: np.ndarray,
    labels: Labels,
    *,
    bands: int,
    seed: int,
) -> TriageModel:
    """Refit the chosen candidate on every labelled row; calibrate on its out-of-fold outputs."""
    rows = labels.rows
    estimator = fit_estimator(
        chosen.family, chosen.params, x[rows], labels.y, labels.weight, seed=seed
    )
    calibration = platt(chosen.oof_raw[rows], labels.y, labels.weight)
    model = TriageModel(
        family=chosen.family,
        estimator=estimator,
        calibration=calibration,
        band_edges=np.zeros(bands - 1),
        background=x.mean(axis=0),
        label_strategy=labels.strategy,
        feature_names=F.FEATURE_NAMES,
        metadata={"params": chosen.params, "cv_log_loss": chosen.cv_log_loss},
    )
    model.band_edges = band_edges(model.probability(x), bands)
    return model
