"""Risk bands: the one rule that puts a probability into a band. Pure (numpy only).

The model's bands (what a duty worker sees), the fairness audits' risk strata and monitoring all
band with :func:`band_of`, so a probability exactly on a cut point lands in the same band
everywhere. The convention: bands are closed below and open above, ``[cut[k-1], cut[k])``, so a
probability *on* a cut belongs to the band above it. That matches how every threshold in the
product reads ("at least the cut": a score ``>= threshold`` is flagged, a band ``>=`` the
high-risk band is flagged), and it is the convention the model's bands have always used, so no
stored or shown band changes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def band_of(probability: ArrayLike, cuts: ArrayLike) -> np.ndarray:
    """Band 1..len(cuts)+1 of each probability; one exactly on a cut goes to the band above.

    Parameters
    ----------
    probability
        Probabilities (any shape).
    cuts
        Ascending cut points between bands; equal cuts leave the bands between them empty.
    """
    edges = np.asarray(cuts, dtype=np.float64)
    return np.searchsorted(edges, np.asarray(probability), side="right").astype(np.int64) + 1
