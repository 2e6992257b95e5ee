"""Time to decision by group at the same band (fairness/timing.py).

The extracts are the generator's (``docs/synthetic-data.md``: decision times depend on the team's
volume and chance only, never on the child), so no group is slower there. The "slower" extract is
the same one with a documented change: every decision on a 13-15-year-old, and every decision on
an anonymous contact, is moved two working days later (``add_working_days_many`` from the day it
was decided, at the same time of day). The audit must find exactly those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from data.workdays import add_working_days_many, london_days
from fairness import audit_contract, render_html
from fairness.groups import from_values
from fairness.timing import (
    TIMING_CAVEAT,
    decision_days,
    histogram_quantile,
    timing_findings,
    van_elteren,
)

DELAY = 2  # working days added to the slowed groups' decisions
SLOWED = {("age_band", "13-15"), ("referral_source", "9")}  # 9: anonymous


def slowed(frame: pd.DataFrame) -> pd.DataFrame:
    """The documented change: 13-15-year-olds' and anonymous contacts' decisions 2 days later."""
    rows = (frame["child_age_years"].between(13, 15) | (frame["referral_source"] == "9")).to_numpy()
    decided = london_days(frame["decided_at"])
    later = add_working_days_many(decided[rows], np.full(rows.sum(), DELAY))
    shift = pd.to_timedelta((later - decided[rows]).astype("timedelta64[D]").astype(np.int64), "D")
    moved = frame["decided_at"].copy()
    moved.iloc[np.flatnonzero(rows)] = frame["decided_at"].iloc[np.flatnonzero(rows)] + shift
    return frame.assign(decided_at=moved)


def timing(report) -> dict[tuple[str, str], object]:
    return {(f.attribute, f.group): f for f in report.findings if f.metric == "days_to_decision"}


@pytest.fixture(scope="module")
def fair_timing(fair_extract):
    return timing(audit_contract(fair_extract, audits=["decisions"], intersections=False))


@pytest.fixture(scope="module")
def slow_report(fair_extract):
    return audit_contract(slowed(fair_extract), audits=["decisions"], intersections=False)


def test_the_slowed_groups_are_found_slower_at_the_same_band(slow_report):
    found = timing(slow_report)
    for key in SLOWED:
        f = found[key]
        assert f.verdict == "disparity", (key, f)
        assert f.details["direction"] == "slower"
        assert f.difference >= DELAY - 0.5 and f.details["difference_ci"][0] > 0
    others = [f for k, f in found.items() if k not in SLOWED and f.verdict != "reference"]
    assert others and not [f for f in others if f.verdict == "disparity"]
    assert any("13–15-year-olds were decided more slowly" in h for h in slow_report.headlines)
    assert TIMING_CAVEAT in slow_report.caveats
    table = slow_report.tables["days_to_decision_by_band"]["age_band"]["13-15"]
    assert (
        set(table) == {"n", "median", "p90"} and sum(table["n"]) == found[("age_band", "13-15")].n
    )


def test_no_group_is_flagged_when_none_is_slower(fair_timing):
    assert fair_timing, "the audit reports time to decision when decisions have times"
    tested = [f for f in fair_timing.values() if f.verdict not in ("reference",)]
    assert tested and not [f for f in tested if f.verdict == "disparity"]
    assert all(f.details["difference_ci"][0] <= 0 <= f.details["difference_ci"][1] for f in tested)


def test_a_group_in_slower_bands_is_not_slower_at_the_same_band():
    """Band 1 takes longer for everyone; group B has mostly band-1 contacts. B's crude median is
    later, but band by band it is the same as A's, so it is not flagged (and the crude gap is)."""
    rng = np.random.default_rng(7)
    n = 4_000
    group = np.where(rng.random(n) < 0.5, "A", "B")
    band = np.where(rng.random(n) < np.where(group == "B", 0.8, 0.2), 1, 0)
    days = (rng.integers(0, 2, n) + 3 * band).astype(float)
    grouping = from_values("group", pd.Series(group))
    found, tables = timing_findings(
        [grouping], band, 2, days, reference={"group": "A"}, min_n=30, confidence=0.95
    )
    (b,) = [f for f in found if f.group == "B"]
    crude = np.median(days[group == "B"]) - np.median(days[group == "A"])
    assert crude >= 2
    assert abs(b.difference) < 1 and not b.material and b.p_value > 0.01
    assert tables["group"]["B"]["median"][1] == pytest.approx(3.0, abs=1)


def test_undecided_rows_are_left_out(fair_extract):
    frame = fair_extract.head(500).copy()
    frame.loc[frame.index[:100], "decided_at"] = pd.NaT
    days = decision_days(frame)
    assert np.isnan(days[:100]).all() and not np.isnan(days[100:]).any()
    assert (days[100:] >= 0).all()


def test_histogram_quantile_is_the_inverted_cdf():
    rng = np.random.default_rng(3)
    sample = rng.integers(0, 9, 501)
    values, counts = np.unique(sample, return_counts=True)
    for q in (0.1, 0.5, 0.9):
        expected = np.quantile(sample, q, method="inverted_cdf")
        assert histogram_quantile(counts, values, q) == expected
    assert np.isnan(histogram_quantile(np.zeros(3, dtype=int), np.arange(3), 0.5))


def test_van_elteren_with_one_band_is_the_mann_whitney_test():
    rng = np.random.default_rng(4)
    x, y = rng.integers(0, 6, 80), rng.integers(1, 7, 120)
    values = np.arange(7)
    hx = np.array([[np.sum(x == v) for v in values]])
    hy = np.array([[np.sum(y == v) for v in values]])
    expected = mannwhitneyu(x, y, method="asymptotic", use_continuity=False).pvalue
    assert van_elteren(hx, hy) == pytest.approx(expected, rel=1e-9)
    assert van_elteren(hx * 0, hy) != van_elteren(hx * 0, hy)  # NaN: no band with both


def test_html_shows_the_time_to_decision_findings(slow_report):
    page = render_html(slow_report)
    assert "<h2>Time to decision</h2>" in page and "disparity (slower)" in page
