"""Behaviour tests: directional, invariance and minimum-functionality checks of the scoring core."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from data.codes import Concern
from data.contract import FIELD_BY_NAME
from models import features as F
from models.assess import NOT_REPORTED, SURFACE_FIELDS, assess, assess_batch, assess_records

THRESHOLD = 0.5  # surface share over which an estimate is flagged
SUBSTANTIVE_CODES = [c.value for c in Concern if c is not Concern.NO_FACTORS]


def random_rows(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A reproducible sample of rows, re-indexed."""
    rng = np.random.default_rng(seed)
    return frame.iloc[rng.choice(len(frame), size=n, replace=False)].reset_index(drop=True)


def probabilities(model, frame: pd.DataFrame) -> np.ndarray:
    return model.probability(F.build_matrix(frame))


def test_adding_a_substantive_concern_never_lowers_the_estimate(model, contacts):
    rows = random_rows(contacts[~contacts["concerns"].str.contains("21")], 60, seed=1)
    before = probabilities(model, rows)
    for code in SUBSTANTIVE_CODES:
        present = rows["concerns"].str.split(";").apply(lambda codes, c=code: c in codes)
        added = rows.assign(
            concerns=np.where(
                present,
                rows["concerns"],
                np.where(rows["concerns"] == "", code, rows["concerns"] + ";" + code),
            )
        )
        after = probabilities(model, added)
        assert (after >= before - 1e-12).all(), code


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("prior_contacts_12m", lambda s: s + 1),
        ("previous_cp_plan", lambda s: pd.Series(True, index=s.index)),
        ("early_help_open", lambda s: pd.Series(True, index=s.index)),
    ],
)
def test_more_history_never_lowers_the_estimate(model, contacts, column, change):
    rows = random_rows(contacts, 100, seed=2)
    after = probabilities(model, rows.assign(**{column: change(rows[column])}))
    assert (after >= probabilities(model, rows) - 1e-12).all()


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("child_ethnicity", ["BAFR", "WBRI", "APKN"]),
        ("child_sex", ["F", "M", "U"]),
        ("child_disability", ["Y", "N", "U"]),
    ],
)
def test_changing_only_a_protected_characteristic_never_changes_anything(
    model, contacts, column, values
):
    rows = random_rows(contacts, 50, seed=3)
    baseline = assess(model, rows)
    for value in values:
        assert assess(model, rows.assign(**{column: value})) == baseline


def test_local_accuracy_and_documented_calibration(model, contacts):
    a, b = model.calibration
    for record in assess(model, random_rows(contacts, 200, seed=4)):
        explanation = record["explanation"]
        total = explanation["base_value"] + sum(c["shap"] for c in explanation["contributions"])
        assert total == pytest.approx(explanation["model_output"], abs=1e-6)
        assert expit(a * explanation["model_output"] + b) == pytest.approx(
            record["risk"]["probability"], abs=1e-12
        )


def test_every_contribution_names_a_contract_field(model, contacts):
    rows = random_rows(contacts, 100, seed=5)
    for record, concerns in zip(assess(model, rows), rows["concerns"], strict=True):
        contributions = record["explanation"]["contributions"]
        assert all(c["field"] in FIELD_BY_NAME for c in contributions)
        assert all(c["text"] for c in contributions)
        codes = [c["code"] for c in contributions if c["field"] == "concerns"]
        expected = [code for code in concerns.split(";") if code]
        assert sorted(codes) == sorted([*expected, NOT_REPORTED])
        fields = [c["field"] for c in contributions if c["field"] != "concerns"]
        assert sorted(fields) == sorted(
            [
                "child_age_years",
                "referral_source",
                "prior_contacts_12m",
                "previous_cp_plan",
                "early_help_open",
            ]
        )
        magnitudes = [abs(c["shap"]) for c in contributions]
        assert magnitudes == sorted(magnitudes, reverse=True)


def test_bands_are_monotone_in_probability(model, contacts):
    batch = assess_batch(model, contacts, surface_threshold=THRESHOLD)
    order = np.argsort(batch.probability)
    assert (np.diff(batch.band[order]) >= 0).all()
    assert batch.band.min() >= 1 and batch.band.max() <= model.bands
    grid = np.linspace(0, 1, 1001)
    assert (np.diff(model.band(grid)) >= 0).all()
    assert model.band(np.array([0.0]))[0] == 1 and model.band(np.array([1.0]))[0] == model.bands


def test_surface_share_and_flag(model, contacts):
    batch = assess_batch(model, contacts, surface_threshold=0.3)
    assert ((batch.surface_share >= 0) & (batch.surface_share <= 1)).all()
    assert (batch.surface_flagged == (batch.surface_share > 0.3)).all()


def test_band_range_brackets_the_band_and_matches_brute_force(model, contacts):
    rows = random_rows(contacts, 25, seed=6)
    batch = assess_batch(model, rows, surface_threshold=THRESHOLD)
    assert ((batch.band_min <= batch.band) & (batch.band <= batch.band_max)).all()
    lowest, highest = [], []
    for _, row in rows.iterrows():
        variants = pd.DataFrame(
            [
                {**row.to_dict(), "child_age_years": age, "referral_source": source}
                for age in F.AGE_BAND_EXAMPLE
                for source in F.SOURCE_CODES
            ]
        )
        bands = model.band(probabilities(model, variants))
        lowest.append(bands.min())
        highest.append(bands.max())
    assert list(batch.band_min) == lowest
    assert list(batch.band_max) == highest


def test_linear_shap_equals_shap_linear_explainer(linear_model, training_frame, contacts):
    import shap

    background = F.build_matrix(training_frame)
    explainer = shap.LinearExplainer(
        (linear_model.coef, linear_model.estimator["intercept"]),
        shap.maskers.Independent(background, max_samples=len(background)),
    )
    x = F.build_matrix(contacts.head(50))
    base, ours = linear_model.shap_values(x)
    np.testing.assert_allclose(ours, explainer.shap_values(x), atol=1e-10)
    assert base == pytest.approx(float(explainer.expected_value), abs=1e-10)


def test_tree_model_is_explained_by_tree_explainer(tree_model, contacts):
    x = F.build_matrix(contacts.head(50))
    base, values = tree_model.shap_values(x)
    np.testing.assert_allclose(base + values.sum(axis=1), tree_model.raw_output(x), atol=1e-6)
    assert tree_model.tree_explainer() is tree_model.tree_explainer()


def test_protected_characteristics_are_not_model_columns():
    fields = {column.field for column in F.COLUMNS}
    assert fields.isdisjoint({"child_ethnicity", "child_sex", "child_disability"})
    assert fields <= set(FIELD_BY_NAME)


def test_unknown_source_is_named(contacts):
    with pytest.raises(ValueError, match="ZZ"):
        F.build_matrix(contacts.head(2).assign(referral_source="ZZ"))


def test_substantive_risk_removes_the_surface_contributions(model, contacts):
    rows = random_rows(contacts, 40, seed=7)
    for record in assess(model, rows):
        contributions = record["explanation"]["contributions"]
        surface = sum(c["shap"] for c in contributions if c["field"] in SURFACE_FIELDS)
        expected = model.calibrate(np.array([record["explanation"]["model_output"] - surface]))[0]
        assert record["substantive_risk"]["probability"] == pytest.approx(expected, abs=1e-12)
        assert record["substantive_risk"]["band"] == model.band(np.array([expected]))[0]


def test_linear_substantive_risk_ignores_who_the_child_is_and_who_called(linear_model, contacts):
    rows = random_rows(contacts, 40, seed=8)
    baseline = assess_batch(linear_model, rows, surface_threshold=THRESHOLD).substantive_probability
    varied = rows.assign(child_age_years=14, referral_source="9")
    np.testing.assert_allclose(
        assess_batch(linear_model, varied, surface_threshold=THRESHOLD).substantive_probability,
        baseline,
        atol=1e-12,
    )


def test_concern_matrix_matches_pandas_dummies(contacts):
    expected = (
        contacts["concerns"]
        .str.get_dummies(sep=";")
        .reindex(columns=list(F.CONCERN_CODES), fill_value=0)
        .to_numpy(dtype=float)
    )
    np.testing.assert_array_equal(F.concern_matrix(contacts["concerns"]), expected)
    with pytest.raises(ValueError, match="'ZZ'"):
        F.concern_matrix(pd.Series(["3B;ZZ"]))


def contract_records(frame: pd.DataFrame) -> list[dict]:
    """The rows as the API gives them to the model: plain values, concerns as a list."""
    return [
        {
            "contact_id": row.contact_id,
            "child_age_years": int(row.child_age_years),
            "referral_source": str(row.referral_source),
            "concerns": row.concerns.split(";") if row.concerns else [],
            "prior_contacts_12m": int(row.prior_contacts_12m),
            "previous_cp_plan": bool(row.previous_cp_plan),
            "early_help_open": bool(row.early_help_open),
        }
        for row in frame.itertuples()
    ]


def test_records_give_the_same_matrix_as_the_typed_frame(contacts):
    np.testing.assert_array_equal(
        F.matrix_from_records(contract_records(contacts)), F.build_matrix(contacts)
    )
    record = contract_records(contacts.head(1))[0]
    with pytest.raises(ValueError, match="'ZZ'"):
        F.matrix_from_records([{**record, "referral_source": "ZZ"}])
    with pytest.raises(ValueError, match="'9Z'"):
        F.matrix_from_records([{**record, "concerns": ["3B", "9Z"]}])
    with pytest.raises(ValueError, match="18"):
        F.matrix_from_records([{**record, "child_age_years": 18}])


def test_records_are_assessed_exactly_as_the_typed_frame(model, contacts):
    rows = random_rows(contacts, 60, seed=9)
    assert assess_records(model, contract_records(rows), surface_threshold=0.4) == assess(
        model, rows, surface_threshold=0.4
    )
