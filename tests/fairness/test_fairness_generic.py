"""Generic mode: any decisions table, cross-checked against fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import precision_score

from fairness import (
    PREDICTION_OR_SCORE,
    SCORE_NEEDS_THRESHOLD,
    THRESHOLD_WITHOUT_SCORE,
    audit_generic,
)

METRICS = {
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "selection_rate": selection_rate,
    "precision": precision_score,
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 20_000
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    sex = rng.choice(["F", "M"], n)
    label = rng.random(n) < np.where(region == "west", 0.4, 0.25)
    score = np.clip(0.3 * label + rng.normal(0.35, 0.2, n) + 0.1 * (region == "east"), 0, 1)
    return pd.DataFrame(
        {"region": region, "sex": sex, "label": label, "score": score, "pred": score >= 0.5}
    )


def test_rates_equal_fairlearn_and_cis_contain_them(table):
    report = audit_generic(table, label="label", prediction="pred", groups=["region", "sex"])
    for column in ("region", "sex"):
        frame = MetricFrame(
            metrics=METRICS,
            y_true=table["label"],
            y_pred=table["pred"],
            sensitive_features=table[column],
        )
        for metric in METRICS:
            for group, expected in frame.by_group[metric].items():
                (finding,) = report.select(attribute=column, group=group, metric=metric)
                assert finding.value == pytest.approx(expected, abs=1e-9)
                assert finding.ci[0] <= finding.value <= finding.ci[1]


def test_reference_is_the_largest_group_unless_set(table):
    report = audit_generic(table, label="label", prediction="pred", groups=["region"])
    assert {f.reference for f in report.findings} == {"north"}
    report = audit_generic(
        table, label="label", prediction="pred", groups=["region"], reference={"region": "west"}
    )
    assert {f.reference for f in report.findings} == {"west"}
    (ref,) = report.select(group="west", metric="fnr")
    assert ref.verdict == "reference"


def test_a_score_and_threshold_equal_the_prediction(table):
    by_score = audit_generic(table, label="label", score="score", threshold=0.5, groups=["sex"])
    by_pred = audit_generic(table, label="label", prediction="pred", groups=["sex"])
    assert [f.value for f in by_score.findings] == [f.value for f in by_pred.findings]


def test_a_clear_difference_is_a_disparity(table):
    report = audit_generic(table, label="label", prediction="pred", groups=["region"])
    (east,) = report.select(group="east", metric="selection_rate")
    assert east.verdict == "disparity" and east.ratio > 1.25
    (south,) = report.select(group="south", metric="selection_rate")
    assert south.verdict == "no_disparity_detected"


def test_a_group_of_18_gets_insufficient_data(table):
    small = table.copy()
    small.loc[small.index[:18], "region"] = "island"
    report = audit_generic(small, label="label", prediction="pred", groups=["region"])
    findings = report.select(group="island")
    assert {f.verdict for f in findings} == {"insufficient_data"}
    assert report.select(group="island", metric="selection_rate")[0].n == 18


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prediction": "pred", "score": "score", "threshold": 0.5}, PREDICTION_OR_SCORE),
        ({}, PREDICTION_OR_SCORE),
        ({"score": "score"}, SCORE_NEEDS_THRESHOLD),
        ({"prediction": "pred", "threshold": 0.5}, THRESHOLD_WITHOUT_SCORE),
    ],
)
def test_bad_options_are_errors(table, options, message):
    with pytest.raises(ValueError) as error:
        audit_generic(table, label="label", groups=["sex"], **options)
    assert str(error.value) == message


def test_missing_or_non_binary_columns_are_errors(table):
    with pytest.raises(ValueError, match="'outcome'"):
        audit_generic(table, label="outcome", prediction="pred", groups=["sex"])
    with pytest.raises(ValueError, match="label must be binary"):
        audit_generic(table.assign(label=2), label="label", prediction="pred", groups=["sex"])
