"""Labelling strategies for selectively observed outcomes.

``outcome_need_12m`` is observed for every contact that was acted on (early help, assessment,
strategy discussion), but after NFA, signposting or more-information only if the child came
back, which is likelier when there is need. Each strategy turns an extract into training rows,
labels and weights; ``docs/labels.md`` compares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from data.codes import ACTED_ON

Strategy = Literal["missing_negative", "complete_case", "acted_on", "acted_on_weighted"]
STRATEGIES: tuple[Strategy, ...] = (
    "missing_negative",
    "complete_case",
    "acted_on",
    "acted_on_weighted",
)
DESCRIPTIONS: dict[str, str] = {
    "missing_negative": "every contact; an unobserved outcome is read as 'no need'",
    "complete_case": "contacts with an observed outcome, whatever the decision",
    "acted_on": "contacts acted on (early help, assessment, strategy discussion) only",
    "acted_on_weighted": (
        "contacts acted on, weighted by 1 / P(acted on | inputs) so they stand for everyone"
    ),
}
MAX_WEIGHT = 20.0  # inverse-propensity weights are capped to keep the variance in check


@dataclass(frozen=True)
class Labels:
    """Which rows train the model, with labels and weights for every row (used where ``rows``)."""

    strategy: Strategy
    rows: np.ndarray
    y_all: np.ndarray
    weight_all: np.ndarray

    @property
    def count(self) -> int:
        """How many rows train the model."""
        return int(self.rows.sum())

    @property
    def y(self) -> np.ndarray:
        """Labels of the training rows."""
        return self.y_all[self.rows]

    @property
    def weight(self) -> np.ndarray:
        """Weights of the training rows."""
        return self.weight_all[self.rows]


def acted_on(frame: pd.DataFrame) -> np.ndarray:
    """True where the contact was acted on, so its outcome is always observed."""
    return frame["decision"].isin([d.value for d in ACTED_ON]).to_numpy(dtype=bool)


def label_coverage(frame: pd.DataFrame) -> float:
    """Share of contacts whose outcome is observed."""
    return float(frame["outcome_need_12m"].notna().mean()) if len(frame) else 0.0


def make_labels(frame: pd.DataFrame, matrix: np.ndarray, strategy: Strategy) -> Labels:
    """Apply a labelling strategy to an extract and its model matrix."""
    if "outcome_need_12m" not in frame or "decision" not in frame:
        raise ValueError("training needs the columns decision and outcome_need_12m")
    outcome = frame["outcome_need_12m"]
    observed = outcome.notna().to_numpy()
    y_all = outcome.fillna(False).to_numpy(dtype=bool).astype(np.float64)
    weight = np.ones(len(frame))
    if strategy == "missing_negative":
        rows = np.ones(len(frame), dtype=bool)
    elif strategy == "complete_case":
        rows = observed
    elif strategy in ("acted_on", "acted_on_weighted"):
        treated = acted_on(frame)
        rows = treated & observed
        if strategy == "acted_on_weighted":
            weight = inverse_propensity(matrix, treated)
    else:
        raise ValueError(f"unknown labelling strategy {strategy!r}; choose from {STRATEGIES}")
    return Labels(strategy, rows, y_all, weight)


def inverse_propensity(matrix: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """1 / P(acted on | inputs) from a logistic model, capped at ``MAX_WEIGHT``."""
    if treated.all() or not treated.any():
        return np.ones(len(treated))
    propensity = LogisticRegression(C=1.0, max_iter=1000).fit(matrix, treated)
    p = propensity.predict_proba(matrix)[:, 1]
    return np.minimum(1.0 / np.clip(p, 1e-6, 1.0), MAX_WEIGHT)
