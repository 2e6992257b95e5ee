"""Reading and writing contact-record files."""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from contact_rows import acceptance_file, valid_raw, with_values, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from data.codes import (
    AssessmentOutcome,
    Decision,
    Disability,
    Ethnicity,
    LateReason,
    ReferralSource,
    Sex,
)
from data.concerns import CONCERN_CODES
from data.contract import COLUMNS, FIELDS
from data.io import read_contacts, read_raw, validate_file, write_contacts
from data.validate import ContractError, validate_frame


def typed(raw: pd.DataFrame) -> pd.DataFrame:
    frame = validate_frame(raw).frame
    assert frame is not None
    return frame


# --- reading -----------------------------------------------------------------------------------


def test_read_raw_csv_keeps_every_value_as_text(tmp_path):
    raw = valid_raw(3).assign(team_id=["NA", "null", ""], prior_contacts_12m=["007", "1", "2"])
    read = read_raw(write_csv(raw, tmp_path / "x.csv"))
    assert read["team_id"].tolist() == ["NA", "null", ""]
    assert read["prior_contacts_12m"].tolist() == ["007", "1", "2"]
    assert all(pd.api.types.is_string_dtype(read[c]) for c in read.columns)
    assert not read.isna().any().any()


def test_read_raw_parquet_keeps_its_types(tmp_path):
    frame = typed(valid_raw(4))
    write_contacts(frame, tmp_path / "x.parquet")
    read = read_raw(tmp_path / "x.parquet")
    assert str(read["received_at"].dtype) == "datetime64[ns, UTC]"
    assert str(read["child_age_years"].dtype) == "int64"


@pytest.mark.parametrize("name", ["contacts.xlsx", "contacts", "contacts.csv.gz"])
def test_unknown_extension_is_a_clear_error(tmp_path, name):
    path = tmp_path / name
    path.write_text("contact_id\n")
    with pytest.raises(ValueError, match=r"\.csv, \.parquet") as info:
        read_raw(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_raw(tmp_path / "absent.csv")


def test_empty_csv_is_a_clear_error(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty file"):
        read_raw(tmp_path / "empty.csv")


def test_header_only_csv_is_valid_and_empty(tmp_path):
    (tmp_path / "h.csv").write_text(",".join(COLUMNS[:7]) + "\n")
    frame = read_contacts(tmp_path / "h.csv")
    assert len(frame) == 0
    assert tuple(frame.columns) == COLUMNS


def test_csv_with_byte_order_mark_and_crlf_is_read(tmp_path):
    raw = valid_raw(3)
    text = raw.to_csv(index=False, lineterminator="\r\n")
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    pd.testing.assert_frame_equal(read_contacts(tmp_path / "bom.csv"), typed(raw))


def test_read_contacts_returns_the_typed_frame(tmp_path):
    raw = valid_raw(30)
    frame = read_contacts(write_csv(raw, tmp_path / "x.csv"))
    pd.testing.assert_frame_equal(frame, typed(raw))


def test_read_contacts_raises_contract_error_with_the_report(tmp_path):
    with pytest.raises(ContractError, match="3 contract errors") as info:
        read_contacts(acceptance_file(tmp_path))
    assert [p.row for p in info.value.report.errors] == [17, 30, 42]
    assert "row 17, column child_age_years: '19'" in str(info.value)


def test_read_contacts_logs_warnings(tmp_path, caplog):
    raw = with_values(valid_raw(5), {(3, "concerns"): "18A"}).assign(postcode="X")
    path = write_csv(raw, tmp_path / "x.csv")
    with caplog.at_level(logging.WARNING, logger="data.io"):
        frame = read_contacts(path)
    assert frame.loc[2, "concerns"] == "18C"
    messages = [r.getMessage() for r in caplog.records if r.name == "data.io"]
    assert messages == [
        f"{path}: column postcode: is not in the contract; ignored",
        f"{path}: row 3, column concerns: '18A' is a legacy code, read as 18C",
    ]


def test_validate_file_reports_without_raising(tmp_path):
    report = validate_file(acceptance_file(tmp_path))
    assert len(report.errors) == 3
    assert report.rows == 60


# --- writing -----------------------------------------------------------------------------------


def test_csv_text_format(tmp_path):
    raw = valid_raw(2).assign(
        received_at=["2024-05-01T10:30:00+01:00", "2024-05-01T09:30:00.5Z"],
        previous_cp_plan=["Y", "0"],
        outcome_need_12m=["", "yes"],
        team_id=["", "north"],
    )
    path = tmp_path / "out.csv"
    write_contacts(typed(raw), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(f'"{c}"' for c in COLUMNS)
    first = pd.read_csv(path, dtype=str, keep_default_na=False).iloc[0]
    assert first["received_at"] == "2024-05-01T09:30:00.000+00:00"
    assert first["previous_cp_plan"] == "true"
    assert first["outcome_need_12m"] == ""
    assert first["team_id"] == ""
    assert '"2024-05-01T09:30:00.500+00:00"' in lines[2]
    assert '"false"' in lines[2]
    assert '"yes"' not in lines[2]


def test_whole_second_timestamps_are_written_without_fractions(tmp_path):
    raw = valid_raw(2).assign(received_at=["2024-05-01T10:30:00+01:00", "2024-01-01T00:00:00Z"])
    write_contacts(typed(raw), tmp_path / "out.csv")
    read = read_raw(tmp_path / "out.csv")
    assert read["received_at"].tolist() == [
        "2024-05-01T09:30:00+00:00",
        "2024-01-01T00:00:00+00:00",
    ]


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_writing_is_deterministic_and_round_trips(tmp_path, name):
    frame = typed(valid_raw(300, seed=5))
    first, second = tmp_path / "a" / name, tmp_path / "b" / "c" / name
    write_contacts(frame, first)
    write_contacts(frame.copy(), second)
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(read_contacts(first), frame)


def test_write_rejects_a_frame_without_the_contract_columns(tmp_path):
    frame = typed(valid_raw(2)).drop(columns=["concerns"])
    with pytest.raises(ValueError, match="concerns"):
        write_contacts(frame, tmp_path / "out.csv")


def test_write_rejects_unknown_extensions(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv, \.parquet"):
        write_contacts(typed(valid_raw(2)), tmp_path / "out.json")


# --- any valid record round-trips --------------------------------------------------------------

TRICKY_TEXT = st.sampled_from(
    ["NA", "null", "NULL", "None", "nan", "N/A", "#N/A", " ", "  padded  ", "\r", "\n", "\r\n",
     '"', '""', ",", ";", "a;b", "#", "\ufeffbom", "true", "0", "1e5", "\t", "\\", "'"]
)  # fmt: skip
CHARACTERS = st.one_of(st.characters(codec="utf-8"), st.sampled_from(list(',";\r\n \t')))
TEXT = st.one_of(TRICKY_TEXT, st.text(CHARACTERS, min_size=1))


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def codes(enum: type) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


STAMPS = st.builds(
    lambda moment, nanoseconds: pd.Timestamp(moment) + pd.Timedelta(nanoseconds, unit="ns"),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.one_of(st.just(0), st.integers(0, 999)),
)
DAYS = st.dates(date(1700, 1, 1), date(2200, 12, 31)).map(pd.Timestamp)
REASONS = st.lists(codes(LateReason), min_size=1, max_size=4, unique=True).map(";".join)
ORDINARY = [c for c in CONCERN_CODES if c != "21"]
CONCERNS = st.one_of(
    st.just(""),
    st.just("21"),
    st.sets(st.sampled_from(ORDINARY), min_size=1, max_size=6).map(
        lambda chosen: ";".join(sorted(chosen, key=CONCERN_CODES.index))
    ),
)
RECORDS = st.fixed_dictionaries(
    {
        "contact_id": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        "received_at": STAMPS,
        "child_age_years": st.integers(0, 17),
        "referral_source": codes(ReferralSource),
        "concerns": CONCERNS,
        "prior_contacts_12m": st.integers(0, 2**62),
        "previous_cp_plan": st.booleans(),
        "early_help_open": st.booleans(),
        "child_sex": codes(Sex),
        "child_ethnicity": codes(Ethnicity),
        "child_disability": codes(Disability),
        "team_id": optional(TEXT.filter(lambda t: len(t) <= 64)),
        "narrative": optional(TEXT),
        "decision": optional(codes(Decision)),
        "decided_at": optional(STAMPS),
        "worker_id": optional(TEXT.filter(lambda t: len(t) <= 64)),
        "decision_note": optional(TEXT),
        "outcome_need_12m": optional(st.booleans()),
        "true_risk": optional(st.floats(0, 1)),
        "due_on": optional(DAYS),
        "late_reasons": optional(REASONS),
        "late_note": optional(TEXT.filter(lambda t: len(t) <= 2_000)),
        "assessment_due_on": optional(DAYS),
        "assessment_completed_on": optional(DAYS),
        "assessment_outcome": optional(codes(AssessmentOutcome)),
        "assessment_late_reasons": optional(REASONS),
        "assessment_late_note": optional(TEXT.filter(lambda t: len(t) <= 2_000)),
    }
)


def typed_frame(records: list[dict]) -> pd.DataFrame:
    """Records (None = absent) as a typed frame."""
    return pd.DataFrame(
        {f.name: pd.Series([r[f.name] for r in records], dtype=f.dtype) for f in FIELDS}
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(RECORDS, min_size=1, max_size=4, unique_by=lambda r: r["contact_id"]))
def test_any_valid_records_round_trip_through_csv_and_parquet(records):
    frame = typed_frame(records)
    pd.testing.assert_frame_equal(typed(frame), frame)
    with tempfile.TemporaryDirectory() as directory:
        for name in ("contacts.csv", "contacts.parquet"):
            path = Path(directory) / name
            write_contacts(frame, path)
            pd.testing.assert_frame_equal(read_contacts(path), frame)
