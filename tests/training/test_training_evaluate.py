"""Evaluation helpers: expected AUC under the truth, calibration error, bootstrap CIs, gates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from config.settings import Settings
from training.evaluate import bootstrap_ci, calibration_error, expected_auc
from training.policy import quality_gates


def brute_force_expected_auc(score, truth):
    """P(score_i > score_j) over ordered pairs i != j, weighted by p_i (1 - p_j); ties half."""
    num = den = 0.0
    for i, j in itertools.permutations(range(len(score)), 2):
        w = truth[i] * (1 - truth[j])
        num += w * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
        den += w
    return num / den


def test_expected_auc_matches_pairwise_definition_up_to_self_pairs():
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.05, 0.9, 300)
    score = truth + rng.normal(0, 0.2, 300)
    assert expected_auc(score, truth) == pytest.approx(
        brute_force_expected_auc(score, truth), abs=5e-3
    )
    assert expected_auc(truth, truth) > expected_auc(score, truth)


def test_calibration_error_is_zero_when_calibrated_and_grows_when_not():
    p = np.repeat([0.1, 0.5, 0.9], 100)
    y = np.concatenate(
        [
            np.r_[np.ones(10), np.zeros(90)],
            np.r_[np.ones(50), np.zeros(50)],
            np.r_[np.ones(90), np.zeros(10)],
        ]
    )
    assert calibration_error(p, y, bins=3) == pytest.approx(0.0, abs=1e-12)
    assert calibration_error(np.clip(p + 0.1, 0, 1), y, bins=3) == pytest.approx(0.1 - 0.0 / 3)


def test_bootstrap_interval_contains_the_estimate():
    rng = np.random.default_rng(1)
    values = rng.normal(3.0, 1.0, 500)
    low, high = bootstrap_ci(np.mean, values, seed=2)
    assert low < values.mean() < high
    assert high - low < 0.5


def test_gates_pass_and_fail_on_thresholds():
    settings = Settings(gate_min_auc=0.7, gate_max_calibration_error=0.05)
    good = {"auc": 0.74, "calibration_error": 0.02, "acted_on_rows": 5000.0}
    assert all(g.passed for g in quality_gates(good, settings))
    bad = {"auc": 0.66, "calibration_error": 0.09, "acted_on_rows": 50.0, "truth_auc_ratio": 0.5}
    failed = {g.name for g in quality_gates(bad, settings) if not g.passed}
    assert failed == {"auc", "calibration_error", "labelled_rows", "auc_ratio_to_truth"}
    assert not quality_gates({"auc": float("nan")}, settings)[1].passed
