"""The promotion policy on hand-written figures: each gate, automatic and manual, forced."""

from __future__ import annotations

import math

import pytest

from config.settings import Settings
from training.policy import (
    AUC_GATE,
    CALIBRATION_GATE,
    FAIRNESS_GATE,
    FORCE_IS_MANUAL,
    FORCE_NEEDS_REASON,
    NO_GATES,
    Gate,
    judge,
    may_promote,
)

SETTINGS = Settings(
    gate_min_auc=0.65,
    gate_max_calibration_error=0.05,
    gate_min_labelled_rows=200,
    gate_min_auc_ratio_to_truth=0.9,
    fairness_gate_min_coverage=0.8,
    fairness_gate_max_ratio=1.25,
    retrain_max_auc_loss=0.01,
    retrain_max_calibration_increase=0.01,
)
GOOD = {"auc": 0.72, "calibration_error": 0.02, "acted_on_rows": 1_000}


def _finding(metric: str, group: str, value: float, ratio: float = 1.0, p: float = 1.0) -> dict:
    return {
        "audit": "model",
        "attribute": "age_band",
        "group": group,
        "reference": "5-9",
        "metric": metric,
        "n": 500,
        "value": value,
        "ci": [value, value],
        "reference_value": value / ratio,
        "difference": value - value / ratio,
        "ratio": ratio,
        "p_adjusted": p,
        "verdict": "disparity" if p < 0.05 else "no_disparity_detected",
    }


def _report(*, ratio: float = 1.0, p: float = 1.0, coverage: float = 0.9) -> dict:
    """A model audit with one calibration comparison of teenagers with 5-9 year olds."""
    return {
        "findings": [
            _finding("label_coverage", "13-15", coverage),
            _finding("label_coverage", "5-9", coverage),
            _finding("calibration_oe", "13-15", 1.0, ratio=ratio, p=p),
        ]
    }


FAIR = _report()


def _verdicts(gates: list[Gate]) -> dict[str, bool]:
    return {g.name: g.passed for g in gates}


def test_a_good_version_passes_every_gate_and_is_promoted_automatically():
    judgement = judge(GOOD, FAIR, settings=SETTINGS)
    assert _verdicts(judgement.gates) == {
        "labelled_rows": True,
        "auc": True,
        "calibration_error": True,
        FAIRNESS_GATE: True,
    }
    assert judgement.passed and judgement.fairness.passed
    assert may_promote(judgement.gates, manual=False).allowed


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"acted_on_rows": 199}, "labelled_rows"),
        ({"auc": 0.64}, "auc"),
        ({"auc": math.nan}, "auc"),
        ({"calibration_error": 0.051}, "calibration_error"),
        ({"truth_auc_ratio": 0.89}, "auc_ratio_to_truth"),
    ],
)
def test_each_quality_gate_fails_alone_and_blocks(change, failing):
    judgement = judge({**GOOD, **change}, FAIR, settings=SETTINGS)
    assert [g.name for g in judgement.gates if not g.passed] == [failing]
    decision = may_promote(judgement.gates, manual=False)
    assert not decision.allowed and decision.failed == [failing]


def test_the_truth_gate_is_judged_only_on_synthetic_data():
    assert "auc_ratio_to_truth" not in _verdicts(judge(GOOD, FAIR, settings=SETTINGS).gates)
    synthetic = judge({**GOOD, "truth_auc_ratio": 0.95}, FAIR, settings=SETTINGS)
    assert _verdicts(synthetic.gates)["auc_ratio_to_truth"]


def test_the_fairness_gate_blocks_only_a_large_significant_well_observed_gap():
    blocked = judge(GOOD, _report(ratio=1.5, p=0.001), settings=SETTINGS)
    assert not _verdicts(blocked.gates)[FAIRNESS_GATE]
    assert len(blocked.fairness.blocking) == 1
    assert not may_promote(blocked.gates, manual=False).allowed
    # The same gap where few outcomes are observed is reported, not blocking.
    caveated = judge(GOOD, _report(ratio=1.5, p=0.001, coverage=0.5), settings=SETTINGS)
    assert _verdicts(caveated.gates)[FAIRNESS_GATE] and len(caveated.fairness.caveated) == 1
    # A small or insignificant gap never blocks.
    assert judge(GOOD, _report(ratio=1.1, p=0.001), settings=SETTINGS).passed
    assert judge(GOOD, _report(ratio=1.5, p=0.2), settings=SETTINGS).passed
    # The threshold comes from the settings.
    lenient = SETTINGS.model_copy(update={"fairness_gate_max_ratio": 2.0})
    assert judge(GOOD, _report(ratio=1.5, p=0.001), settings=lenient).passed


def test_the_champion_gates_allow_a_small_loss_and_no_more():
    champion = {"auc": 0.725, "calibration_error": 0.02}
    close = judge(GOOD, FAIR, champion=champion, settings=SETTINGS)
    assert _verdicts(close.gates)[AUC_GATE] and _verdicts(close.gates)[CALIBRATION_GATE]
    assert close.passed
    worse_auc = judge({**GOOD, "auc": 0.71}, FAIR, champion=champion, settings=SETTINGS)
    assert [g.name for g in worse_auc.gates if not g.passed] == [AUC_GATE]
    worse_cal = judge(
        {**GOOD, "calibration_error": 0.035}, FAIR, champion=champion, settings=SETTINGS
    )
    assert [g.name for g in worse_cal.gates if not g.passed] == [CALIBRATION_GATE]
    unknown = judge(
        GOOD, FAIR, champion={"auc": math.nan, "calibration_error": 0.02}, settings=SETTINGS
    )
    assert not _verdicts(unknown.gates)[AUC_GATE]
    assert not may_promote(worse_auc.gates, manual=False).allowed
    # Without a champion there is nothing to beat.
    assert AUC_GATE not in _verdicts(judge(GOOD, FAIR, settings=SETTINGS).gates)


def test_a_manual_promotion_applies_the_same_gates_including_the_champion_comparison():
    gates = {"labelled_rows": True, "auc": True, "calibration_error": True, FAIRNESS_GATE: True}
    assert may_promote(gates, manual=True).allowed
    behind = may_promote({**gates, AUC_GATE: False, CALIBRATION_GATE: True}, manual=True)
    assert not behind.allowed and not behind.forced
    assert behind.own_failed == [] and behind.comparison_failed == [AUC_GATE]
    failed_own = may_promote({**gates, "auc": False, AUC_GATE: False}, manual=True)
    assert failed_own.own_failed == ["auc"] and failed_own.failed == ["auc", AUC_GATE]


def test_a_manual_promotion_needs_recorded_gates():
    nothing = may_promote({}, manual=True)
    assert not nothing.allowed and nothing.failed == [NO_GATES]
    comparison_only = may_promote({AUC_GATE: True, CALIBRATION_GATE: True}, manual=True)
    assert not comparison_only.allowed and comparison_only.own_failed == [NO_GATES]


def test_force_overrides_failed_gates_only_by_hand_and_only_with_a_reason():
    failing = {"labelled_rows": True, "auc": False, AUC_GATE: False}
    forced = may_promote(failing, manual=True, force=True, reason="the champion is broken")
    assert forced.allowed and forced.forced and forced.failed == ["auc", AUC_GATE]
    for missing in (None, "", "   "):
        refused = may_promote(failing, manual=True, force=True, reason=missing)
        assert not refused.allowed and refused.refusal == FORCE_NEEDS_REASON
    # A reason alone forces nothing; force on a passing version is not marked as forced.
    assert not may_promote(failing, manual=True, reason="please").allowed
    passing = may_promote({"auc": True}, manual=True, force=True, reason="belt and braces")
    assert passing.allowed and not passing.forced
    with pytest.raises(ValueError, match=FORCE_IS_MANUAL):
        may_promote(failing, manual=False, force=True, reason="registration cannot be forced")
