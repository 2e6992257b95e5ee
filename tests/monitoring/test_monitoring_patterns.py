"""Workload, decision patterns and performance, month by month."""

from __future__ import annotations

import numpy as np
import pandas as pd
from monitoring_data import NOW

from monitoring import monitor


def test_a_team_whose_nfa_rises_with_volume_alerts_and_the_others_do_not(profile, workload_year):
    report = monitor(workload_year, reference_profile=profile, now=NOW)
    alerts = report.alerts_of("workload")
    assert [a.where for a in alerts] == ["team_id=T1"]
    (t1,) = alerts
    assert t1.what == "nfa_volume_odds_ratio" and t1.ci[0] > 1.25
    assert t1.since <= "2024-06" and t1.month == "2024-12"
    for team in ("T2", "T3", "T4"):
        checks = report.select(kind="workload", where=f"team_id={team}")
        assert checks and not any(c.alert for c in checks)
    # The table behind the plot: T1's NFA runs above expectation in its busier months.
    rows = pd.DataFrame(report.tables["team_months"])
    t1_rows = rows[rows["team_id"] == "T1"]
    busy = t1_rows["volume_ratio"] > 1.1
    quiet = t1_rows["volume_ratio"] < 0.9
    observed_over_expected = t1_rows["nfa_observed_expected"]
    assert observed_over_expected[busy].mean() > observed_over_expected[quiet].mean()


def test_a_month_not_yet_over_is_left_out_of_the_workload_checks(profile, workload_year):
    report = monitor(workload_year, reference_profile=profile, now="2024-12-15")
    assert not report.select(kind="workload", month="2024-12")
    assert report.select(kind="workload", month="2024-11")
    assert any("not yet over" in c for c in report.caveats)


def test_the_teen_shortcut_is_a_decision_alert_from_the_first_month(profile, workload_year):
    report = monitor(workload_year, reference_profile=profile, now=NOW)
    keys = {(a.what, a.where): a for a in report.alerts_of("decision_disparity")}
    teens = keys[("nfa_rate", "age_band=13-15")]
    assert teens.since == "2024-01" and teens.strength > 1.25
    assert "5-9" in teens.message  # the reference group is fixed over the year
    references = {
        c.details["reference"] for c in report.select(what="nfa_rate") if "age_band=" in c.where
    }
    assert references == {"5-9"}
    deflections = pd.DataFrame(report.tables["deflections"])
    assert set(deflections["metric"]) == {"more_information_rate", "signpost_rate"}
    assert report.select(kind="decision_disparity", what="deflection_rate")


def test_a_shortcut_that_starts_mid_year_alerts_since_it_started(profile, workload_year):
    frame = workload_year.copy()
    early = frame["received_at"] < "2024-07-01"
    teens = frame["child_age_years"].between(13, 15)
    # Before July, give teenagers the decisions of the contacts just before them, so the
    # shortcut is absent: their decisions then follow risk as everyone else's do.
    others = frame.loc[early & ~teens, "decision"].to_numpy()
    rng = np.random.default_rng(0)
    frame.loc[early & teens, "decision"] = rng.choice(others, size=int((early & teens).sum()))
    frame["probability"] = frame["true_risk"]
    report = monitor(frame, reference_profile=profile, now=NOW)
    keys = {(a.what, a.where): a for a in report.alerts_of("decision_disparity")}
    assert keys[("nfa_rate", "age_band=13-15")].since >= "2024-07"


def test_performance_is_judged_only_on_mature_cohorts(profile, workload_year):
    report = monitor(workload_year, reference_profile=profile, now="2025-06-15")
    months = {c.month for c in report.select(kind="performance")}
    assert months == {"2024-01", "2024-02", "2024-03", "2024-04", "2024-05"}
    assert any("not yet mature" in c for c in report.caveats)
    coverage = pd.DataFrame(report.tables["label_coverage"])
    assert set(coverage["month"]) == {f"2024-{m:02d}" for m in range(1, 13)}
    assert coverage["label_coverage"].between(0, 1).all()


def test_estimates_too_low_for_one_group_raise_a_calibration_alert(profile, workload_year):
    frame = workload_year.copy()
    teens = frame["child_age_years"].between(13, 15)
    frame.loc[teens, "probability"] = frame.loc[teens, "true_risk"] * 0.5
    report = monitor(frame, reference_profile=profile, now=NOW)
    wheres = {(a.what, a.where) for a in report.alerts_of("performance")}
    assert ("calibration_oe", "age_band=13-15") in wheres
    assert ("calibration_oe", "age_band=5-9") not in wheres
    (teen,) = [a for a in report.alerts_of("performance") if a.where == "age_band=13-15"]
    assert 1.6 < teen.strength < 2.4 and teen.month == "2024-12"
    # About 90 acted-on teenagers a month: the gap is seen in most months, not every one.
    months = report.select(kind="performance", what="calibration_oe", where="age_band=13-15")
    assert sum(c.alert for c in months) >= 4
    assert not [a for a in report.alerts_of("performance") if a.what == "auc"]


def test_review_overturn_rates_are_tabulated_when_reviews_are_given(profile, workload_year):
    nfa = workload_year[workload_year["decision"] == "nfa"].head(400)
    outcome = np.where(np.arange(len(nfa)) % 4 == 0, "overturned", "upheld")
    reviews = pd.DataFrame({"contact_id": nfa["contact_id"].to_numpy(), "outcome": outcome})
    report = monitor(workload_year, reference_profile=profile, reviews=reviews, now=NOW)
    table = pd.DataFrame(report.tables["reviews"])
    assert table["reviews"].sum() == 400 * 5  # each review counted once per attribute
    assert not any("reviews table" in c for c in report.caveats)
    without = monitor(workload_year, reference_profile=profile, now=NOW)
    assert without.tables["reviews"] is None
    assert any("reviews table" in c for c in without.caveats)
