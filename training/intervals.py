"""Bootstrap refits made once at training time and stored with the model (models/interval.py).

Each replicate refits on a bootstrap resample of the labelled rows (multinomial counts as
weights, times the rows' own weights), seeded. Scoring runs every refit on the contact and reads
the basic bootstrap interval around the unresampled refit, widened to hold the shown estimate.

Linear family: the refits are logistic regressions on the same columns with the same lower
bounds but an almost negligible ridge penalty (``REFIT_ALPHA``) and no extra penalty on the
surface columns, fitted by projected Newton steps from the chosen model's fit. The shown
estimate is deliberately shrunk (its penalty is chosen for log-loss, and age and source are
penalised harder); shrinkage moves every resample the same way, so refits of the shown model
would give intervals that miss the truth far more often than they say. The nearly unpenalised
refits are centred where the data put the risk; the interval is their spread, reflected about
the unresampled refit (which turns back the lean of a nearly unpenalised fit in small samples),
together with the shown estimate. Trees are refitted as they were fitted (fewer times: each
refit costs seconds), calibrated as the model is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from models import features as F
from models.interval import Replicates
from models.model import TriageModel
from training import fit
from training.labels import Labels

LEVEL = 0.9
LINEAR_REPLICATES = 200
# A tree refit costs about a second per 10,000 rows on a loaded machine: fewer of them.
TREE_REPLICATES = 30
# The linear refits' ridge penalty (glum's scale: per row), every column alike: enough to keep a
# concern seen only with need (or only without) finite, too little to move the others.
REFIT_ALPHA = 1e-5
NEWTON_STEPS, NEWTON_TOLERANCE = 25, 1e-6


def bootstrap(
    model: TriageModel,
    x: np.ndarray,
    labels: Labels,
    *,
    seed: int,
    level: float = LEVEL,
    replicates: int | None = None,
) -> Replicates:
    """Refit on bootstrap resamples of the model's labelled rows.

    Parameters
    ----------
    model
        The chosen model, fitted on every labelled row (its ``metadata["params"]`` say how).
    x
        The training extract's model matrix.
    labels
        The labels it was fitted with.
    seed
        Seeds the resamples (and the trees' own randomness).
    level
        The interval's default level, stored with the refits.
    replicates
        How many refits (default 200 linear, 30 trees).
    """
    rows = np.flatnonzero(labels.rows)
    xr, y, weight = x[rows], labels.y_all[rows], labels.weight_all[rows]
    rng = np.random.default_rng([seed, 14])
    if model.family == "linear":
        count = replicates or LINEAR_REPLICATES
        start = np.concatenate([[model.estimator["intercept"]], model.coef])
        with threadpool_limits(limits=1, user_api="blas"):
            center = linear_refit(xr, y, weight, start=start)
            fits = np.vstack(
                [
                    linear_refit(xr, y, weight * _resample(rng, len(rows)), start=start)
                    for _ in range(count)
                ]
            )
        return Replicates(
            family="linear",
            level=level,
            calibration=(1.0, 0.0),
            intercept=fits[:, 0],
            coef=fits[:, 1:],
            seed=seed,
            center=center,
        )
    count = replicates or TREE_REPLICATES
    params = model.metadata["params"]
    estimators: list[Any] = []
    for b in range(count):
        counts = _resample(rng, len(rows))
        kept = counts > 0
        estimators.append(
            fit.fit_estimator(
                "tree", params, xr[kept], y[kept], (weight * counts)[kept], seed=seed + b
            )
        )
    return Replicates(
        family="tree",
        level=level,
        calibration=model.calibration,
        estimators=tuple(estimators),
        seed=seed,
    )


def _resample(rng: np.random.Generator, n: int) -> np.ndarray:
    """How often each row is drawn in one bootstrap resample of n rows."""
    return rng.multinomial(n, np.full(n, 1.0 / n)).astype(np.float64)


_LOWER_BOUNDED = np.concatenate([[False], F.MONOTONE > 0])


def linear_refit(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, *, start: np.ndarray
) -> np.ndarray:
    """``[intercept, *coef]`` of a weighted logistic regression with ``REFIT_ALPHA``'s ridge
    penalty (glum's scale), the monotone columns' coefficients kept at or above zero.

    Projected Newton: coefficients held at zero by their bound (and pushed below it by the
    gradient) stay out of each step; the step solves the penalised Newton system for the rest,
    and any bounded coefficient it takes below zero is put back at zero.
    """
    design = np.column_stack([np.ones(len(x)), x])
    penalty = np.full(design.shape[1], REFIT_ALPHA)
    penalty[0] = 0.0
    total = weight.sum()
    theta = np.where(_LOWER_BOUNDED, np.maximum(start, 0.0), start)
    for _ in range(NEWTON_STEPS):
        mu = expit(design @ theta)
        gradient = design.T @ (weight * (mu - y)) / total + penalty * theta
        free = ~(_LOWER_BOUNDED & (theta <= 0.0) & (gradient > 0.0))
        hessian = (design * (weight * mu * (1 - mu) / total)[:, None]).T @ design
        hessian += np.diag(penalty + 1e-12)
        step = np.zeros_like(theta)
        step[free] = np.linalg.solve(hessian[np.ix_(free, free)], gradient[free])
        theta = theta - step
        theta[_LOWER_BOUNDED] = np.maximum(theta[_LOWER_BOUNDED], 0.0)
        if np.abs(step).max() < NEWTON_TOLERANCE:
            break
    return theta
