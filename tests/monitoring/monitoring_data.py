"""Helpers that build the monitoring tests' synthetic months.

The estimates are the generator's true risk: the best estimate there can be, so the tests see
only what the data does, never a model's quirks. The reference profile is built from another
extract of the same process, exactly as training builds it from its population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTH_ROWS = 1_500
NOW = "2026-06-01"  # every month of 2024 has ended and its outcomes have matured


def with_estimates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the true risk as its estimate."""
    return frame.assign(probability=frame["true_risk"])


def renumbered(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The frame with contact ids that cannot collide with another extract's."""
    ids = prefix + frame["contact_id"].str.slice(1)
    return frame.assign(contact_id=ids.astype("string"))


def shifted_sources(month: pd.DataFrame, shares: dict[str, float], seed: int) -> pd.DataFrame:
    """The month with only its referral sources redrawn, independently, from another mix.

    Resampling the month's rows weighted by source would shift the concerns too, because the
    generator draws concerns given the source (police report domestic abuse, schools emotional
    abuse): that is what a real change of mix looks like, and the monitor would rightly flag the
    concerns as well. To test that *only* a shifted field alerts, every other column keeps the
    month's own draw from the unchanged process and the source column alone is redrawn.
    """
    codes = list(shares)
    weights = np.array([shares[c] for c in codes], dtype=float)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(codes, size=len(month), p=weights / weights.sum())
    return month.assign(referral_source=pd.array(drawn, dtype="string"))
