"""Small fitted models of both families, built once per session from generated data."""

from __future__ import annotations

import pandas as pd
import pytest

from data.synthetic import GeneratorConfig, generate
from models import features as F
from models.model import TriageModel
from training import fit
from training.labels import make_labels


def fitted(family: str, params: dict, frame: pd.DataFrame) -> TriageModel:
    """Cross-fit one candidate and build the calibrated, banded model from it."""
    x = F.build_matrix(frame)
    labels = make_labels(frame, x, "acted_on")
    folds = fit.assign_folds(len(frame), folds=3, seed=0)
    candidate = fit.cross_fit(family, params, x, labels, folds, seed=0)
    return fit.build_model(candidate, x, labels, bands=10, seed=0)


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return generate(GeneratorConfig(rows=6_000, seed=21))


@pytest.fixture(scope="session")
def contacts() -> pd.DataFrame:
    """Contacts the models never saw."""
    return generate(GeneratorConfig(rows=400, seed=22))


@pytest.fixture(scope="session")
def linear_model(training_frame) -> TriageModel:
    return fitted("linear", {"alpha": 1e-4}, training_frame)


@pytest.fixture(scope="session")
def tree_model(training_frame) -> TriageModel:
    params = {"learning_rate": 0.1, "max_iter": 60, "max_leaf_nodes": 7, "min_samples_leaf": 40}
    return fitted("tree", params, training_frame)


@pytest.fixture(params=["linear", "tree"])
def model(request, linear_model, tree_model) -> TriageModel:
    return linear_model if request.param == "linear" else tree_model
