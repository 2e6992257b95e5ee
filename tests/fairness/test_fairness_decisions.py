"""Decisions audit: NFA and escalation rates at the same estimated risk.

The risk estimate in these tests is the generator's ``true_risk`` (see conftest): with the best
possible estimate, a gap at the same estimated risk can only come from the decisions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairness import MISSING_COLUMN, UNKNOWN_REFERENCE_GROUP, audit_contract
from fairness.timing import TIMING_METRIC as TIMING  # differences in days, not rate ratios


@pytest.fixture(scope="module")
def shortcut_report(shortcut_extract):
    return audit_contract(shortcut_extract, audits=["decisions"])


@pytest.fixture(scope="module")
def fair_report(fair_extract):
    return audit_contract(fair_extract, audits=["decisions"])


@pytest.mark.parametrize(("attribute", "group"), [("age_band", "13-15"), ("referral_source", "9")])
def test_shortcuts_show_as_nfa_disparities(shortcut_report, attribute, group):
    (finding,) = shortcut_report.select(attribute=attribute, group=group, metric="nfa_rate")
    assert finding.verdict == "disparity"
    assert finding.ratio > 1.25
    assert finding.ratio_ci[0] > 1.25
    assert finding.p_adjusted < 0.05


@pytest.mark.parametrize(("attribute", "group"), [("age_band", "13-15"), ("referral_source", "9")])
def test_no_disparity_when_those_shortcuts_are_off(fair_report, attribute, group):
    (finding,) = fair_report.select(attribute=attribute, group=group, metric="nfa_rate")
    assert finding.verdict == "no_disparity_detected"
    assert 0.9 < finding.ratio < 1.1
    assert finding.ratio_ci[0] < 1 < finding.ratio_ci[1] or abs(finding.ratio - 1) < 0.05


def test_headline_says_how_much_more_often_at_the_same_risk(shortcut_report):
    teen = [h for h in shortcut_report.headlines if h.startswith("13–15-year-olds were given NFA")]
    assert teen, shortcut_report.headlines
    assert "times as often as 5–9-year-olds at the same estimated risk (95% CI" in teen[0]


def test_value_and_reference_value_are_standardised_to_the_same_risk_mix(shortcut_report):
    rates = [f for f in shortcut_report.select(attribute="age_band") if f.metric != TIMING]
    assert {f.metric for f in rates} == {"nfa_rate", "escalation_rate"}
    for finding in rates:
        if finding.verdict != "reference":
            assert finding.ratio == pytest.approx(finding.value / finding.reference_value)
            assert finding.difference == pytest.approx(finding.value - finding.reference_value)
            assert finding.ci[0] <= finding.value <= finding.ci[1]


def test_reference_is_the_largest_group_by_default(shortcut_extract, shortcut_report):
    for attribute, column in (("referral_source", "referral_source"), ("sex", "child_sex")):
        largest = shortcut_extract[column].value_counts().idxmax()
        findings = shortcut_report.select(attribute=attribute, metric="nfa_rate")
        assert {f.reference for f in findings} == {largest}
        (ref,) = [f for f in findings if f.verdict == "reference"]
        assert ref.group == largest
    assert shortcut_report.select(attribute="age_band")[0].reference == "5-9"


def test_reference_can_be_set(fair_extract):
    report = audit_contract(
        fair_extract, audits=["decisions"], intersections=False, reference={"age_band": "16-17"}
    )
    findings = report.select(attribute="age_band", metric="nfa_rate")
    assert {f.reference for f in findings} == {"16-17"}
    assert [f.group for f in findings if f.verdict == "reference"] == ["16-17"]
    assert report.settings["reference"] == {"age_band": "16-17"}


def test_unknown_reference_group_is_an_error(fair_extract):
    with pytest.raises(ValueError) as error:
        audit_contract(fair_extract, audits=["decisions"], reference={"age_band": "18-20"})
    assert str(error.value).startswith(
        UNKNOWN_REFERENCE_GROUP.split("{known}")[0].format(group="18-20", attribute="age_band")
    )


def test_a_group_of_18_gets_insufficient_data(fair_extract):
    frame = fair_extract.head(20_000).copy()
    sex = np.where(np.arange(len(frame)) % 2 == 0, "F", "M").astype(object)
    sex[:18] = "U"
    frame["child_sex"] = pd.array(sex, dtype="string")
    report = audit_contract(frame, audits=["decisions", "model"], intersections=False)
    findings = report.select(attribute="sex", group="U")
    assert findings and all(f.n == 18 or f.metric != "nfa_rate" for f in findings)
    assert {f.verdict for f in findings} == {"insufficient_data"}
    assert all(f.p_adjusted != f.p_adjusted for f in findings)  # NaN: not tested
    assert any("too few" in h.lower() and "sex is not recorded (18)" in h for h in report.headlines)


def test_intersections_keep_only_cells_of_the_minimum_size(shortcut_report, shortcut_extract):
    cells = shortcut_report.select(attribute="age_band & referral_source", metric="nfa_rate")
    assert cells
    assert min(f.n for f in cells) >= 30
    assert shortcut_report.settings["suppressed_intersection_cells"] > 0
    (anonymous_teens,) = [f for f in cells if f.group == "13-15 & 9"]
    assert anonymous_teens.verdict == "disparity"
    assert anonymous_teens.reference == "5-9 & 6"


def test_a_band_column_replaces_the_deciles(fair_extract):
    frame = fair_extract.head(20_000)
    banded = frame.assign(
        band=pd.qcut(frame["probability"], 5, labels=False, duplicates="drop") + 1
    )
    report = audit_contract(banded, audits=["decisions"], intersections=False)
    assert report.settings["risk_strata"] == "band column"
    assert report.tables["risk_strata"]["bands"] == sorted(banded["band"].unique().tolist())
    plain = audit_contract(frame, audits=["decisions"], intersections=False, risk_bands=5)
    assert plain.settings["risk_strata"] == "5 quantile bands of probability"


def test_missing_probability_is_an_error_naming_the_column(fair_extract):
    with pytest.raises(ValueError, match="'probability'") as error:
        audit_contract(fair_extract.drop(columns="probability"))
    assert str(error.value) == MISSING_COLUMN.format(
        column="probability", purpose="audit (score the extract first)"
    )


def test_requested_audit_without_its_columns_is_an_error(fair_extract):
    with pytest.raises(ValueError, match="'team_id'"):
        audit_contract(fair_extract.drop(columns="team_id").head(1000), audits=["workload"])


def test_default_audits_skip_what_the_data_cannot_support(fair_extract):
    frame = fair_extract.head(5_000).drop(columns=["team_id", "outcome_need_12m"])
    report = audit_contract(frame, intersections=False)
    assert report.settings["audits"] == ["decisions"]
    assert any("workload audit was skipped" in c for c in report.caveats)


def test_small_data_with_every_intersection_suppressed_still_audits(shortcut_extract):
    small = shortcut_extract.head(120)
    report = audit_contract(small, audits=["decisions"], min_n=30)
    assert report.findings
    attributes = {f.attribute for f in report.findings}
    assert "age_band" in attributes and "referral_source" in attributes
