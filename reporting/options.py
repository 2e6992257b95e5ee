"""The option checks both report builders make, with their messages (tests assert them)."""

from __future__ import annotations

from collections.abc import Sequence

BAD_RATIO_BAND = "ratio_band must be (low, high) with 0 < low <= 1 <= high"
BAD_ALPHA = "alpha must be between 0 and 1"
BAD_MIN_N = "min_n must be at least 1"
EMPTY = "the data has no rows"


def check_ratio_band(ratio_band: Sequence[float]) -> tuple[float, float]:
    """Return ``(low, high)`` as floats, or raise ``ValueError(BAD_RATIO_BAND)``."""
    low, high = (float(v) for v in ratio_band)
    if not 0 < low <= 1 <= high:
        raise ValueError(BAD_RATIO_BAND)
    return low, high


def check_alpha(alpha: float) -> None:
    """Raise ``ValueError(BAD_ALPHA)`` unless ``0 < alpha < 1``."""
    if not 0 < alpha < 1:
        raise ValueError(BAD_ALPHA)


def check_min_n(*sizes: int, message: str = BAD_MIN_N) -> None:
    """Raise ``ValueError(message)`` unless every smallest-size option is at least 1."""
    if any(size < 1 for size in sizes):
        raise ValueError(message)
