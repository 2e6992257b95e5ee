"""Hostile input to the contract's parsers: whatever arrives, a list of problems, never a crash.

Files: any text in any cell of a CSV, and any Python value or dtype in any column of a table (as
a Parquet file may hold), gives a :class:`ValidationReport` whose errors name the row and column
that were changed; a table that passes has only in-domain values. A CSV file of any bytes is read
or refused with a ``ValueError`` (``ContractError`` for contract problems). The API: any JSON is
either a valid :class:`ContactIn` or a pydantic ``ValidationError``, and a valid one can be stored
and read back by pandas (its instant lies within pandas' range).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from contact_rows import valid_raw
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from data.codes import LEGACY_CONCERNS
from data.concerns import CONCERN_CODES
from data.contract import COLUMNS, FIELD_BY_NAME, FIELDS
from data.io import read_contacts
from data.validate import RANGES, ContractError, ValidationReport, validate_frame
from service.contacts.canonical import canonicalise
from service.contacts.schemas import ContactIn

ROWS = 5
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that has broken parsers before: number and date edge cases, codes almost right,
# separators, invisible and non-ASCII characters.
NASTY_TEXT = [
    "", " ", "\t", "\n", "\x00", "\ufeff", "\u2028", "NA", "NaN", "nan", "None", "null", "-",
    "inf", "-inf", "1e309", "1e3", "-0", "+5", " 5 ", "5.0", "0x10", "1_000", "½", "²", "١٢", "𝟙",
    "9" * 40, "-9223372036854775809", "9223372036854775807", "9223372036854775808",
    "2024-02-30", "2024-13-01T00:00", "0000-01-01", "9999-12-31T23:59:59Z", "1677-09-21",
    "2262-04-11T23:47:17Z", "1677-09-21T00:12:43Z", "2024-03-31T01:30:00", "2024-10-27T01:30",
    "2024-05-01T09:30:00+25:00", "2024-05-01T09:30:00.1234567891Z", "2024-05-01T24:00",
    "true", "TRUE", "yes", "Y", "2", ";", ";;", " ; ", "21;3B", "18A;18C", "3b", "3B;3B",
    "18A", "4B ;", "ZZ", "21;21", "C-1", "C\u00e9", "x" * 65, "x" * 10_001,
]  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.integers().map(str),
    st.floats().map(str),
    st.sets(st.sampled_from((*CONCERN_CODES, "ZZ", "")), max_size=4).map(";".join),
)
# Any value a table read from Parquet (or built in memory) can hold in an object column.
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    HOSTILE_TEXT,
    st.text(max_size=10).map(str.encode),  # UTF-8 bytes (other bytes: see the test below)
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC))),
    st.dates(),
    st.lists(st.integers(), max_size=2),
    st.just(pd.NA),
    st.just(pd.NaT),
)
# Typed columns of the wrong type, as a Parquet file written by another tool may have.
TYPED_COLUMNS = st.one_of(
    st.lists(st.floats(), min_size=ROWS, max_size=ROWS).map(lambda v: pd.Series(v)),
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=ROWS, max_size=ROWS).map(
        lambda v: pd.Series(v, dtype="int64")
    ),
    st.lists(
        st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), min_size=ROWS, max_size=ROWS
    ).map(lambda v: pd.Series(v, dtype="Int64")),
    st.lists(st.booleans(), min_size=ROWS, max_size=ROWS).map(lambda v: pd.Series(v)),
    st.lists(st.one_of(st.none(), st.booleans()), min_size=ROWS, max_size=ROWS).map(
        lambda v: pd.Series(v, dtype="boolean")
    ),
    st.lists(
        st.datetimes(datetime(1700, 1, 1), datetime(2200, 1, 1)), min_size=ROWS, max_size=ROWS
    ).map(lambda v: pd.Series(v, dtype="datetime64[ns]")),
    st.lists(
        st.datetimes(datetime(1700, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
        min_size=ROWS,
        max_size=ROWS,
    ).map(lambda v: pd.Series(v, dtype="datetime64[ns, UTC]")),
)


def cells(values: st.SearchStrategy) -> st.SearchStrategy[dict[tuple[int, str], Any]]:
    """Changes to a few cells: ``{(0-based row, column): value}``."""
    where = st.tuples(st.integers(0, ROWS - 1), st.sampled_from(COLUMNS))
    return st.dictionaries(where, values, min_size=1, max_size=6)


def changed(raw: pd.DataFrame, changes: dict[tuple[int, str], Any]) -> pd.DataFrame:
    """A copy of ``raw`` with the cells changed (columns become object to hold any value)."""
    raw = raw.copy()
    for column in {column for _, column in changes}:
        raw[column] = raw[column].astype(object)
    for (row, column), value in changes.items():
        raw.at[row, column] = value
    return raw


def assert_located(
    report: ValidationReport, columns: set[str], cells: set[tuple[int, str]] | None = None
) -> None:
    """Every error names a data row and one of ``columns`` and, given ``cells`` (0-based row,
    column), one of those cells: only a repeated contact_id is blamed on a row left as it was."""
    for problem in report.errors:
        assert problem.column in columns and problem.row is not None, problem
        assert 1 <= problem.row <= report.rows, problem
        if cells is not None and problem.column != "contact_id":
            assert (problem.row - 1, problem.column) in cells, problem
        assert str(problem)


def assert_in_domain(frame: pd.DataFrame) -> None:
    """The typed frame of a valid table: the contract's columns, dtypes and value domains."""
    assert tuple(frame.columns) == COLUMNS
    assert {c: str(t) for c, t in frame.dtypes.items()} == {f.name: f.dtype for f in FIELDS}
    assert frame["contact_id"].str.fullmatch(r"[A-Za-z0-9_-]{1,64}").all()
    assert frame["contact_id"].is_unique
    for name, (low, high) in RANGES.items():
        values = frame[name].dropna()
        assert (values >= low).all() and (high is None or (values <= high).all()), name
    for spec in FIELDS:
        values = frame[spec.name].dropna()
        if spec.codes and spec.kind == "code":
            assert values.isin(spec.codes).all(), spec.name
        if spec.max_length is not None:
            assert (values.str.len() <= spec.max_length).all(), spec.name
        if spec.required:
            assert frame[spec.name].notna().all(), spec.name
    for concerns in frame["concerns"]:
        codes = [c for c in concerns.split(";") if c]
        assert set(codes) <= set(CONCERN_CODES) - set(LEGACY_CONCERNS), concerns
        assert len(codes) == len(set(codes)) and ("21" not in codes or codes == ["21"])


# --- files -------------------------------------------------------------------------------------


@FUZZ
@given(cells(HOSTILE_TEXT))
def test_any_text_in_any_cell_is_read_or_reported_by_row_and_column(changes):
    raw = valid_raw(ROWS)
    report = validate_frame(changed(raw, changes))
    assert report.rows == ROWS
    assert_located(report, {column for _, column in changes}, set(changes))
    if report.ok:
        assert report.frame is not None
        assert_in_domain(report.frame)
        untouched = [c for c in COLUMNS if c not in {c for _, c in changes}]
        original = validate_frame(raw).frame
        pd.testing.assert_frame_equal(report.frame[untouched], original[untouched])
    else:
        assert report.frame is None


@FUZZ
@given(cells(HOSTILE_VALUES))
def test_any_python_value_in_any_cell_gives_a_report(changes):
    report = validate_frame(changed(valid_raw(ROWS), changes))
    assert_located(report, {column for _, column in changes}, set(changes))
    if report.ok:
        assert_in_domain(report.frame)


@FUZZ
@given(st.dictionaries(st.sampled_from(COLUMNS), TYPED_COLUMNS, min_size=1, max_size=4))
def test_columns_of_any_type_give_a_report(columns):
    raw = valid_raw(ROWS)
    for name, values in columns.items():
        raw[name] = values
    report = validate_frame(raw)
    assert_located(report, set(columns))
    if report.ok:
        assert_in_domain(report.frame)


@FUZZ
@given(st.lists(st.lists(HOSTILE_TEXT, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=4))
def test_a_well_formed_csv_of_any_values_is_read_or_refused_naming_row_and_column(rows):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contacts.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        try:
            frame = read_contacts(path)
        except ContractError as error:
            assert error.report.errors
            assert_located(error.report, set(COLUMNS))
        else:
            assert len(frame) == len(rows)
            assert_in_domain(frame)


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
@example(b"")
@example(b"\xff\xfe\x00")
@example(",".join(COLUMNS).encode() + b'\n"unterminated')
@example(",".join(COLUMNS).encode() + b"\n1,2,3")
def test_a_csv_file_of_any_bytes_is_read_or_refused_with_a_value_error(content):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contacts.csv"
        path.write_bytes(content)
        try:
            frame = read_contacts(path)
        except ValueError as error:  # ContractError, or a file that is not a CSV table at all
            assert str(error)
        else:
            assert_in_domain(frame)


def test_bytes_that_are_not_utf8_in_a_parquet_file_are_reported_by_row_and_column(tmp_path):
    raw = valid_raw(ROWS)
    table = pa.Table.from_pandas(raw, preserve_index=False)
    ids = pa.array([b"\x80"] + [i.encode() for i in raw["contact_id"][1:]], pa.binary())
    path = tmp_path / "contacts.parquet"
    pq.write_table(table.set_column(0, "contact_id", ids).replace_schema_metadata(None), path)
    with pytest.raises(ContractError) as refused:
        read_contacts(path)
    assert [(p.row, p.column) for p in refused.value.report.errors] == [(1, "contact_id")]


# --- the API's contact record --------------------------------------------------------------------

JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(),
        st.text(max_size=20),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
EDGE_STAMPS = st.one_of(  # around the edges of pandas' range, where an offset moves the day
    st.datetimes(datetime(1677, 12, 31), datetime(1678, 1, 2), timezones=OFFSETS),
    st.datetimes(datetime(2262, 4, 10), datetime(2262, 4, 12), timezones=OFFSETS),
).map(datetime.isoformat)
STAMPS = st.one_of(
    st.datetimes(
        datetime(1, 1, 1), datetime(9999, 12, 31), timezones=st.one_of(st.none(), OFFSETS)
    ).map(datetime.isoformat),
    EDGE_STAMPS,
    HOSTILE_TEXT,
)
# The contract's keys with values almost right: right types, edge values, and anything at all.
FIELD_VALUES: dict[str, st.SearchStrategy] = {
    "contact_id": st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True), HOSTILE_TEXT),
    "received_at": STAMPS,
    "child_age_years": st.one_of(st.integers(-2, 20), st.floats(), st.booleans()),
    "referral_source": st.one_of(st.sampled_from(FIELD_BY_NAME["referral_source"].codes), JSON),
    "concerns": st.one_of(st.lists(st.sampled_from(CONCERN_CODES), max_size=4), JSON),
    "prior_contacts_12m": st.one_of(st.integers(-1, 2**65), st.floats()),
    "previous_cp_plan": st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None])),
    "early_help_open": st.one_of(st.booleans(), JSON),
    "child_sex": st.one_of(st.sampled_from(["F", "M", "U", "f", ""]), JSON),
    "child_ethnicity": st.one_of(st.sampled_from(FIELD_BY_NAME["child_ethnicity"].codes), JSON),
    "child_disability": st.one_of(st.sampled_from(["Y", "N", "U"]), JSON),
    "team_id": st.one_of(HOSTILE_TEXT, JSON),
    "narrative": st.one_of(HOSTILE_TEXT, JSON),
}
VALID = {
    "contact_id": "C-1",
    "received_at": "2024-05-01T09:30:00+01:00",
    "child_age_years": 4,
    "referral_source": "2A",
    "concerns": ["3B"],
    "prior_contacts_12m": 0,
    "previous_cp_plan": False,
}
CONTACTS = st.one_of(
    JSON,
    EDGE_STAMPS.map(lambda received_at: {**VALID, "received_at": received_at}),
    st.fixed_dictionaries({}, optional=FIELD_VALUES).map(lambda changes: {**VALID, **changes}),
    st.fixed_dictionaries({}, optional={**FIELD_VALUES, "unknown": JSON}),
)


def assert_storable(contact: ContactIn) -> None:
    """A valid contact's canonical form is JSON pandas can read back (as the reports do)."""
    body = canonicalise(contact).body
    stamp = pd.Timestamp(body["received_at"]).as_unit("ns")  # as the reports read it
    assert stamp.tzinfo is not None
    assert ContactIn.model_validate(contact.model_dump(mode="json", exclude_none=True)) == contact


def assert_names_offender(data: Any, errors: list[dict[str, Any]]) -> None:
    """Each error's ``loc`` names what was wrong: the body, a missing field or a given key."""
    assert errors
    for e in errors:
        if not isinstance(data, dict):
            assert e["loc"] == (), e  # not an object at all: the error is the whole body
            continue
        assert e["loc"], e
        name = e["loc"][0]
        if e["type"] == "missing":
            assert name in ContactIn.model_fields and name not in data, e
        else:
            assert name in data, e  # a key that was sent (an unknown one, or a bad value)


@settings(FUZZ, max_examples=500)
@given(CONTACTS)
@example({**VALID, "received_at": "2262-04-11T23:59:59-12:00"})  # stored past 2262-04-11 UTC
@example({**VALID, "received_at": "1678-01-01T00:00:00+14:00"})
@example({**VALID, "narrative": "\x00"})
@example({**VALID, "prior_contacts_12m": 2**63})
def test_any_json_is_a_valid_contact_or_a_validation_error(data):
    try:
        contact = ContactIn.model_validate(data)
    except ValidationError as error:
        assert_names_offender(data, error.errors())
        return
    assert_storable(contact)


@FUZZ
@given(st.one_of(st.binary(max_size=200), JSON.map(json.dumps)))
def test_any_request_body_is_a_valid_contact_or_a_validation_error(body):
    try:
        contact = ContactIn.model_validate_json(body)
    except ValidationError:
        return
    assert_storable(contact)


@pytest.mark.parametrize("received_at", ["2262-04-11T23:59:59-12:00", "2262-04-11T12:00:00Z"])
def test_a_contact_received_past_pandas_range_in_utc_is_refused(received_at):
    with pytest.raises(ValidationError, match="must fall between"):
        ContactIn.model_validate({**VALID, "received_at": received_at})


def test_the_edges_of_the_range_are_accepted():
    for received_at in ("1678-01-01T00:00:00Z", "2262-04-10T23:59:59Z", "2262-04-10T23:59:59"):
        assert_storable(ContactIn.model_validate({**VALID, "received_at": received_at}))
