"""Validation of raw tables against the contact-record contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from contact_rows import (
    ACCEPTANCE_PROBLEMS,
    acceptance_file,
    valid_raw,
    with_values,
)

from data.contract import COLUMNS, FIELDS, REQUIRED
from data.io import validate_file
from data.validate import ContractError, Problem, ValidationReport, validate_frame


def located(problems: list[Problem]) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.value) for p in problems]


def check_one(value: str, column: str, *, row: int = 3) -> ValidationReport:
    return validate_frame(with_values(valid_raw(5), {(row, column): value}))


# --- valid input and the typed frame -----------------------------------------------------------


def test_valid_rows_give_a_typed_frame_and_no_problems():
    report = validate_frame(valid_raw(200))
    assert report.problems == []
    assert report.ok
    frame = report.frame
    assert frame is not None
    assert tuple(frame.columns) == COLUMNS
    assert {c: str(t) for c, t in frame.dtypes.items()} == {f.name: f.dtype for f in FIELDS}
    assert isinstance(frame.index, pd.RangeIndex)
    assert len(frame) == report.rows == 200


def test_typed_frame_is_accepted_again_unchanged():
    frame = validate_frame(valid_raw(50)).frame
    again = validate_frame(frame)
    assert again.problems == []
    pd.testing.assert_frame_equal(again.frame, frame)


def test_rows_are_numbered_by_position_whatever_the_index():
    raw = valid_raw(10)
    raw.index = range(100, 110)
    raw["child_age_years"] = ["1"] * 9 + ["99"]
    report = validate_frame(raw)
    assert located(report.errors) == [(10, "child_age_years", "99")]


# --- the acceptance case -----------------------------------------------------------------------


def test_acceptance_every_bad_value_is_named_by_row_and_column(tmp_path):
    report = validate_file(acceptance_file(tmp_path))
    assert not report.ok
    assert report.frame is None
    assert located(report.errors) == ACCEPTANCE_PROBLEMS
    assert [str(p) for p in report.errors] == [
        "row 17, column child_age_years: '19' is not an integer from 0 to 17",
        "row 30, column referral_source: '99' is not a CIN referral source code",
        "row 42, column concerns: 'ZZ' is not a CIN assessment factor code",
    ]


def test_every_bad_row_of_a_large_table_is_reported():
    raw = valid_raw(20_000, seed=3)
    bad_rows = np.random.default_rng(1).choice(20_000, size=100, replace=False) + 1
    ages = raw["child_age_years"].to_numpy(dtype=object)
    ages[bad_rows - 1] = "18"
    report = validate_frame(raw.assign(child_age_years=ages))
    assert located(report.errors) == [(int(r), "child_age_years", "18") for r in sorted(bad_rows)]


# --- columns -----------------------------------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED)
def test_missing_required_column_is_one_file_level_error(column):
    report = validate_frame(valid_raw(5).drop(columns=[column]))
    assert located(report.errors) == [(None, column, None)]
    assert str(report.errors[0]) == f"column {column}: required column is missing"
    assert report.frame is None


def test_unknown_column_is_warned_about_and_dropped():
    report = validate_frame(valid_raw(5).assign(postcode="SW1A 1AA"))
    assert report.ok
    assert located(report.warnings) == [(None, "postcode", None)]
    assert report.warnings[0].message == "is not in the contract; ignored"
    assert "postcode" not in report.frame.columns


def test_repeated_column_is_an_error():
    raw = valid_raw(3)
    raw.columns = [c if c != "team_id" else "narrative" for c in raw.columns]
    report = validate_frame(raw)
    assert located(report.errors) == [(None, "narrative", None)]
    assert report.errors[0].message == "appears more than once; the first is used"


def test_absent_optional_columns_are_filled_with_defaults():
    raw = valid_raw(3)[list(REQUIRED)]
    frame = validate_frame(raw).frame
    assert frame["early_help_open"].tolist() == [False] * 3
    assert frame["child_sex"].tolist() == ["U"] * 3
    assert frame["child_ethnicity"].tolist() == ["NOBT"] * 3
    assert frame["child_disability"].tolist() == ["U"] * 3
    for column in ("team_id", "narrative", "decision", "worker_id", "outcome_need_12m"):
        assert frame[column].isna().all()
    assert frame["decided_at"].isna().all()
    assert frame["true_risk"].isna().all()
    assert {c: str(t) for c, t in frame.dtypes.items()} == {f.name: f.dtype for f in FIELDS}


def test_empty_optional_fields_get_defaults():
    optional = [f.name for f in FIELDS if not f.required]
    raw = valid_raw(4)
    raw[optional] = ""
    frame = validate_frame(raw).frame
    assert not frame["early_help_open"].any()
    assert set(frame["child_sex"]) == {"U"}
    assert set(frame["child_ethnicity"]) == {"NOBT"}
    assert set(frame["child_disability"]) == {"U"}
    assert frame["narrative"].isna().all()
    assert frame["outcome_need_12m"].isna().all()
    assert frame["true_risk"].isna().all()


# --- contact_id --------------------------------------------------------------------------------


def test_duplicate_contact_id_names_both_rows():
    raw = with_values(valid_raw(10), {(7, "contact_id"): "C000002"})
    report = validate_frame(raw)
    assert located(report.errors) == [(7, "contact_id", "C000002")]
    assert (
        str(report.errors[0])
        == "row 7, column contact_id: 'C000002' repeats the contact_id of row 2"
    )


def test_every_repeat_of_a_contact_id_is_an_error():
    raw = with_values(valid_raw(6), {(4, "contact_id"): "C000001", (6, "contact_id"): "C000001"})
    report = validate_frame(raw)
    assert located(report.errors) == [(4, "contact_id", "C000001"), (6, "contact_id", "C000001")]
    assert all("row 1" in p.message for p in report.errors)


@pytest.mark.parametrize("value", ["has space", "x" * 65, "é", "a/b", "a\n"])
def test_contact_id_must_match_the_pattern(value):
    report = check_one(value, "contact_id")
    assert located(report.errors) == [(3, "contact_id", value)]


def test_contact_id_of_64_characters_is_fine():
    assert check_one("A-_9" * 16, "contact_id").ok


def test_empty_required_value_is_an_error():
    report = check_one("", "contact_id")
    assert str(report.errors[0]) == "row 3, column contact_id: '' is empty; a value is required"


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["19", "18", "-1", "3.5", "abc", "", "1e1", "３"])
def test_child_age_must_be_an_integer_from_0_to_17(value):
    report = check_one(value, "child_age_years")
    assert located(report.errors) == [(3, "child_age_years", value)]


@pytest.mark.parametrize(("value", "age"), [("0", 0), ("17", 17), (" 7 ", 7), ("007", 7)])
def test_child_age_accepts_integers_in_range(value, age):
    report = check_one(value, "child_age_years")
    assert report.ok
    assert report.frame.loc[2, "child_age_years"] == age


@pytest.mark.parametrize("value", ["-1", "1.0", "many", "", "99999999999999999999"])
def test_prior_contacts_must_be_a_non_negative_integer(value):
    report = check_one(value, "prior_contacts_12m")
    assert located(report.errors) == [(3, "prior_contacts_12m", value)]


def test_integers_up_to_the_int64_limit_are_read_exactly():
    report = check_one("9223372036854775807", "prior_contacts_12m")
    assert report.frame.loc[2, "prior_contacts_12m"] == 2**63 - 1
    report = check_one("9223372036854775808", "prior_contacts_12m")
    assert located(report.errors) == [(3, "prior_contacts_12m", "9223372036854775808")]


@pytest.mark.parametrize("value", ["1.5", "-0.1", "x", "nan", "inf"])
def test_true_risk_must_be_a_probability(value):
    report = check_one(value, "true_risk")
    assert located(report.errors) == [(3, "true_risk", value)]
    assert report.errors[0].message == "is not a number from 0 to 1"


# --- codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("referral_source", "99"),
        ("referral_source", "1a"),
        ("child_sex", "X"),
        ("child_ethnicity", "WXYZ"),
        ("child_disability", "yes"),
        ("decision", "refer"),
    ],
)
def test_codes_must_be_in_their_list(column, value):
    report = check_one(value, column)
    assert located(report.errors) == [(3, column, value)]


def test_code_message_lists_short_code_lists():
    report = check_one("X", "child_sex")
    assert report.errors[0].message == "is not one of F, M, U"


def test_whitespace_around_codes_is_ignored():
    report = check_one(" 6 ", "referral_source")
    assert report.frame.loc[2, "referral_source"] == "6"


# --- concerns ----------------------------------------------------------------------------------


def test_concerns_are_normalised():
    raw = valid_raw(4).assign(concerns=[" 16A ; 3B", "", "  ", "24A;1A;10A"])
    frame = validate_frame(raw).frame
    assert frame["concerns"].tolist() == ["3B;16A", "", "", "1A;10A;24A"]


def test_legacy_concern_codes_are_mapped_with_a_warning():
    raw = with_values(valid_raw(5), {(2, "concerns"): "18A", (4, "concerns"): "3B;19A"})
    report = validate_frame(raw)
    assert report.ok
    assert located(report.warnings) == [(2, "concerns", "18A"), (4, "concerns", "19A")]
    assert str(report.warnings[0]) == "row 2, column concerns: '18A' is a legacy code, read as 18C"
    assert report.frame["concerns"].tolist()[1:4:2] == ["18C", "3B;19C"]


def test_unknown_concern_codes_are_each_reported():
    report = check_one("3B;ZZ;16A;YY", "concerns")
    assert located(report.errors) == [(3, "concerns", "ZZ"), (3, "concerns", "YY")]


@pytest.mark.parametrize("value", ["21;3B", "16A; 21", "21;21;1A"])
def test_code_21_cannot_be_combined(value):
    report = check_one(value, "concerns")
    assert (3, "concerns", value) in located(report.errors)
    assert any("combines 21" in p.message for p in report.errors)


def test_repeated_concern_is_an_error():
    report = check_one("3B;16A;3B", "concerns")
    assert located(report.errors) == [(3, "concerns", "3B")]
    assert report.errors[0].message == "is repeated in this row"


def test_legacy_code_repeating_its_successor_is_an_error():
    report = check_one("18C;18A", "concerns")
    assert located(report.errors) == [(3, "concerns", "18A")]


@pytest.mark.parametrize("value", ["3B;", ";3B", "3B;;16A"])
def test_empty_concern_code_is_an_error(value):
    report = check_one(value, "concerns")
    assert located(report.errors) == [(3, "concerns", value)]


# --- booleans ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("true", True), ("TRUE", True), ("1", True), ("y", True), ("Yes", True), (" YES ", True)],
        *[("false", False), ("False", False), ("0", False), ("N", False), ("no", False)],
    ],
)
def test_boolean_spellings(value, expected):
    report = check_one(value, "previous_cp_plan")
    assert report.ok
    assert bool(report.frame.loc[2, "previous_cp_plan"]) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "t", "yes please", "-1"])
@pytest.mark.parametrize("column", ["previous_cp_plan", "early_help_open", "outcome_need_12m"])
def test_bad_booleans_are_errors(value, column):
    report = check_one(value, column)
    assert located(report.errors) == [(3, column, value)]
    assert "is not a boolean" in report.errors[0].message


def test_required_boolean_cannot_be_empty():
    report = check_one("", "previous_cp_plan")
    assert located(report.errors) == [(3, "previous_cp_plan", "")]


def test_outcome_may_be_empty():
    raw = valid_raw(3).assign(outcome_need_12m=["true", "", "no"])
    frame = validate_frame(raw).frame
    assert frame["outcome_need_12m"].tolist() == [True, pd.NA, False]
    assert str(frame["outcome_need_12m"].dtype) == "boolean"


# --- date-times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2024-07-01T12:00:00", "2024-07-01 11:00:00"),  # naive, British Summer Time
        ("2024-01-15T12:00:00", "2024-01-15 12:00:00"),  # naive, GMT
        ("2024-07-01 12:00", "2024-07-01 11:00:00"),
        ("2024-07-01", "2024-06-30 23:00:00"),
        ("2024-07-01T12:00:00Z", "2024-07-01 12:00:00"),
        ("2024-07-01T12:00:00+02:00", "2024-07-01 10:00:00"),
        ("2024-07-01T12:00:00-0530", "2024-07-01 17:30:00"),
        ("2024-07-01T12:00:00.123456789+00:00", "2024-07-01 12:00:00.123456789"),
    ],
)
def test_naive_times_are_london_and_aware_times_are_kept(value, utc):
    report = check_one(value, "received_at")
    assert report.problems == []
    assert report.frame.loc[2, "received_at"] == pd.Timestamp(utc, tz="UTC")


def test_naive_and_aware_times_mix_in_one_column():
    raw = valid_raw(2).assign(received_at=["2024-07-01T12:00:00", "2024-07-01T12:00:00+00:00"])
    stamps = validate_frame(raw).frame["received_at"]
    assert stamps.tolist() == [
        pd.Timestamp("2024-07-01 11:00", tz="UTC"),
        pd.Timestamp("2024-07-01 12:00", tz="UTC"),
    ]
    assert str(stamps.dtype) == "datetime64[ns, UTC]"


def test_ambiguous_and_missing_london_times_are_read_with_warnings():
    raw = valid_raw(3).assign(
        received_at=["2024-10-27T01:30:00", "2024-03-31T01:30:00", "2024-03-31T01:30:00Z"]
    )
    report = validate_frame(raw)
    assert report.ok
    assert located(report.warnings) == [
        (1, "received_at", "2024-10-27T01:30:00"),
        (2, "received_at", "2024-03-31T01:30:00"),
    ]
    assert report.frame["received_at"].tolist() == [
        pd.Timestamp("2024-10-27 00:30", tz="UTC"),  # the first 01:30, in BST
        pd.Timestamp("2024-03-31 01:30", tz="UTC"),  # 01:30 GMT, i.e. 02:30 BST
        pd.Timestamp("2024-03-31 01:30", tz="UTC"),
    ]


@pytest.mark.parametrize(
    "value",
    ["2024-13-01", "01/05/2024", "now", "today", "2024-05-01T25:00", "NaT", "1066-10-14", "x"],
)
def test_bad_date_times_are_errors(value):
    report = check_one(value, "received_at")
    assert located(report.errors) == [(3, "received_at", value)]


def test_optional_date_time_may_be_empty_but_not_bad():
    assert check_one("", "decided_at").frame.loc[2, "decided_at"] is pd.NaT
    assert located(check_one("soon", "decided_at").errors) == [(3, "decided_at", "soon")]


def test_typed_naive_datetimes_are_read_as_london():
    raw = valid_raw(2)
    raw["received_at"] = pd.to_datetime(["2024-07-01 12:00", "2024-12-01 12:00"])
    stamps = validate_frame(raw).frame["received_at"]
    assert stamps.tolist() == [
        pd.Timestamp("2024-07-01 11:00", tz="UTC"),
        pd.Timestamp("2024-12-01 12:00", tz="UTC"),
    ]


# --- text --------------------------------------------------------------------------------------


def test_text_length_limits():
    raw = with_values(valid_raw(5), {(2, "team_id"): "t" * 65, (4, "narrative"): "n" * 10_001})
    report = validate_frame(raw)
    assert located(report.errors) == [(2, "team_id", "t" * 65), (4, "narrative", "n" * 10_001)]
    assert report.errors[1].message == "is longer than 10,000 characters"
    assert str(report.errors[1]).startswith("row 4, column narrative: 'nnnnnn")
    assert "…' is longer" in str(report.errors[1])


def test_text_is_kept_as_written():
    raw = valid_raw(3).assign(narrative=["  padded  ", "NA", 'a;b,"c"\r\nd'])
    assert validate_frame(raw).frame["narrative"].tolist() == ["  padded  ", "NA", 'a;b,"c"\r\nd']


# --- the report --------------------------------------------------------------------------------


def test_every_problem_in_a_row_is_reported_in_column_order():
    raw = with_values(
        valid_raw(4),
        {(2, "true_risk"): "2", (2, "child_age_years"): "x", (2, "contact_id"): "bad id"},
    )
    report = validate_frame(raw)
    assert [p.column for p in report.errors] == ["contact_id", "child_age_years", "true_risk"]


def test_problem_text():
    assert str(Problem(None, None, None, "empty file")) == "empty file"
    assert str(Problem(3, "child_sex", "X", "is not one of F, M, U")) == (
        "row 3, column child_sex: 'X' is not one of F, M, U"
    )


def test_contract_error_lists_the_first_errors_and_the_count():
    raw = valid_raw(10).assign(child_age_years="99")
    error = ContractError(validate_frame(raw))
    text = str(error)
    assert text.startswith("10 contract errors:\n")
    assert "row 1, column child_age_years: '99' is not an integer from 0 to 17" in text
    assert "... and 5 more" in text
    assert isinstance(error, ValueError)
    assert len(error.report.errors) == 10


def test_empty_table_is_valid():
    report = validate_frame(valid_raw(0))
    assert report.ok
    assert len(report.frame) == 0
    assert tuple(report.frame.columns) == COLUMNS
