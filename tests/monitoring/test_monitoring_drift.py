"""Input and estimate drift: PSI, the tests behind it, and the alerts they raise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from monitoring_data import NOW, with_estimates

from data.synthetic import GeneratorConfig, generate
from monitoring import monitor, psi
from monitoring.drift import chi_square, decile_bins, psi_level, reference_fields


def test_psi_is_zero_for_the_reference_mix_and_finite_for_empty_cells():
    shares = np.array([0.5, 0.3, 0.2, 0.0])
    assert psi(np.array([50, 30, 20, 0]), shares, epsilon=1e-4) == pytest.approx(0.0)
    # A category the reference never saw, and one the month lacks: large but finite terms.
    value = psi(np.array([0, 30, 20, 50]), shares, epsilon=1e-4)
    assert math.isfinite(value) and value > 1
    expected = sum(
        (o - e) * math.log(o / e)
        for o, e in zip([1e-4, 0.3, 0.2, 0.5], [0.5, 0.3, 0.2, 1e-4], strict=True)
    )
    assert value == pytest.approx(expected)
    assert math.isnan(psi(np.zeros(4), shares, epsilon=1e-4))


def test_psi_bands_read_as_stable_moderate_and_significant():
    bands = (0.1, 0.25)
    assert [psi_level(v, bands) for v in (0.05, 0.1, 0.2, 0.25, 0.9)] == [
        "stable",
        "moderate",
        "moderate",
        "significant",
        "significant",
    ]


def test_chi_square_accounts_for_the_reference_being_a_sample():
    shares = np.array([0.5, 0.3, 0.2])
    counts = np.array([540, 280, 180])
    _, df, p_exact = chi_square(counts, shares, None)
    _, _, p_sample = chi_square(counts, shares, 1_000)
    assert df == 2
    # A reference of 1,000 contacts is as noisy as the month: the evidence is weaker.
    assert p_sample > p_exact
    assert chi_square(np.array([500, 300, 200]), shares, 20_000)[2] > 0.99


def test_chi_square_merges_categories_expected_fewer_than_five_times():
    shares = np.array([0.6, 0.39, 0.005, 0.005, 0.0])
    statistic, df, p = chi_square(np.array([60, 38, 1, 0, 1]), shares, None)
    assert df == 1  # the three rare categories were merged into one another, then into the next
    assert math.isfinite(statistic) and 0 <= p <= 1


def test_tied_deciles_merge_their_bins():
    edges, shares = decile_bins([0.0, 0.1, 0.2, 0.2, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert edges.tolist() == [0.1, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert shares.sum() == pytest.approx(1.0)
    assert shares[2] == pytest.approx(0.3)  # [0.2, 0.5) holds three deciles of the reference


def test_reference_fields_cover_every_model_input(profile):
    names = [f.name for f in reference_fields(profile)]
    assert names[:5] == [
        "age_band",
        "referral_source",
        "prior_contacts_12m",
        "previous_cp_plan",
        "early_help_open",
    ]
    assert len([n for n in names if n.startswith("concerns:")]) == 42


def test_a_shifted_referral_source_mix_alerts_on_that_field_alone(profile, source_shift_year):
    report = monitor(source_shift_year, reference_profile=profile, now=NOW)
    drift = report.alerts_of("input_drift")
    assert [(a.what, a.since, a.month) for a in drift] == [
        ("referral_source", "2024-12", "2024-12")
    ]
    assert drift[0].level in ("moderate", "significant") and drift[0].p_adjusted < 0.05
    # No other field alerts in any month, and the source mix did not alert before December.
    alerting = {(c.what, c.month) for c in report.select(kind="input_drift") if c.alert}
    assert alerting == {("referral_source", "2024-12")}
    assert "6" in drift[0].message  # the police share moved most
    assert report.adjustment["comparisons"]["input_drift"] == 47 * 12
    assert not report.alerts_of("estimate_drift")  # the true risk does not depend on the source


def test_estimates_that_shift_raise_an_estimate_drift_alert(profile, source_shift_year):
    frame = source_shift_year.copy()
    december = frame["received_at"] >= "2024-12-01"
    frame.loc[december, "probability"] = np.minimum(frame.loc[december, "probability"] * 1.6, 1)
    report = monitor(frame, reference_profile=profile, now=NOW)
    (alert,) = report.alerts_of("estimate_drift")
    assert (alert.what, alert.since) == ("probability", "2024-12")


def test_tiny_months_are_insufficient_data_and_never_alert(profile):
    config = GeneratorConfig(rows=150, seed=9, start="2024-03-01", months=1)
    frame = with_estimates(generate(config))
    frame = frame.assign(referral_source="9")  # every contact anonymous: an extreme shift
    report = monitor(frame, reference_profile=profile, min_n=200, now=NOW)
    drift = report.select(kind="input_drift") + report.select(kind="estimate_drift")
    assert {c.status for c in drift} == {"insufficient_data"}
    assert not report.alerts
    assert report.select(kind="input_drift", what="referral_source")[0].strength > 1
