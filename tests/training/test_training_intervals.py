"""How sure: bootstrap intervals made at training time contain the synthetic truth as often as
they say, and no more."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from glum import GeneralizedLinearRegressor

from data.synthetic import GeneratorConfig, generate
from models import features as F
from models import interval as I
from models.assess import assess_frame, assess_records
from training import fit, intervals
from training.labels import make_labels


@pytest.fixture(scope="module")
def trained():
    """A linear model chosen as training chooses it, with 100 refits, on 5,000 contacts."""
    frame = generate(GeneratorConfig(rows=5_000, seed=31))
    x = F.build_matrix(frame)
    labels = make_labels(frame, x, "acted_on")
    folds = fit.assign_folds(len(frame), folds=3, seed=0)
    chosen = fit.compare(x, labels, folds, families=("linear",))[0]
    model = fit.build_model(chosen, x, labels, bands=10, seed=0)
    model.metadata[I.METADATA_KEY] = intervals.bootstrap(model, x, labels, seed=7, replicates=100)
    return model, x, labels


@pytest.fixture(scope="module")
def unseen():
    """Contacts the model never saw, with their true risk."""
    return generate(GeneratorConfig(rows=4_000, seed=32))


def coverage(model, frame, level):
    matrix = F.build_matrix(frame)
    low, high, _ = I.bounds(model, matrix, model.probability(matrix), level=level)
    truth = frame["true_risk"].to_numpy()
    return (low <= truth) & (truth <= high)


def test_nominal_90_percent_intervals_contain_the_true_risk_85_to_95_percent(trained, unseen):
    model, _, _ = trained
    covered = coverage(model, unseen, 0.9)
    teens = unseen["child_age_years"].between(13, 15).to_numpy()
    assert 0.85 <= covered.mean() <= 0.95
    assert 0.85 <= covered[teens].mean() <= 0.95


def test_a_50_percent_interval_covers_far_less(trained, unseen):
    model, _, _ = trained
    assert coverage(model, unseen, 0.5).mean() < 0.75


def test_the_interval_holds_the_estimate_and_names_its_bands(trained, unseen):
    model, _, _ = trained
    records = [
        {
            "child_age_years": int(row.child_age_years),
            "referral_source": str(row.referral_source),
            "concerns": row.concerns.split(";") if row.concerns else [],
            "prior_contacts_12m": int(row.prior_contacts_12m),
            "previous_cp_plan": bool(row.previous_cp_plan),
            "early_help_open": bool(row.early_help_open),
        }
        for row in unseen.head(50).itertuples()
    ]
    for a in assess_records(model, records, surface_threshold=0.5, rare_cell_rows=50):
        risk, interval = a["risk"], a["risk"]["interval"]
        assert interval["low"] <= risk["probability"] <= interval["high"]
        assert interval["band_low"] <= risk["band"] <= interval["band_high"]
        assert (interval["level"], interval["method"], interval["replicates"]) == (
            0.9,
            "bootstrap",
            100,
        )
        assert interval["text"].startswith(f"Between {interval['low']:.0%} and ")
        assert "interval_unavailable" not in [limit["code"] for limit in a["limits"]]


def test_the_interval_text_reads_as_on_the_page():
    assert I.interval_text(0.14, 0.29, 5, 7, 0.9).startswith("Between 14% and 29% (bands 5 to 7)")
    assert I.interval_text(0.14, 0.16, 5, 5, 0.9).startswith("Between 14% and 16% (band 5)")


def test_refits_are_seeded(trained):
    model, x, labels = trained
    again = intervals.bootstrap(model, x, labels, seed=7, replicates=100)
    stored = model.metadata[I.METADATA_KEY]
    np.testing.assert_array_equal(again.coef, stored.coef)
    other = intervals.bootstrap(model, x, labels, seed=8, replicates=5)
    assert not np.allclose(other.coef, stored.coef[:5])


def test_a_linear_refit_is_glums_fit_with_the_refit_penalty(trained):
    _, x, labels = trained
    rows = labels.rows
    refit = intervals.linear_refit(x[rows], labels.y, labels.weight, start=np.zeros(x.shape[1] + 1))
    glm = GeneralizedLinearRegressor(
        family="binomial",
        alpha=intervals.REFIT_ALPHA,
        l1_ratio=0.0,
        lower_bounds=np.where(F.MONOTONE > 0, 0.0, -np.inf),
        max_iter=500,
        gradient_tol=1e-8,
    ).fit(x[rows], labels.y, sample_weight=labels.weight)
    theirs = np.concatenate([[glm.intercept_], glm.coef_])
    assert (refit[1:][F.MONOTONE > 0] >= 0).all()
    # glum's objective: at least as low at our fit as at glum's, and the same estimates to a
    # hundredth of a log-odds for nearly every contact (flat directions of rare codes aside).
    assert objective(refit, x[rows], labels) <= objective(theirs, x[rows], labels) + 1e-9
    ours_raw, theirs_raw = refit[0] + x @ refit[1:], theirs[0] + x @ theirs[1:]
    assert np.quantile(np.abs(ours_raw - theirs_raw), 0.95) < 0.01


def objective(theta, x, labels):
    """glum's: mean weighted negative log-likelihood plus alpha / 2 times the squared norm."""
    eta = theta[0] + x @ theta[1:]
    loss = labels.weight @ (np.logaddexp(0.0, eta) - labels.y * eta) / labels.weight.sum()
    return loss + intervals.REFIT_ALPHA / 2 * (theta[1:] ** 2).sum()


def test_the_batch_table_carries_the_interval(trained, unseen):
    model, _, _ = trained
    table = assess_frame(model, unseen.head(200), surface_threshold=0.5)
    assert (table["interval_low"] <= table["probability"]).all()
    assert (table["probability"] <= table["interval_high"]).all()
    old = copy.copy(model)
    old.metadata = {k: v for k, v in model.metadata.items() if k != I.METADATA_KEY}
    assert assess_frame(old, unseen.head(5), surface_threshold=0.5)["interval_low"].isna().all()
