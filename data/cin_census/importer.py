"""Import CIN census returns: read (streaming), merge across years, map to contract rows."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from data.cin_census.mapping import merge, rows
from data.cin_census.reader import read_return
from data.cin_census.records import Child, Problem
from data.contract import COLUMNS, FIELDS, LONDON

SKIPPED = ("referral skipped", "child skipped", "the return's children skipped")
PROBLEM_COLUMNS = ("file", "line", "LAchildID", "element", "value", "problem", "action")


@dataclass
class CensusImport:
    """What an import gives: the contract frame, every problem, and the counts to report."""

    frame: pd.DataFrame
    problems: list[Problem]
    children: int
    referrals_read: int
    merged: int

    @property
    def written(self) -> int:
        """Referrals in the extract."""
        return len(self.frame)

    def skipped_by_reason(self) -> Counter[str]:
        """Referrals (or children) skipped, by the problem that made the import skip them."""
        return Counter(p.problem for p in self.problems if p.action in SKIPPED)


def import_returns(paths: Sequence[str | Path], *, key: bytes) -> CensusImport:
    """Read every return in ``paths`` and return the merged extract, pseudonyms keyed by ``key``."""
    problems: list[Problem] = []
    merged = merge(_children(paths, problems))
    frame = to_frame(rows(merged, key=key, problems=problems))
    return CensusImport(frame, problems, len(merged.children), merged.referrals_read, merged.merged)


def _children(paths: Sequence[str | Path], problems: list[Problem]) -> Iterator[Child]:
    for path in paths:
        yield from read_return(path, problems)


def to_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A typed contract frame from row dicts (missing optional columns empty)."""
    raw = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    # The census holds a referral date, not a time: midnight, London time.
    raw["received_at"] = (
        pd.to_datetime(raw["received_at"]).dt.tz_localize(LONDON).dt.tz_convert("UTC")
        if len(raw)
        else pd.Series([], dtype="datetime64[ns, UTC]")
    )
    raw["decided_at"] = pd.NaT
    typed = pd.DataFrame({spec.name: _cast(raw[spec.name], spec.dtype) for spec in FIELDS})
    return typed.sort_values(["received_at", "contact_id"], kind="stable").reset_index(drop=True)


def _cast(column: pd.Series, dtype: str) -> pd.Series:
    if dtype.startswith("datetime64"):  # instants in UTC; calendar days naive (the contract's)
        return pd.to_datetime(column, utc="UTC" in dtype).astype(dtype)
    if dtype == "boolean":
        return pd.array(column.tolist(), dtype="boolean")  # None -> <NA>
    if dtype == "string":
        return column.astype("object").where(column.notna(), None).astype("string")
    return column.astype(dtype)


def write_problems(problems: Sequence[Problem], path: str | Path) -> None:
    """Write the problems as CSV, one row each (for the data team: holds ``LAchildID``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PROBLEM_COLUMNS)
        for problem in problems:
            writer.writerow([getattr(problem, f.name) for f in fields(problem)])
