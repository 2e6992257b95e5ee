"""Report plumbing shared by :mod:`fairness` and :mod:`monitoring`. Pure: stdlib, numpy, pandas.

Strict JSON (:func:`clean`, :class:`StrictJson`), the HTML page helpers (:mod:`reporting.html`),
the option checks both report builders make, with their messages, and the calendar month of a
contact in London (:func:`london_month`). Neither report package reaches into the other's
private names: what they share lives here. The only project import is the contract's time zone
(``data.contract.LONDON``); matplotlib is imported only when a plot is drawn.
"""

from reporting.jsonsafe import StrictJson, clean, created_now
from reporting.months import MISSING_VALUES, london_month
from reporting.options import (
    BAD_ALPHA,
    BAD_MIN_N,
    BAD_RATIO_BAND,
    EMPTY,
    check_alpha,
    check_min_n,
    check_ratio_band,
)

__all__ = [
    "BAD_ALPHA",
    "BAD_MIN_N",
    "BAD_RATIO_BAND",
    "EMPTY",
    "MISSING_VALUES",
    "StrictJson",
    "check_alpha",
    "check_min_n",
    "check_ratio_band",
    "clean",
    "created_now",
    "london_month",
]
