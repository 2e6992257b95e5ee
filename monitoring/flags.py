"""How often each review flag is raised, and how often team leaders uphold or overturn it.

A data team tunes a flag's threshold (``TRIAGE_NARRATIVE_FLAG_SIMILARITY`` for
``nfa_with_uncoded_narrative_concern``) from these counts: a flag that leaders mostly uphold
raises reviews that change nothing. Pure: a table of reviews' flag codes in, rows out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairness import wilson_interval
from reporting import clean

BAD_FLAGS = "flags must have the columns code and outcome (upheld, overturned, or empty if open)"


def flag_table(flags: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per flag code: reviews raised, still open, upheld, overturned, overturn rate.

    ``flags`` has one row per (review, flag code) with the review's ``outcome``: ``upheld``,
    ``overturned``, or missing while it is open. The overturn rate is of resolved reviews, with
    its Wilson interval.
    """
    if not {"code", "outcome"} <= set(flags.columns):
        raise ValueError(BAD_FLAGS)
    rows = []
    for code, group in flags.groupby("code", sort=True):
        outcome = group["outcome"].astype("string")
        upheld = int((outcome == "upheld").sum())
        overturned = int((outcome == "overturned").sum())
        resolved = upheld + overturned
        lower, upper = wilson_interval(np.array([overturned]), np.array([resolved]))
        rows.append(
            clean(
                {
                    "code": str(code),
                    "raised": len(group),
                    "open": len(group) - resolved,
                    "upheld": upheld,
                    "overturned": overturned,
                    "overturn_rate": overturned / resolved if resolved else None,
                    "ci": [lower[0], upper[0]] if resolved else [None, None],
                }
            )
        )
    return rows
