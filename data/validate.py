"""Validation of a raw contact-record table against the data contract (version 1).

A *raw* table is what a file holds: all strings when read from CSV, typed columns when read from
Parquet. :func:`validate_frame` reads every column into its contract type, checks every value and
reports every problem with its row, column and value; when there are no errors it also returns
the *typed frame* described in :mod:`data.contract`.

Each column goes through two steps: *parse* (text to a nullable typed column, in small vectorised
pandas/pyarrow code) and *check* (the value's domain, in one pandera schema validated lazily so
its failure cases list every failing row). Row numbers are 1-based data rows: the first row after
a CSV header is row 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from data.codes import LEGACY_CONCERNS
from data.concerns import NO_FACTORS_INDEX, join_concerns, repeated_codes, split_concerns
from data.contract import COLUMNS, FALSE_STRINGS, FIELD_BY_NAME, FIELDS, LONDON, TRUE_STRINGS, Field

Severity = Literal["error", "warning"]

ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
INT_PATTERN = r"-?[0-9]{1,18}"  # always fits int64
LONG_INT_PATTERN = r"-?[0-9]{19,40}"
INT64 = np.iinfo(np.int64)
# ISO 8601 extended format: a date, optionally a time, and an offset only after a time.
_OFFSET = r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)"
ISO_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    rf"(?:[T ][0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:[.,][0-9]{{1,9}})?)?{_OFFSET}?)?"
)
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
OFFSET_PATTERN = rf":[0-9]{{2}}(?:[.,][0-9]{{1,9}})?{_OFFSET}$"
# Integer and float ranges the contract gives in prose: (low, high), None = unbounded.
RANGES: dict[str, tuple[float, float | None]] = {
    "child_age_years": (0, 17),
    "prior_contacts_12m": (0, None),
    "true_risk": (0, 1),
}
CODE_LIST_NAMES = {
    "referral_source": "a CIN referral source code",
    "assessment_outcome": "an assessment outcome (docs/timeliness.md)",
    "child_ethnicity": "a CIN ethnicity code",
}
BOOLEAN_HINT = "true/false, 1/0, Y/N or yes/no"
EMPTY_REQUIRED = "is empty; a value is required"
SHOWN_VALUE_LENGTH = 60


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth knowing (warning) about a file or one of its values."""

    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        what = self.message
        if self.value is not None:
            what = f"{_shorten(self.value)!r} {self.message}"
        return f"{', '.join(where)}: {what}" if where else what


@dataclass
class ValidationReport:
    """The typed frame (only when there are no errors) and every problem found."""

    frame: pd.DataFrame | None
    problems: list[Problem]
    rows: int = 0

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the file invalid."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that were worked around."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Whether there are no errors (warnings allowed)."""
        return not self.errors


class ContractError(ValueError):
    """Raised when a table breaks the contract; ``report`` holds every problem."""

    def __init__(self, report: ValidationReport, *, shown: int = 5) -> None:
        self.report = report
        errors = report.errors
        lines = [f"  {p}" for p in errors[:shown]]
        if len(errors) > shown:
            lines.append(f"  ... and {len(errors) - shown:,} more")
        noun = "error" if len(errors) == 1 else "errors"
        super().__init__(f"{len(errors):,} contract {noun}:\n" + "\n".join(lines))


@dataclass
class _Parsed:
    """One column read into a nullable typed series, before its domain is checked."""

    values: pd.Series
    empty: np.ndarray  # no value given
    bad: np.ndarray  # a value given that cannot be read as the field's type
    problems: list[Problem] = field(default_factory=list)  # problems with their own messages


def _shorten(text: str) -> str:
    if len(text) <= SHOWN_VALUE_LENGTH:
        return text
    return text[: SHOWN_VALUE_LENGTH - 1] + "…"


NOT_UTF8 = "is not UTF-8 text"


def _decode_bytes(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Bytes cells (a binary Parquet column) read as UTF-8 text; a cell that is not UTF-8 is
    named as a problem (and read as its escaped form, so that it is never taken as valid)."""
    problems: list[Problem] = []
    for name in raw.columns:
        column = raw[name]
        if column.dtype != object or pd.api.types.infer_dtype(column, skipna=True) not in (
            "bytes",
            "mixed",
        ):
            continue
        decoded = []
        for row, value in enumerate(column.tolist()):
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    value = value.decode("utf-8", errors="backslashreplace")
                    problems.append(Problem(row + 1, str(name), value, NOT_UTF8))
            decoded.append(value)
        raw = raw.assign(**{str(name): pd.Series(decoded, index=raw.index, dtype=object)})
    return raw, problems


def _text(raw: pd.Series) -> pd.Series:
    """The column as ``string`` dtype without NA ("" where absent)."""
    return raw.astype("string").fillna("")


def _mask(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


def _values_at(raw: pd.Series, positions: np.ndarray) -> list[str]:
    """The raw values at ``positions`` as text, for messages."""
    return _text(raw.iloc[positions]).tolist()


def _row_problems(
    raw: pd.Series,
    positions: np.ndarray,
    message: str,
    severity: Severity = "error",
    values: Iterable[str] | None = None,
) -> list[Problem]:
    """One problem per position (0-based) of column ``raw``."""
    column = str(raw.name)
    values = _values_at(raw, positions) if values is None else values
    return [
        Problem(int(p) + 1, column, v, message, severity)
        for p, v in zip(positions.tolist(), values, strict=True)
    ]


# --- parse: raw column -> nullable typed column ------------------------------------------------


def _parse_string(raw: pd.Series, *, strip: bool) -> _Parsed:
    text = _text(raw)
    if strip:
        text = text.str.strip()
    empty = _mask(text == "")
    return _Parsed(text.mask(empty), empty, np.zeros(len(raw), dtype=bool))


def _parse_int(raw: pd.Series) -> _Parsed:
    dtype = raw.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        valid = ~raw.isna().to_numpy()
        ints = raw.to_numpy(dtype=np.int64, na_value=0)
        empty = ~valid
    elif pd.api.types.is_float_dtype(dtype):
        floats = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = np.isnan(floats)
        with np.errstate(invalid="ignore"):
            valid = np.isfinite(floats) & (np.floor(floats) == floats) & (np.abs(floats) < 2.0**63)
        ints = np.where(valid, floats, 0).astype(np.int64)
    else:
        text = _text(raw).str.strip()
        empty = _mask(text == "")
        valid = _mask(text.str.fullmatch(INT_PATTERN))
        ints = text.where(valid, "0").astype("int64").to_numpy().copy()
        _read_long_ints(text, ints, valid, empty)
    values = pd.Series(pd.arrays.IntegerArray(ints, ~valid))
    return _Parsed(values, empty, ~valid & ~empty)


def _read_long_ints(
    text: pd.Series, ints: np.ndarray, valid: np.ndarray, empty: np.ndarray
) -> None:
    """Read, in place, the rare integers too long for the vectorised path that still fit int64."""
    unread = text[~valid & ~empty]
    long = unread[_mask(unread.str.fullmatch(LONG_INT_PATTERN))]
    for position, digits in zip(long.index.tolist(), long.tolist(), strict=True):
        if INT64.min <= int(digits) <= INT64.max:
            ints[position], valid[position] = int(digits), True


def _parse_float(raw: pd.Series) -> _Parsed:
    dtype = raw.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        floats = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = np.isnan(floats)
    else:
        text = _text(raw).str.strip()
        empty = _mask(text == "")
        numbers = pd.to_numeric(text.mask(empty), errors="coerce")
        floats = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(floats) & ~empty
    return _Parsed(pd.Series(floats), empty, bad)


def _parse_bool(raw: pd.Series) -> _Parsed:
    if pd.api.types.is_bool_dtype(raw.dtype):
        empty = raw.isna().to_numpy()
        truth = raw.to_numpy(dtype=bool, na_value=False)
        known = ~empty
    else:
        text = _text(raw).str.strip().str.lower()
        truth = text.isin(TRUE_STRINGS).to_numpy()
        known = truth | text.isin(FALSE_STRINGS).to_numpy()
        empty = _mask(text == "")
    values = pd.Series(pd.arrays.BooleanArray(truth, ~known))
    return _Parsed(values, empty, ~known & ~empty)


def _localise(wall: pd.Series, raw: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Read naive wall-clock times as Europe/London, warning about DST gaps and overlaps."""
    strict = wall.dt.tz_localize(LONDON, ambiguous="NaT", nonexistent="NaT")
    unresolved = _mask(strict.isna() & wall.notna())
    if not unresolved.any():
        return strict.dt.tz_convert("UTC"), []
    positions = np.flatnonzero(unresolved)
    odd = wall.iloc[positions]
    first = np.ones(len(odd), dtype=bool)  # True = the summer-time reading of a repeated hour
    resolved = odd.dt.tz_localize(LONDON, ambiguous=first, nonexistent="NaT")
    gap = _mask(resolved.isna())
    shifted = odd.dt.tz_localize(LONDON, ambiguous=first, nonexistent=pd.Timedelta(hours=1))
    local = strict.where(~unresolved, shifted.reindex(strict.index))
    problems = _row_problems(
        raw,
        positions[~gap],
        "is ambiguous in Europe/London (the hour repeated when clocks went back); "
        "read as the first occurrence (BST)",
        "warning",
    ) + _row_problems(
        raw,
        positions[gap],
        "does not exist in Europe/London (clocks went forward); read as one hour later",
        "warning",
    )
    return local.dt.tz_convert("UTC"), problems


def _parse_datetime(raw: pd.Series) -> _Parsed:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        stamps = raw.dt.tz_convert("UTC")
        problems: list[Problem] = []
        empty = raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        stamps, problems = _localise(raw, raw)
        empty = raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
    else:
        text = _text(raw).str.strip()
        empty = _mask(text == "")
        iso = _mask(text.str.fullmatch(ISO_PATTERN))
        # Offsets parse to UTC; naive times parse as if UTC, giving their wall-clock reading.
        stamps = pd.to_datetime(text.where(iso, ""), utc=True, format="ISO8601", errors="coerce")
        bad = ~empty & (~iso | _mask(stamps.isna()))
        naive = ~_mask(text.str.contains(OFFSET_PATTERN))
        problems = []
        if naive.any():
            wall = stamps.where(naive).dt.tz_localize(None)
            local, problems = _localise(wall, raw)
            stamps = stamps.where(~naive, local)
    stamps, out_of_range = _to_ns(stamps)
    return _Parsed(stamps, empty, bad | out_of_range, problems)


def _to_ns(stamps: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC timestamps at nanosecond resolution; those outside 1677-2262 become NaT."""
    low = pd.Timestamp.min.tz_localize("UTC")
    high = pd.Timestamp.max.tz_localize("UTC")
    out_of_range = _mask((stamps < low) | (stamps > high))
    if out_of_range.any():
        stamps = stamps.mask(out_of_range)
    return stamps.dt.as_unit("ns"), out_of_range


def _parse_concerns(raw: pd.Series) -> _Parsed:
    items = split_concerns(raw)
    row, code, legacy = items.row, items.code, items.legacy
    text = np.array(items.text.to_numpy(zero_copy_only=False), dtype=object)
    unknown = code < 0
    blank = unknown & (text == "")
    repeated = repeated_codes(items)
    with_none = np.zeros(len(raw), dtype=bool)
    with_none[row[code == NO_FACTORS_INDEX]] = True
    combined = with_none & (np.bincount(row, minlength=len(raw)) > 1)
    unknown &= ~blank
    problems = [
        Problem(r + 1, "concerns", t, f"is a legacy code, read as {LEGACY_CONCERNS[t]}", "warning")
        for r, t in zip(row[legacy].tolist(), text[legacy], strict=True)
    ]
    problems += _row_problems(
        raw, row[unknown], "is not a CIN assessment factor code", values=text[unknown]
    )
    problems += _row_problems(raw, np.unique(row[blank]), "has an empty code (a stray ';')")
    problems += _row_problems(raw, row[repeated], "is repeated in this row", values=text[repeated])
    problems += _row_problems(
        raw, np.flatnonzero(combined), "combines 21 (no factors identified) with other codes"
    )
    values = join_concerns(row[~unknown & ~blank], code[~unknown & ~blank], len(raw))
    no_rows = np.zeros(len(raw), dtype=bool)
    return _Parsed(values, no_rows, no_rows, problems)


def _parse_date(raw: pd.Series) -> _Parsed:
    """A calendar day: ``YYYY-MM-DD`` text, or a timestamp read as its Europe/London date."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        days = raw.dt.tz_convert(LONDON).dt.tz_localize(None).dt.normalize()
        empty = raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        days, empty = raw.dt.normalize(), raw.isna().to_numpy()
        bad = np.zeros(len(raw), dtype=bool)
    else:
        text = _text(raw).str.strip()
        empty = _mask(text == "")
        iso = _mask(text.str.fullmatch(DATE_PATTERN))
        days = pd.to_datetime(text.where(iso, ""), format="%Y-%m-%d", errors="coerce")
        bad = ~empty & (~iso | _mask(days.isna()))
    days = pd.Series(pd.to_datetime(days, errors="coerce"), index=raw.index)
    days, out_of_range = _naive_ns(days)
    return _Parsed(days, empty, bad | out_of_range)


def _naive_ns(days: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Naive days at nanosecond resolution; those outside pandas' range become NaT."""
    out_of_range = _mask((days < pd.Timestamp.min) | (days > pd.Timestamp.max))
    if out_of_range.any():
        days = days.mask(out_of_range)
    return days.astype("datetime64[ns]"), out_of_range


@lru_cache(maxsize=4096)
def _read_reasons(text: str, codes: tuple[str, ...]) -> str | None:
    """``;``-joined reason codes without repeats ("" when none), or None when one is unknown."""
    items = [item.strip() for item in text.split(";") if item.strip()]
    if any(item not in codes for item in items):
        return None
    return ";".join(dict.fromkeys(items))


def _parse_reasons(raw: pd.Series, spec: Field) -> _Parsed:
    text = _text(raw).str.strip()
    unique = pd.unique(text.to_numpy(dtype=object))
    read = {value: _read_reasons(value, spec.codes) for value in unique}
    joined = text.map(read).astype("string")
    bad = _mask(joined.isna())
    empty = _mask(joined == "")
    return _Parsed(joined.mask(empty | bad), empty, bad)


def _parse(raw: pd.Series, spec: Field) -> _Parsed:
    """Read one raw column into its nullable typed form."""
    match spec.kind:
        case "id" | "text":
            return _parse_string(raw, strip=False)
        case "code":
            return _parse_string(raw, strip=True)
        case "codes":
            return _parse_concerns(raw)
        case "int":
            return _parse_int(raw)
        case "float":
            return _parse_float(raw)
        case "bool":
            return _parse_bool(raw)
        case "datetime":
            return _parse_datetime(raw)
        case "date":
            return _parse_date(raw)
        case "reasons":
            return _parse_reasons(raw, spec)
    raise AssertionError(f"no parser for kind {spec.kind!r}")  # pragma: no cover


def _absent(spec: Field, n_rows: int) -> pd.Series:
    """The values of a column missing from the file: its default, or NA."""
    index = pd.RangeIndex(n_rows)
    nullable = {"int64": "Int64", "bool": "boolean"}.get(spec.dtype, spec.dtype)
    if spec.default is None:
        return pd.Series(pd.NA if nullable != "float64" else np.nan, index=index, dtype=nullable)
    return pd.Series(spec.default, index=index, dtype=nullable)


# --- check: the domain of each parsed value, with pandera --------------------------------------


def _message(spec: Field) -> str:
    """What a bad value of this field is not."""
    low, high = RANGES.get(spec.name, (None, None))
    match spec.kind:
        case "id":
            return "is not 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'"
        case "datetime":
            return "is not an ISO 8601 date-time (e.g. 2024-05-01T09:30:00+01:00)"
        case "date":
            return "is not an ISO 8601 date (e.g. 2024-05-01)"
        case "reasons":
            return "is not a list of late reason codes, ';'-separated (docs/timeliness.md)"
        case "int":
            if high is None:
                return f"is not an integer of {low} or more"
            return f"is not an integer from {low} to {high}"
        case "float":
            return f"is not a number from {low} to {high}"
        case "bool":
            return f"is not a boolean ({BOOLEAN_HINT})"
        case "code":
            return f"is not {CODE_LIST_NAMES.get(spec.name) or 'one of ' + ', '.join(spec.codes)}"
        case "text" if spec.max_length is not None:
            return f"is longer than {spec.max_length:,} characters"
    return "is not valid"  # pragma: no cover


def _checks(spec: Field) -> list[pa.Check]:
    low, high = RANGES.get(spec.name, (None, None))
    match spec.kind:
        case "id":
            return [pa.Check(lambda s: s.str.fullmatch(ID_PATTERN), name="contact_id_pattern")]
        case "int" | "float" if high is None:
            return [pa.Check.ge(low)]
        case "int" | "float":
            return [pa.Check.in_range(low, high)]
        case "code":
            return [pa.Check.isin(spec.codes)]
        case "text" if spec.max_length is not None:
            return [pa.Check.str_length(max_value=spec.max_length)]
    return []


@lru_cache(maxsize=1)
def _schema() -> pa.DataFrameSchema:
    """The contract's value checks on parsed (nullable, typed) columns."""
    columns = {
        spec.name: pa.Column(checks=_checks(spec), nullable=True, required=False)
        for spec in FIELDS
        if _checks(spec)
    }
    return pa.DataFrameSchema(columns, strict=False)


def _domain_failures(parsed: dict[str, pd.Series]) -> dict[str, np.ndarray]:
    """Positions of the values outside their field's domain, by column."""
    schema = _schema()
    candidate = pd.DataFrame({name: parsed[name] for name in schema.columns})
    try:
        schema.validate(candidate, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        return {
            str(column): np.unique(group["index"].to_numpy(dtype=np.int64))
            for column, group in cases.groupby("column")
        }
    return {}


# --- the table ---------------------------------------------------------------------------------


def _column_problems(columns: pd.Index) -> list[Problem]:
    """Missing required, unknown and repeated columns."""
    names = [str(c) for c in columns]
    problems = [
        Problem(None, spec.name, None, "required column is missing")
        for spec in FIELDS
        if spec.required and spec.name not in names
    ]
    problems += [
        Problem(None, name, None, "is not in the contract; ignored", "warning")
        for name in dict.fromkeys(names)
        if name not in COLUMNS
    ]
    problems += [
        Problem(None, name, None, "appears more than once; the first is used")
        for name in dict.fromkeys(n for n in names if names.count(n) > 1)
    ]
    return problems


def _duplicate_ids(ids: pd.Series) -> list[Problem]:
    """Every repeat of a contact_id, naming the row where it first appeared."""
    repeat = _mask(ids.duplicated(keep="first") & ids.notna())
    if not repeat.any():
        return []
    first = ids[_mask(~ids.duplicated(keep="first") & ids.notna())]
    first_row = pd.Series(first.index.to_numpy() + 1, index=first.to_numpy())
    positions = np.flatnonzero(repeat)
    return [
        Problem(int(p) + 1, "contact_id", v, f"repeats the contact_id of row {first_row[v]}")
        for p, v in zip(positions.tolist(), ids.iloc[positions].tolist(), strict=True)
    ]


def _column_value_problems(
    spec: Field, raw: pd.Series, parsed: _Parsed, domain: np.ndarray | None
) -> list[Problem]:
    """The problems of one column: empty required values, unreadable and out-of-domain values."""
    problems = list(parsed.problems)
    if spec.required and spec.kind != "codes":
        problems += _row_problems(raw, np.flatnonzero(parsed.empty), EMPTY_REQUIRED)
    bad = parsed.bad.copy()
    if domain is not None:
        bad[domain] = True
    if bad.any():
        problems += _row_problems(raw, np.flatnonzero(bad), _message(spec))
    return problems


def _with_default(spec: Field, values: pd.Series) -> pd.Series:
    return values if spec.default is None else values.fillna(spec.default)


def _sort_key(problem: Problem) -> tuple[int, int]:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else len(COLUMNS)
    return (0 if problem.row is None else problem.row, column)


def _typed_frame(values: dict[str, pd.Series]) -> pd.DataFrame:
    """The contract's columns, in order, with their final dtypes."""
    return pd.DataFrame({spec.name: values[spec.name].astype(spec.dtype) for spec in FIELDS})


def validate_frame(raw: pd.DataFrame) -> ValidationReport:
    """Check a raw table against the contract; return the typed frame and every problem."""
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c) for c in raw.columns]
    problems = _column_problems(raw.columns)
    raw = raw.loc[:, ~raw.columns.duplicated()]
    raw, not_text = _decode_bytes(raw)
    problems += not_text
    n_rows = len(raw)
    parsed: dict[str, _Parsed] = {
        spec.name: _parse(raw[spec.name], spec) for spec in FIELDS if spec.name in raw.columns
    }
    values = {
        spec.name: _with_default(spec, parsed[spec.name].values)
        if spec.name in parsed
        else _absent(spec, n_rows)
        for spec in FIELDS
    }
    domain = _domain_failures(values)
    for name, column in parsed.items():
        problems += _column_value_problems(FIELD_BY_NAME[name], raw[name], column, domain.get(name))
    if "contact_id" in parsed:
        problems += _duplicate_ids(values["contact_id"])
    # A cell that is not text at all gets that one problem, not also its field's.
    undecodable = {(p.row, p.column) for p in not_text}
    problems = [p for p in problems if p in not_text or (p.row, p.column) not in undecodable]
    problems.sort(key=_sort_key)
    report = ValidationReport(None, problems, n_rows)
    if report.ok:
        report.frame = _typed_frame(values)
    return report
