"""Adjusting p-values for the many comparisons one report makes."""

from __future__ import annotations

from typing import Literal

import numpy as np

Adjustment = Literal["holm", "fdr_bh"]
ADJUSTMENTS: dict[str, str] = {
    "holm": "Holm (1979) step-down: controls the family-wise error rate",
    "fdr_bh": "Benjamini–Hochberg (1995): controls the false discovery rate",
}
UNKNOWN_ADJUSTMENT = "adjust must be one of: holm, fdr_bh"


def adjust_pvalues(p_values: np.ndarray | list[float], method: Adjustment = "holm") -> np.ndarray:
    """Return adjusted p-values; NaN entries (nothing was tested) stay NaN and are not counted.

    Parameters
    ----------
    p_values
        Unadjusted p-values, one per comparison.
    method
        ``"holm"`` (family-wise error rate) or ``"fdr_bh"`` (Benjamini–Hochberg false discovery
        rate). Both are valid under any dependence between comparisons except BH, which needs
        positive dependence, the usual case for overlapping groups of the same population.
    """
    if method not in ADJUSTMENTS:
        raise ValueError(UNKNOWN_ADJUSTMENT)
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out
