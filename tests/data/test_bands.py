"""The one banding rule: a probability exactly on a cut belongs to the band above, everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from data.bands import band_of
from fairness.audit import risk_strata
from models.model import TriageModel

CUTS = [0.2, 0.5, 0.8]  # four bands: [0, 0.2), [0.2, 0.5), [0.5, 0.8), [0.8, 1]


@pytest.mark.parametrize(
    ("probability", "band"),
    [
        (0.0, 1),
        (0.1999, 1),
        (0.2, 2),  # on a cut: the band above
        (0.35, 2),
        (0.5, 3),
        (0.7999, 3),
        (0.8, 4),
        (1.0, 4),
    ],
)
def test_band_of_hand_worked_values(probability, band):
    assert band_of(np.array([probability]), CUTS).tolist() == [band]


def test_band_of_keeps_the_shape_and_gives_integers():
    bands = band_of(np.array([[0.0, 0.5], [0.8, 1.0]]), CUTS)
    assert bands.tolist() == [[1, 3], [4, 4]]
    assert bands.dtype == np.int64


def test_equal_cuts_leave_the_bands_between_them_empty():
    # Heavy ties make equal quantile cuts; the tied value goes above both, band 2 stays empty.
    assert band_of(np.array([0.05, 0.1, 0.1, 0.3]), [0.1, 0.1, 0.2]).tolist() == [1, 3, 3, 4]


def test_no_cuts_is_one_band():
    assert band_of(np.array([0.0, 0.5, 1.0]), []).tolist() == [1, 1, 1]


def test_the_model_bands_with_the_same_rule():
    model = TriageModel(
        family="linear",
        estimator={"coef": np.zeros(1), "intercept": 0.0},
        calibration=(1.0, 0.0),
        band_edges=np.array(CUTS),
        background=np.zeros(1),
        label_strategy="acted_on",
        feature_names=("x",),
    )
    probability = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
    assert model.band(probability).tolist() == [1, 2, 3, 4, 4]


def test_the_fairness_strata_band_with_the_same_rule():
    # Quartile cuts of 0, 1/8, ..., 1 are 0.25, 0.5 and 0.75: values in the data, on the cut.
    probability = np.arange(9) / 8
    strata, cuts = risk_strata(probability, 4)
    assert cuts == [0.25, 0.5, 0.75]
    assert strata.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3]  # 0-based: band - 1
