"""How sure: an interval around each probability from bootstrap refits stored with the model.

Training (``training/intervals.py``) refits on bootstrap resamples of the labelled rows and
stores the refits, as :class:`Replicates`, in the model's metadata (``metadata["interval"]``).
Scoring runs every refit on the contact and reads the basic bootstrap interval from the central
``level`` share of their log-odds (:func:`bounds`), widened to hold the shown estimate. Pure
(numpy); the refits are data, not a fit here.

The interval describes where the risk could lie given another draw of the same history: the
sampling uncertainty of the fit, together with the shown estimate. It does not cover errors the
training data share with every resample (outcomes never seen, practice that has changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.special import expit

from models.model import TriageModel

METHOD = "bootstrap"
# The metadata key a model's refits are stored under; older models have none.
METADATA_KEY = "interval"
# Rows scored at once: the replicates make a rows x replicates array per chunk.
CHUNK_ROWS = 5_000
# Text when a model carries no refits (registered before intervals were stored).
UNAVAILABLE = (
    "No interval: this model version was registered before intervals were stored with models, "
    "so how far the estimate could move cannot be said. Retrain to get one."
)


@dataclass(frozen=True)
class Replicates:
    """Bootstrap refits of a model, made at training time (``training/intervals.py``).

    ``linear``: each refit's intercept and coefficients (``replicates`` and ``replicates x
    columns``). ``tree``: each refit's fitted estimator.
    """

    family: Literal["linear", "tree"]
    level: float
    calibration: tuple[float, float]  # each refit's probability: sigmoid(a * log-odds + b)
    intercept: np.ndarray | None = None
    coef: np.ndarray | None = None
    estimators: tuple[Any, ...] = ()
    seed: int = 0
    # Linear: the same refit on the rows as they are, which the resamples vary around (trees
    # vary around the model itself).
    center: np.ndarray | None = None  # [intercept, *coef]

    @property
    def count(self) -> int:
        """How many refits there are."""
        if self.family == "linear":
            return 0 if self.intercept is None else len(self.intercept)
        return len(self.estimators)

    def raw_outputs(self, matrix: np.ndarray) -> np.ndarray:
        """Each refit's log-odds for each row: ``rows x replicates``."""
        if self.family == "linear":
            assert self.coef is not None and self.intercept is not None
            return np.asarray(matrix @ self.coef.T + self.intercept, dtype=np.float64)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            return np.column_stack([e.decision_function(matrix) for e in self.estimators])

    def center_output(self, model: TriageModel, matrix: np.ndarray) -> np.ndarray:
        """The log-odds the refits vary around, for each row."""
        if self.center is None:
            return model.raw_output(matrix)
        return np.asarray(self.center[0] + matrix @ self.center[1:], dtype=np.float64)


def replicates_of(model: TriageModel) -> Replicates | None:
    """The model's stored refits, or None for a model registered without them."""
    found = model.metadata.get(METADATA_KEY)
    return found if isinstance(found, Replicates) and found.count > 1 else None


def bounds(
    model: TriageModel,
    matrix: np.ndarray,
    probability: np.ndarray,
    *,
    level: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Lower and upper probability of each row at ``level`` (default: the stored level).

    The basic (reverse-percentile) bootstrap in log-odds: with ``c`` the unresampled fit and
    ``q`` the refits' quantiles, ``[2c - q_high, 2c - q_low]``, so a fit's lean in small
    samples (refits lean the same way again) is turned back rather than repeated. Mapped to
    probabilities by the refits' calibration, then widened where needed so the interval always
    holds the shown estimate. None when the model has no refits.

    Parameters
    ----------
    model
        The fitted model, with ``metadata["interval"]`` (:class:`Replicates`).
    matrix
        Model rows (``models.features``).
    probability
        The model's own estimate for each row.
    level
        Central share of the refits' estimates, e.g. 0.9.
    """
    found = replicates_of(model)
    if found is None:
        return None
    level = found.level if level is None else level
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    a, b = found.calibration
    quantiles = [(1 - level) / 2, (1 + level) / 2]
    low, high = np.empty(len(matrix)), np.empty(len(matrix))
    for start in range(0, len(matrix), CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        q_low, q_high = row_quantiles(found.raw_outputs(matrix[rows]), quantiles)
        center = found.center_output(model, matrix[rows])
        low[rows] = expit(a * (2 * center - q_high) + b)
        high[rows] = expit(a * (2 * center - q_low) + b)
    return np.minimum(low, probability), np.maximum(high, probability), level


def row_quantiles(values: np.ndarray, quantiles: list[float]) -> np.ndarray:
    """``np.quantile(values, quantiles, axis=1)`` (its default "linear" method, the same
    arithmetic, so the same bits) without its per-call overhead, which was most of the interval's
    cost for the one row of a scored contact (py-spy). ``quantiles`` in [0, 1]; no NaN."""
    ordered = np.sort(values, axis=1)
    count = ordered.shape[1]
    virtual = (count - 1) * np.asarray(quantiles, dtype=np.float64)
    below = np.floor(virtual).astype(np.intp)
    above = np.minimum(below + 1, count - 1)
    gamma = virtual - below
    low, high = ordered[:, below], ordered[:, above]
    step = high - low
    # numpy's _lerp: from the nearer neighbour, so a weight of 1 gives that value exactly
    return np.where(gamma >= 0.5, high - step * (1 - gamma), low + step * gamma).T


def interval_record(
    low: float, high: float, band_low: int, band_high: int, level: float, replicates: int
) -> dict[str, Any]:
    """The JSON of one interval, with its sentence."""
    return {
        "level": level,
        "low": low,
        "high": high,
        "band_low": band_low,
        "band_high": band_high,
        "method": METHOD,
        "replicates": replicates,
        "text": interval_text(low, high, band_low, band_high, level),
    }


def interval_text(low: float, high: float, band_low: int, band_high: int, level: float) -> str:
    """E.g. 'Between 14% and 29% (bands 5 to 7), at 90%.'"""
    bands = f"band {band_low}" if band_low == band_high else f"bands {band_low} to {band_high}"
    return (
        f"Between {low:.0%} and {high:.0%} ({bands}): where {level:.0%} of the estimates of the "
        "same model trained on other draws of the same history fall."
    )
