"""The fitted second-opinion model: raw log-odds, calibration, risk bands and exact SHAP values.

``TriageModel`` holds a fitted estimator of one of two families:

- ``linear``: a logistic regression whose coefficients for concerns, a previous child protection
  plan, an open early-help case and prior contacts are bounded below by zero;
- ``tree``: gradient-boosted trees with the same monotone constraints.

Both give a raw output in log-odds (``model_output``). The probability is Platt calibration of
that output, ``probability = sigmoid(a * model_output + b)``, with ``a`` and ``b`` fitted on
out-of-fold outputs (see docs/model.md). Risk bands 1..k are equal-frequency on the training
population: band edges are the training probabilities' k-quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.special import expit

from data.bands import band_of

Family = Literal["linear", "tree"]


@dataclass
class TriageModel:
    """A fitted, calibrated, banded model over ``models.features`` matrices."""

    family: Family
    estimator: Any
    calibration: tuple[float, float]
    band_edges: np.ndarray
    background: np.ndarray
    label_strategy: str
    feature_names: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    _tree_explainer: Any = field(default=None, repr=False, compare=False)

    @property
    def bands(self) -> int:
        """How many risk bands there are."""
        return len(self.band_edges) + 1

    @property
    def is_additive(self) -> bool:
        """True when the raw output is a sum of per-column terms (the linear family)."""
        return self.family == "linear"

    @property
    def coef(self) -> np.ndarray:
        """Linear family: the coefficient of each model column."""
        return np.asarray(self.estimator["coef"], dtype=np.float64)

    def raw_output(self, matrix: np.ndarray) -> np.ndarray:
        """The model's output in log-odds, before calibration."""
        if self.family == "linear":
            return self.estimator["intercept"] + matrix @ self.coef
        from threadpoolctl import threadpool_limits

        # One OpenMP thread: more made prediction several times slower on 2-core machines.
        with threadpool_limits(limits=1, user_api="openmp"):
            return np.asarray(self.estimator.decision_function(matrix), dtype=np.float64)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Map raw log-odds to calibrated probabilities (Platt scaling)."""
        a, b = self.calibration
        return expit(a * np.asarray(raw) + b)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability of need within 12 months."""
        return self.calibrate(self.raw_output(matrix))

    def band(self, probability: np.ndarray) -> np.ndarray:
        """Risk band 1..bands for each probability (:func:`data.bands.band_of`)."""
        return band_of(probability, self.band_edges)

    def shap_values(self, matrix: np.ndarray) -> tuple[float, np.ndarray]:
        """Exact SHAP values in log-odds: ``(base_value, rows x columns)``.

        Linear: the interventional values of shap's LinearExplainer with an independent
        masker on the training population, ``coef * (x - mean)``. Tree: shap's TreeExplainer
        (path-dependent, exact). Either way ``base_value + row sum == raw_output``.
        """
        if self.family == "linear":
            base = float(self.estimator["intercept"] + self.background @ self.coef)
            return base, (matrix - self.background) * self.coef
        explainer = self.tree_explainer()
        values = np.asarray(explainer.shap_values(matrix, check_additivity=False))
        return float(np.ravel(explainer.expected_value)[0]), values

    def tree_explainer(self) -> Any:
        """The TreeExplainer, built once on first use (not pickled with the model)."""
        if self._tree_explainer is None:
            import shap

            self._tree_explainer = shap.TreeExplainer(self.estimator)
        return self._tree_explainer

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_tree_explainer"] = None
        return state
