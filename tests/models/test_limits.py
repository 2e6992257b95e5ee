"""What an estimate cannot see: limits built from the contact and the model's training facts."""

from __future__ import annotations

import copy
from datetime import date

import joblib
import numpy as np
import pytest

from models import features as F
from models import limits as L
from models.assess import assess, assess_records

RECORD = {
    "child_age_years": 14,
    "referral_source": "9",
    "concerns": ["3B", "16A"],
    "prior_contacts_12m": 1,
    "previous_cp_plan": False,
    "early_help_open": False,
}
CELL = "13-15|9|2"


def random_rows(frame, n, seed):
    """A reproducible sample of rows, re-indexed."""
    rng = np.random.default_rng(seed)
    return frame.iloc[rng.choice(len(frame), size=n, replace=False)].reset_index(drop=True)


def contract_records(frame):
    """The rows as the API gives them to the model: plain values, concerns as a list."""
    return [
        {
            "child_age_years": int(row.child_age_years),
            "referral_source": str(row.referral_source),
            "concerns": row.concerns.split(";") if row.concerns else [],
            "prior_contacts_12m": int(row.prior_contacts_12m),
            "previous_cp_plan": bool(row.previous_cp_plan),
            "early_help_open": bool(row.early_help_open),
        }
        for row in frame.itertuples()
    ]


def with_facts(model, cells, *, rows=5000):
    """A copy of the model carrying training facts with the given cell counts."""
    facts = L.TrainingFacts(
        rows=rows,
        labelled_rows=2000,
        received_from=date(2023, 4, 1),
        received_to=date(2025, 3, 31),
        cells=cells,
        labelled_cells={k: v // 2 for k, v in cells.items()},
    )
    copied = copy.copy(model)
    copied.metadata = {**model.metadata, L.METADATA_KEY: facts}
    return copied


def codes(assessment):
    return [limit["code"] for limit in assessment["limits"]]


def limit(assessment, code):
    [found] = [item for item in assessment["limits"] if item["code"] == code]
    return found


def test_a_rare_cell_is_named_with_its_training_count(linear_model):
    model = with_facts(linear_model, {CELL: 12, "5-9|2A|1": 400})
    [a] = assess_records(model, [RECORD], surface_threshold=0.5, rare_cell_rows=50)
    rare = limit(a, "rare_cell")
    assert rare["n"] == 12
    assert rare["text"].startswith("Few contacts like this one in the training data (n = 12)")
    assert "aged 13-15" in rare["text"] and "an anonymous" in rare["text"]
    assert "with 2 concerns; 6 of them had an outcome" in rare["text"]


def test_a_common_cell_is_not_called_rare_and_the_threshold_is_a_setting(linear_model):
    model = with_facts(linear_model, {CELL: 60})
    [a] = assess_records(model, [RECORD], surface_threshold=0.5, rare_cell_rows=50)
    assert "rare_cell" not in codes(a)
    [b] = assess_records(model, [RECORD], surface_threshold=0.5, rare_cell_rows=61)
    assert limit(b, "rare_cell")["n"] == 60


def test_a_cell_never_seen_in_training_counts_zero(linear_model):
    model = with_facts(linear_model, {"5-9|2A|1": 400})
    [a] = assess_records(model, [RECORD], surface_threshold=0.5, rare_cell_rows=50)
    assert "(n = 0)" in limit(a, "rare_cell")["text"]


def test_every_assessment_says_the_narrative_and_what_the_model_never_has(model, contacts):
    for a in assess(model, contacts.head(20), surface_threshold=0.5, rare_cell_rows=50):
        assert codes(a)[0] == "narrative_not_input"
        assert "not a model input" in a["limits"][0]["text"]
        text = limit(a, "never_has")["text"]
        assert "other agencies' records" in text and "household" in text and "own voice" in text


def test_the_training_period_comes_from_the_facts(linear_model):
    model = with_facts(linear_model, {CELL: 100})
    [a] = assess_records(model, [RECORD], surface_threshold=0.5, rare_cell_rows=50)
    text = limit(a, "training_period")["text"]
    assert "5,000 contacts received from 1 April 2023 to 31 March 2025" in text
    assert "2,000 with an outcome" in text


def test_a_model_without_the_new_metadata_scores_and_says_what_is_unknown(linear_model, tmp_path):
    # As a model registered before limits and intervals: saved and loaded the same way.
    path = tmp_path / "old.joblib"
    joblib.dump(linear_model, path)
    old = joblib.load(path)
    assert L.METADATA_KEY not in old.metadata and "interval" not in old.metadata
    [a] = assess_records(old, [RECORD], surface_threshold=0.5, rare_cell_rows=50)
    assert a["risk"]["interval"] is None
    assert {"rare_cell_unknown", "training_period_unknown", "interval_unavailable"} <= set(codes(a))
    assert "before intervals were stored" in limit(a, "interval_unavailable")["text"]


def test_defaulted_and_unknown_inputs_are_named(linear_model):
    records = [
        RECORD,
        {**RECORD, "referral_source": "10", "concerns": []},
    ]
    first, second = assess_records(
        linear_model,
        records,
        surface_threshold=0.5,
        rare_cell_rows=50,
        defaulted=[("early_help_open",), ()],
    )
    assert "assumes not" in limit(first, "defaulted:early_help_open")["text"]
    assert "unknown:referral_source" not in codes(first) and "unknown:concerns" not in codes(first)
    assert "defaulted:early_help_open" not in codes(second)
    assert "referral source is unknown" in limit(second, "unknown:referral_source")["text"]
    assert "No concerns were coded" in limit(second, "unknown:concerns")["text"]


def test_training_facts_count_every_contact_by_cell(training_frame):
    x = F.build_matrix(training_frame)
    labelled = training_frame["outcome_need_12m"].notna().to_numpy()
    facts = L.training_facts(training_frame, x, labelled)
    assert sum(facts.cells.values()) == facts.rows == len(training_frame)
    assert sum(facts.labelled_cells.values()) == facts.labelled_rows == labelled.sum()
    # Counted again another way: age band, source and concerns (21 not counted, capped at 4).
    ages = np.asarray(F.AGE_BAND_LABELS)[F.age_band_index(training_frame["child_age_years"])]
    count = (
        training_frame["concerns"]
        .fillna("")
        .map(lambda text: min(sum(1 for c in text.split(";") if c and c != "21"), 4))
    )
    keys = [
        f"{a}|{s}|{c}"
        for a, s, c in zip(ages, training_frame["referral_source"], count, strict=True)
    ]
    for key in set(keys[:50]):
        assert facts.cells[key] == keys.count(key)
    received = training_frame["received_at"].dt.tz_convert("Europe/London").dt.date
    assert facts.received_from == received.min() and facts.received_to == received.max()


@pytest.mark.parametrize("count, words", [("0", "no concerns"), ("1", "1 concern"), ("4", "4+")])
def test_the_rare_sentence_reads_the_cell(count, words):
    facts = L.TrainingFacts(1, 1, date(2024, 1, 1), date(2024, 2, 1))
    assert words in L.rare_text(f"0|3B|{count}", 3, facts)


def test_records_and_frames_get_the_same_limits(model, contacts):
    rows = random_rows(contacts, 30, seed=4)
    by_frame = assess(model, rows, surface_threshold=0.5, rare_cell_rows=50)
    by_records = assess_records(
        model, contract_records(rows), surface_threshold=0.5, rare_cell_rows=50
    )
    assert [a["limits"] for a in by_frame] == [a["limits"] for a in by_records]


def test_every_limit_is_in_the_api_shape_with_n_only_behind_a_count(linear_model):
    # The service stores and answers limits as built, so each carries code, text and n.
    model = with_facts(linear_model, {CELL: 12})
    record = {**RECORD, "referral_source": "10", "concerns": []}
    for facts_model in (model, linear_model):
        for body in (RECORD, record):
            [a] = assess_records(facts_model, [body], surface_threshold=0.5, rare_cell_rows=50)
            for item in a["limits"]:
                assert set(item) == {"code", "text", "n"}
                assert (item["n"] is not None) == (item["code"] == "rare_cell")
