"""Time validating a big contact-record file: `python benchmarks/validate_1m.py [FILE] [--rows N]`.

Without FILE, builds a valid CSV of N rows (default 1,000,000) in a temporary directory first.
Prints the time to write it, to validate it (read + check), and rows per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from data.codes import Decision, Ethnicity, ReferralSource
from data.concerns import CONCERN_CODES
from data.io import validate_file, write_contacts


def _choice(rng: np.random.Generator, values: list[str], n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _concerns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Up to three distinct codes per row (never 21 with another), in enum order."""
    others = [c for c in CONCERN_CODES if c != "21"]
    picks = np.sort(rng.random((n, len(others))).argsort(axis=1)[:, :3], axis=1)
    counts = rng.integers(0, 4, n)
    codes = np.asarray(others, dtype=object)
    cells = np.full(n, "", dtype=object)
    for k in (1, 2, 3):
        rows = counts == k
        cells[rows] = [";".join(codes[p]) for p in picks[rows, :k]]
    cells[rng.random(n) < 0.05] = "21"
    return cells


def build_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A valid typed frame of ``n`` contacts with every column filled in some rows."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01", tz="UTC")
    received = start + pd.to_timedelta(rng.integers(0, 730 * 86_400, n), unit="s")
    decided = received + pd.to_timedelta(rng.integers(3_600, 5 * 86_400, n), unit="s")
    observed = rng.random(n) < 0.6
    narrative = _choice(rng, ['Caller worried, about "bruising".\nSeen at school.', ""], n)
    return pd.DataFrame(
        {
            "contact_id": pd.array([f"C{i:08d}" for i in range(n)], dtype="string"),
            "received_at": pd.Series(received).dt.as_unit("ns"),
            "child_age_years": rng.integers(0, 18, n),
            "referral_source": _choice(rng, [s.value for s in ReferralSource], n),
            "concerns": _concerns(rng, n),
            "prior_contacts_12m": rng.poisson(0.7, n),
            "previous_cp_plan": rng.random(n) < 0.1,
            "early_help_open": rng.random(n) < 0.15,
            "child_sex": _choice(rng, ["F", "M", "U"], n),
            "child_ethnicity": _choice(rng, [e.value for e in Ethnicity], n),
            "child_disability": _choice(rng, ["Y", "N", "U"], n),
            "team_id": _choice(rng, ["north", "south", "east", "west"], n),
            "narrative": pd.Series(narrative, dtype="string").mask(narrative == ""),
            "decision": _choice(rng, [d.value for d in Decision], n),
            "decided_at": pd.Series(decided).dt.as_unit("ns"),
            "worker_id": _choice(rng, [f"W{i:03d}" for i in range(200)], n),
            "decision_note": pd.NA,
            "outcome_need_12m": pd.arrays.BooleanArray(rng.random(n) < 0.3, ~observed),
            "true_risk": rng.random(n),
        }
    ).astype({"decision_note": "string"})


def measure(rows: int = 1_000_000, *, file: Path | None = None) -> dict:
    """Validate ``file``, or a valid CSV of ``rows`` built first; the seconds each step took."""
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = file
        if path is None:
            path = Path(tmp) / "contacts.csv"
            frame = build_frame(rows)
            began = time.perf_counter()
            write_contacts(frame, path)
            figures["write_seconds"] = round(time.perf_counter() - began, 2)
            del frame
        began = time.perf_counter()
        report = validate_file(path)
        seconds = time.perf_counter() - began
    return {
        "rows": report.rows,
        **figures,
        "validate_seconds": round(seconds, 2),
        "rows_per_second": round(report.rows / seconds),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def main() -> None:
    """Build (or take) a file, validate it, and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, help="an existing .csv or .parquet file")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to build")
    args = parser.parse_args()
    m = measure(args.rows, file=args.file)
    if "write_seconds" in m:
        print(f"wrote {args.rows:,} rows in {m['write_seconds']:.1f} s")
    print(
        f"validated {m['rows']:,} rows in {m['validate_seconds']:.1f} s "
        f"({m['rows_per_second']:,.0f} rows/s): "
        f"{m['errors']:,} errors, {m['warnings']:,} warnings"
    )


if __name__ == "__main__":
    main()
