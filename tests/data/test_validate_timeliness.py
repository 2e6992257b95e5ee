"""The contract's optional timeliness columns: read, refused by row, and never required."""

from __future__ import annotations

import pandas as pd
from contact_rows import valid_raw, with_values

from data.validate import validate_frame

TIMELINESS = [
    "due_on",
    "late_reasons",
    "late_note",
    "assessment_due_on",
    "assessment_completed_on",
    "assessment_outcome",
    "assessment_late_reasons",
    "assessment_late_note",
]


def test_an_extract_without_the_timeliness_columns_is_valid():
    report = validate_frame(valid_raw(6).drop(columns=TIMELINESS))
    assert report.ok, report.problems
    assert report.frame[TIMELINESS].isna().all().all()


def test_dates_and_reasons_are_read_into_their_types():
    raw = with_values(
        valid_raw(3),
        {
            (1, "due_on"): " 2024-04-02 ",
            (1, "late_reasons"): " team_capacity ;holiday_period;team_capacity",
            (2, "late_reasons"): "",
            (2, "assessment_outcome"): "looked_after",
        },
    )
    frame = validate_frame(raw).frame
    assert frame.loc[0, "due_on"] == pd.Timestamp("2024-04-02")
    assert frame.loc[0, "late_reasons"] == "team_capacity;holiday_period"
    assert pd.isna(frame.loc[1, "late_reasons"])
    assert frame.loc[1, "assessment_outcome"] == "looked_after"
    assert str(frame["due_on"].dtype) == "datetime64[ns]"


def test_bad_dates_reasons_and_outcomes_are_named_by_row_and_column():
    raw = with_values(
        valid_raw(4),
        {
            (1, "due_on"): "2024-02-30",
            (2, "assessment_completed_on"): "2024-04-02T09:00:00Z",
            (3, "late_reasons"): "team_capacity;too_busy",
            (4, "assessment_outcome"): "cin",
        },
    )
    errors = [(p.row, p.column, p.message) for p in validate_frame(raw).errors]
    assert errors == [
        (1, "due_on", "is not an ISO 8601 date (e.g. 2024-05-01)"),
        (2, "assessment_completed_on", "is not an ISO 8601 date (e.g. 2024-05-01)"),
        (
            3,
            "late_reasons",
            "is not a list of late reason codes, ';'-separated (docs/timeliness.md)",
        ),
        (4, "assessment_outcome", "is not an assessment outcome (docs/timeliness.md)"),
    ]


def test_a_timestamp_column_is_read_as_its_london_day():
    raw = valid_raw(2)
    raw["assessment_due_on"] = pd.Series(
        pd.to_datetime(["2024-06-30T23:30:00Z", "2024-01-15T10:00:00Z"])
    )
    frame = validate_frame(raw).frame
    assert frame["assessment_due_on"].tolist() == [
        pd.Timestamp("2024-07-01"),
        pd.Timestamp("2024-01-15"),
    ]
