"""Valid contact records for the data tests, as a CSV holds them (every value a string)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# Values each column cycles through; every combination is valid and none raises a warning.
CHOICES: dict[str, list[str]] = {
    "received_at": [
        "2024-05-01T09:30:00",
        "2024-01-15T14:05:00+00:00",
        "2024-07-01T23:59:59Z",
        "2023-11-30 08:00",
        "2024-02-29T12:00:00.250+01:00",
    ],
    "referral_source": ["1A", "2A", "3A", "3E", "5D", "6", "8", "10"],
    "concerns": ["", "21", "3B", "3B;16A", " 4B ; 2B ", "24A;11A;10A"],
    "prior_contacts_12m": ["0", "1", "2", "7"],
    "previous_cp_plan": ["true", "false", "Y", "n", "1", "0", "Yes", "NO"],
    "early_help_open": ["", "true", "FALSE", "0"],
    "child_sex": ["", "F", "M", "U"],
    "child_ethnicity": ["", "WBRI", "APKN", "BAFR", "NOBT"],
    "child_disability": ["", "Y", "N", "U"],
    "team_id": ["", "north", "south-2"],
    "narrative": ["", 'Caller said "bruise"; seen at school,\nmum aware.', "NA"],
    "decision": ["", "nfa", "assessment", "early_help"],
    "decided_at": ["", "2024-05-02T10:00:00Z"],
    "worker_id": ["", "W001"],
    "decision_note": ["", "null"],
    "outcome_need_12m": ["", "true", "false"],
    "true_risk": ["", "0.25", "1", "0"],
    "due_on": ["", "2024-05-02", " 2024-04-02 "],
    "late_reasons": ["", "team_capacity", " holiday_period ; other"],
    "late_note": ["", "Worker off sick; covered next day."],
    "assessment_due_on": ["", "2024-07-03"],
    "assessment_completed_on": ["", "2024-06-28"],
    "assessment_outcome": ["", "nfa", "child_in_need_plan"],
    "assessment_late_reasons": ["", "no_access_to_child;family_declined"],
    "assessment_late_note": ["", "NA"],
}


def valid_raw(n_rows: int, *, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` valid records, all strings, with contact ids C000001, C000002, ..."""
    rng = np.random.default_rng(seed)
    columns = {"contact_id": [f"C{i:06d}" for i in range(1, n_rows + 1)]}
    columns["received_at"] = _pick(rng, "received_at", n_rows)
    columns["child_age_years"] = [str(a) for a in rng.integers(0, 18, n_rows)]
    for name in CHOICES:
        if name not in columns:
            columns[name] = _pick(rng, name, n_rows)
    return pd.DataFrame(columns, dtype=str)


def _pick(rng: np.random.Generator, name: str, n_rows: int) -> list[str]:
    values = CHOICES[name]
    return [values[i] for i in rng.integers(0, len(values), n_rows)]


def with_values(raw: pd.DataFrame, changes: dict[tuple[int, str], str]) -> pd.DataFrame:
    """A copy with ``{(1-based data row, column): value}`` changed."""
    raw = raw.copy()
    for (row, column), value in changes.items():
        raw.loc[row - 1, column] = value
    return raw


def write_csv(raw: pd.DataFrame, path: Path) -> Path:
    """Write a raw (all-string) table as a CSV file, as a data team's extract would be."""
    raw.to_csv(path, index=False)
    return path


# The acceptance case: three bad values in a 60-row file, each named by row and column.
ACCEPTANCE_CHANGES = {
    (17, "child_age_years"): "19",
    (30, "referral_source"): "99",
    (42, "concerns"): "ZZ",
}
ACCEPTANCE_PROBLEMS = [
    (17, "child_age_years", "19"),
    (30, "referral_source", "99"),
    (42, "concerns", "ZZ"),
]


def acceptance_file(directory: Path) -> Path:
    """A 60-row CSV with age 19 in row 17, source 99 in row 30 and concern ZZ in row 42."""
    raw = with_values(valid_raw(60, seed=17), ACCEPTANCE_CHANGES)
    return write_csv(raw, directory / "contacts.csv")
