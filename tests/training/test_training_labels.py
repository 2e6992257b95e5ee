"""Labelling strategies for selectively observed outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from data.codes import ACTED_ON
from data.synthetic import GeneratorConfig, generate
from models import features as F
from training.labels import MAX_WEIGHT, STRATEGIES, make_labels


@pytest.fixture(scope="module")
def extract():
    frame = generate(GeneratorConfig(rows=3_000, seed=8))
    return frame, F.build_matrix(frame)


def test_each_strategy_selects_the_rows_it_says(extract):
    frame, x = extract
    observed = frame["outcome_need_12m"].notna().to_numpy()
    acted = frame["decision"].isin([d.value for d in ACTED_ON]).to_numpy()
    rows = {s: make_labels(frame, x, s).rows for s in STRATEGIES}
    assert rows["missing_negative"].all()
    assert (rows["complete_case"] == observed).all()
    assert (rows["acted_on"] == (acted & observed)).all()
    assert (rows["acted_on_weighted"] == rows["acted_on"]).all()


def test_missing_outcomes_read_as_negative_only_in_that_strategy(extract):
    frame, x = extract
    labels = make_labels(frame, x, "missing_negative")
    missing = frame["outcome_need_12m"].isna().to_numpy()
    assert (labels.y_all[missing] == 0).all()
    assert labels.y.mean() < make_labels(frame, x, "complete_case").y.mean()


def test_inverse_propensity_weights_are_bounded_and_not_trivial(extract):
    frame, x = extract
    weights = make_labels(frame, x, "acted_on_weighted").weight
    assert (weights >= 1).all() and (weights <= MAX_WEIGHT).all()
    assert np.ptp(weights) > 0.5


def test_unknown_strategy_and_missing_columns_are_named(extract):
    frame, x = extract
    with pytest.raises(ValueError, match="unknown labelling strategy 'guess'"):
        make_labels(frame, x, "guess")
    with pytest.raises(ValueError, match="outcome_need_12m"):
        make_labels(frame.drop(columns=["outcome_need_12m"]), x, "acted_on")
