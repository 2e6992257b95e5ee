"""Model audit per group, and the promotion gate built on it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from data.synthetic import GeneratorConfig, Shortcuts, generate
from fairness import GATED_METRICS, SELECTIVE_LABELS_CAVEAT, audit_contract, model_gate
from fairness.gate import NO_MODEL_FINDINGS


@pytest.fixture(scope="module")
def fully_labelled() -> pd.DataFrame:
    """No shortcuts, and every outcome observed: need ~ Bernoulli(true_risk) for every row.

    With all labels observed the gate judges every group, so the tests below check what it
    blocks rather than what the selective labels hide.
    """
    frame = generate(GeneratorConfig(rows=60_000, seed=202, shortcuts=Shortcuts.none()))
    rng = np.random.default_rng(5)
    need = rng.random(len(frame)) < frame["true_risk"].to_numpy()
    return frame.assign(outcome_need_12m=pd.array(need, dtype="boolean"))


def _teen_penalty(frame: pd.DataFrame, log_odds: float = 1.0) -> np.ndarray:
    teen = frame["child_age_years"].between(13, 15).to_numpy()
    risk = frame["true_risk"].to_numpy()
    return np.where(teen, expit(logit(risk) - log_odds), risk)


def test_model_metrics_match_direct_computation(fully_labelled):
    frame = fully_labelled.assign(probability=fully_labelled["true_risk"])
    report = audit_contract(frame, audits=["model"], threshold=0.3)
    teen = frame[frame["child_age_years"].between(13, 15)]
    y = teen["outcome_need_12m"].astype(bool)
    p = teen["probability"]
    expected = {
        "label_coverage": 1.0,
        "fnr": ((p < 0.3) & y).sum() / y.sum(),
        "fpr": ((p >= 0.3) & ~y).sum() / (~y).sum(),
        "calibration_oe": y.mean() / p.mean(),
    }
    for metric, value in expected.items():
        (finding,) = report.select(attribute="age_band", group="13-15", metric=metric)
        assert finding.value == pytest.approx(value, rel=1e-12), metric
        assert finding.ci[0] <= finding.value <= finding.ci[1]
    assert report.settings["threshold"] == 0.3
    assert report.settings["threshold_source"] == "given"


def test_default_review_threshold_is_the_70th_percentile(fully_labelled):
    frame = fully_labelled.head(5_000).assign(probability=fully_labelled["true_risk"].head(5_000))
    report = audit_contract(frame, audits=["model"])
    assert report.settings["threshold"] == pytest.approx(np.quantile(frame["probability"], 0.7))
    assert "0.7 quantile" in report.settings["threshold_source"]


def test_surface_share_is_reported_when_present(fully_labelled):
    frame = fully_labelled.head(5_000).assign(
        probability=fully_labelled["true_risk"].head(5_000), surface_share=0.25
    )
    report = audit_contract(frame, audits=["model"])
    shares = report.select(attribute="age_band", metric="surface_share")
    assert shares and all(f.value == pytest.approx(0.25) for f in shares)


def test_an_honest_model_passes_the_gate(fully_labelled):
    report = audit_contract(fully_labelled.assign(probability=fully_labelled["true_risk"]))
    result = model_gate(report)
    assert result.passed, result.reasons
    assert result.checked and {f.metric for f in result.checked} == set(GATED_METRICS)


def test_a_model_that_underestimates_13_to_15_year_olds_fails(fully_labelled):
    report = audit_contract(
        fully_labelled.assign(probability=_teen_penalty(fully_labelled)), audits=["model"]
    )
    result = model_gate(report)
    assert not result.passed
    assert any("age_band=13-15" in reason for reason in result.reasons)
    assert [f.group for f in result.blocking] == ["13-15"]


def test_gate_accepts_the_json_report(fully_labelled):
    report = audit_contract(
        fully_labelled.assign(probability=_teen_penalty(fully_labelled)), audits=["model"]
    )
    result = model_gate(json.loads(report.to_json()))
    assert not result.passed
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_with_selective_labels_a_disparity_is_caveated_not_blocking():
    frame = generate(GeneratorConfig(rows=60_000, seed=203, shortcuts=Shortcuts.none()))
    report = audit_contract(frame.assign(probability=_teen_penalty(frame)), audits=["model"])
    (coverage,) = report.select(attribute="age_band", group="13-15", metric="label_coverage")
    assert coverage.value < 0.8
    result = model_gate(report)
    assert result.passed
    assert "13-15" in {f.group for f in result.caveated}
    assert SELECTIVE_LABELS_CAVEAT in result.notes
    assert not model_gate(report, min_coverage=0.3).passed


def test_gate_needs_the_model_audit(fully_labelled):
    frame = fully_labelled.head(3_000).assign(probability=fully_labelled["true_risk"].head(3_000))
    report = audit_contract(frame, audits=["decisions"], intersections=False)
    with pytest.raises(ValueError, match=NO_MODEL_FINDINGS):
        model_gate(report)
