"""The calendar month of each contact in London, where the contract's times are local."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.contract import LONDON

MISSING_VALUES = "{column} is empty in {count} rows"


def london_month(received_at: pd.Series) -> np.ndarray:
    """Months since year 0 of each timestamp in Europe/London (naive times read as London)."""
    stamps = received_at
    if not pd.api.types.is_datetime64_any_dtype(stamps.dtype):
        try:
            stamps = pd.to_datetime(stamps, format="ISO8601")
        except ValueError:  # offsets differ (GMT and BST): read as instants
            stamps = pd.to_datetime(stamps, format="ISO8601", utc=True)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(LONDON)
    if stamps.isna().any():
        raise ValueError(
            MISSING_VALUES.format(column="received_at", count=int(stamps.isna().sum()))
        )
    return (stamps.dt.year.to_numpy() * 12 + stamps.dt.month.to_numpy() - 1).astype(np.int64)
