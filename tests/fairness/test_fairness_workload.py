"""Workload audit: NFA at the same risk against a team's monthly volume."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from data.synthetic import GeneratorConfig, generate
from fairness import audit_contract
from fairness.workload import logistic_slope


def test_workload_shortcut_shows_only_in_the_affected_team():
    config = GeneratorConfig(rows=60_000, seed=303).with_shortcuts(
        teen_resilience=0, anonymous_malicious=0, individual_suspect=0, workload=1.0,
        workload_teams=("T1",),
    )  # fmt: skip
    frame = generate(config)
    report = audit_contract(frame.assign(probability=frame["true_risk"]), audits=["workload"])
    verdicts = {f.group: f.verdict for f in report.findings}
    assert verdicts["T1"] == "disparity"
    assert {verdicts[t] for t in ("T2", "T3", "T4")} == {"no_disparity_detected"}
    (t1,) = report.select(group="T1")
    assert t1.ci[0] > 1.25 and t1.details["months"] == 24
    assert any(h.startswith("In team T1, the odds of NFA") for h in report.headlines)


def test_logistic_slope_recovers_a_known_effect():
    rng = np.random.default_rng(4)
    strata, months = 8, 30
    stratum = np.repeat(np.arange(strata), months)
    x = np.tile(rng.normal(0, 0.3, months), strata)
    totals = rng.integers(50, 200, stratum.size)
    p = expit(-2 + 0.5 * stratum + 0.8 * x)
    events = rng.binomial(totals, p)
    slope, se = logistic_slope(events.astype(float), totals.astype(float), stratum, x)
    assert abs(slope - 0.8) < 3 * se
    assert 0 < se < 0.2


def test_logistic_slope_is_nan_without_variation():
    stratum = np.zeros(5, dtype=np.int64)
    slope, se = logistic_slope(np.zeros(5), np.full(5, 10.0), stratum, np.linspace(-1, 1, 5))
    assert np.isnan(slope) and np.isnan(se)
