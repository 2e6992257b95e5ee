"""Calendar months of contacts (Europe/London) and when a cohort's outcomes have matured."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from data.contract import LONDON
from reporting import london_month

BAD_NOW = "now must be a date or time, for example 2026-01-31; got {value!r}"


def month_codes(received_at: pd.Series) -> np.ndarray:
    """Each contact's month as an integer (year * 12 + month - 1), in Europe/London time."""
    return london_month(received_at)


def month_label(code: int) -> str:
    """``YYYY-MM`` for a month code."""
    return f"{code // 12:04d}-{code % 12 + 1:02d}"


def month_span(codes: np.ndarray) -> list[int]:
    """Every month from the first to the last in ``codes`` (empty months included)."""
    if codes.size == 0:
        return []
    return list(range(int(codes.min()), int(codes.max()) + 1))


def month_start(code: int) -> pd.Timestamp:
    """Midnight in London on the first day of a month, as a UTC timestamp."""
    local = pd.Timestamp(year=code // 12, month=code % 12 + 1, day=1, tz=LONDON)
    return local.tz_convert("UTC")


def as_instant(now: datetime | str | pd.Timestamp | None) -> pd.Timestamp:
    """``now`` as a UTC timestamp: the current time when None; naive values read as London."""
    if now is None:
        return pd.Timestamp.now(tz="UTC")
    try:
        stamp = pd.Timestamp(now)
    except (TypeError, ValueError) as error:
        raise ValueError(BAD_NOW.format(value=now)) from error
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(LONDON)
    return stamp.tz_convert("UTC")


def is_complete(code: int, now: pd.Timestamp) -> bool:
    """True when the month has ended by ``now``."""
    return month_start(code + 1) <= now


def is_mature(code: int, now: pd.Timestamp, *, outcome_months: int) -> bool:
    """True when every contact of the month has had ``outcome_months`` for its outcome to show."""
    return month_start(code + 1 + outcome_months) <= now


def labels(codes: Sequence[int]) -> list[str]:
    """Month labels for several codes."""
    return [month_label(c) for c in codes]
