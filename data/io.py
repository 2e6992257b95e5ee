"""Reading, writing and validating contact-record files: CSV or Parquet, chosen by extension.

Every reader validates against the contract and returns a typed frame (see :mod:`data.contract`);
every writer takes one. CSV files are UTF-8 text with a header row: every text value in double
quotes (so whitespace, ``NA``, ``;``, quotes and line breaks inside values survive), numbers bare,
timestamps in ISO 8601 UTC (``"2024-05-01T09:30:00+00:00"``), calendar days as
``"2024-05-01"``, booleans ``"true"``/``"false"``,
and absent values as empty fields. Parquet files hold the typed columns. The same frame always
gives the same bytes. Both formats are read and written with pyarrow's multithreaded readers and
writers, so a million rows take seconds.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from data.contract import COLUMNS, FIELDS
from data.validate import ContractError, ValidationReport, validate_frame

logger = logging.getLogger(__name__)

FileFormat = Literal["csv", "parquet"]
SUFFIXES: dict[str, FileFormat] = {".csv": "csv", ".parquet": "parquet"}
WARNINGS_LOGGED = 20
CSV_BLOCK_BYTES = 16 << 20  # a CSV row (with its narrative) must fit in one block
# Timestamp resolutions tried in turn when writing CSV: the coarsest that loses nothing wins.
_UNITS = (("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1))


def file_format(path: str | Path) -> FileFormat:
    """The format a path's extension names; ValueError for any other extension."""
    path = Path(path)
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        supported = ", ".join(SUFFIXES)
        raise ValueError(
            f"{path}: unsupported file extension {path.suffix or '(none)'!r}; "
            f"contact records must be one of {supported}"
        )
    return found


def read_raw(path: str | Path) -> pd.DataFrame:
    """Read a file as stored: CSV as all strings (nothing read as NA), Parquet with its types."""
    path = Path(path)
    kind = file_format(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if kind == "csv":
        return _read_csv(path)
    return pd.read_parquet(path, engine="pyarrow")


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ValueError(f"{path}: empty file, no header row")
    return header


def _read_csv(path: Path) -> pd.DataFrame:
    """Every column as text; nothing is read as missing (an empty field is "")."""
    text = {name: pa.string() for name in _csv_header(path)}
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=text,
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.to_pandas()


def validate_file(path: str | Path) -> ValidationReport:
    """Read a file and check it against the contract."""
    return validate_frame(read_raw(path))


def read_contacts(path: str | Path) -> pd.DataFrame:
    """Read and validate a file; return the typed frame or raise ContractError."""
    report = validate_file(path)
    warnings = report.warnings
    for problem in warnings[:WARNINGS_LOGGED]:
        logger.warning("%s: %s", path, problem)
    if len(warnings) > WARNINGS_LOGGED:
        logger.warning("%s: ... and %d more warnings", path, len(warnings) - WARNINGS_LOGGED)
    if not report.ok:
        raise ContractError(report)
    assert report.frame is not None
    return report.frame


def write_contacts(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a typed frame's contract columns to CSV or Parquet, creating parent directories."""
    path = Path(path)
    kind = file_format(path)
    typed = _typed(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        pacsv.write_csv(_csv_table(typed), path, pacsv.WriteOptions(quoting_style="needed"))
    else:
        typed.to_parquet(path, index=False, engine="pyarrow")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's columns in order, cast to their dtypes."""
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"cannot write contact records: the frame lacks columns {missing}")
    return pd.DataFrame(
        {spec.name: frame[spec.name].astype(spec.dtype) for spec in FIELDS}
    ).reset_index(drop=True)


def _csv_table(typed: pd.DataFrame) -> pa.Table:
    """The typed frame as arrow columns, timestamps and booleans as their CSV text."""
    columns = {}
    for spec in FIELDS:
        column = typed[spec.name]
        if spec.kind == "datetime":
            columns[spec.name] = _iso_utc(column)
        elif spec.kind == "date":
            columns[spec.name] = pa.array(column.dt.strftime("%Y-%m-%d"), pa.string())
        elif spec.kind == "bool":
            columns[spec.name] = pc.if_else(pa.array(column), "true", "false")
        else:
            columns[spec.name] = pa.array(column)
    return pa.table(columns)


def _iso_utc(stamps: pd.Series) -> pa.Array:
    """ISO 8601 UTC text (``2024-05-01T09:30:00+00:00``), null for NaT, to the unit needed."""
    wall = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
    nanoseconds = wall.dropna().to_numpy(dtype="datetime64[ns]").view(np.int64)
    unit = next(unit for unit, step in _UNITS if not (nanoseconds % step).any())
    # Arrow writes "2024-05-01 09:30:00[.fraction]" for a naive timestamp.
    text = pc.cast(pc.cast(pa.array(wall), pa.timestamp(unit)), pa.string())
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, "+00:00", "")
