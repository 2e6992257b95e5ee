"""Time to decision by group at the same band: are some children's contacts decided more slowly?

For each audited attribute (age band, referral source, ethnicity, sex, disability) and each group,
within each risk band, the working days from the day a contact was received to the day it was
decided (``data.workdays``: weekends and England and Wales bank holidays do not count): how many,
the median and the 90th percentile. A group is compared with its reference group band by band:

- **effect**: the difference of the band medians (and 90th percentiles), weighted by the group's
  own band mix, so a group with more high-band contacts is compared with the reference at the
  same bands; its interval is a percentile bootstrap (each band of each group resampled);
- **test**: van Elteren's stratified Wilcoxon rank-sum test (bands as strata), two-sided, which
  uses every decision's rank rather than only the medians;
- **material** when the weighted median or 90th percentile differs by at least ``min_days``
  working days; a ``disparity`` (after the report's p-value adjustment) with a positive
  difference means the group's decisions were **slower at the same band**.

Working days are small whole numbers, so each band's values are kept as a histogram: the
quantiles, the bootstrap (multinomial draws) and the ranks all work on counts, whatever the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.workdays import london_days, working_days_between_many
from fairness.groups import Grouping, reference_index
from fairness.rates import two_sided_p
from fairness.report import Finding, group_findings

TIMING_METRIC = "days_to_decision"
TIMING_METRICS: dict[str, str] = {TIMING_METRIC: "working days from receipt to decision"}
TIMING_METHOD = (
    "median working days from receipt to decision, weighted by the group's risk-band mix "
    "(percentile bootstrap CI); reference: the reference group's band medians with the same "
    "weights; p: van Elteren stratified rank-sum test over risk bands"
)
TIMING_REFERENCE_METHOD = "median working days over its own risk-band mix, percentile bootstrap CI"
TIMING_CAVEAT = (
    "Time to decision: working days from the day received to the day decided (Europe/London; "
    "weekends and bank holidays do not count), compared with the reference group band by band "
    "for each single attribute (not pairs). A slower group at the same band may reflect the "
    "contacts' content as well as how they are treated; late decisions' reasons are in the "
    "timeliness report."
)
SLOWER, FASTER, SAME = "slower", "faster", "same"


def decision_days(frame: pd.DataFrame) -> np.ndarray:
    """Working days from each contact's receipt to its decision (NaN where not decided)."""
    received = london_days(_stamps(frame["received_at"]))
    decided = london_days(_stamps(frame["decided_at"]))
    counts = working_days_between_many(received, decided).astype(float)
    counts[np.isnat(decided) | np.isnat(received)] = np.nan
    return counts


def _stamps(values: pd.Series) -> pd.Series:
    """Timestamps from a typed column or ISO 8601 text (naive times are London's, as elsewhere)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    try:
        return pd.to_datetime(values, format="ISO8601")
    except ValueError:  # offsets differ (GMT and BST): read as instants
        return pd.to_datetime(values, format="ISO8601", utc=True)


def histogram_quantile(hist: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile (inverted CDF) of each histogram on the last axis; NaN where empty."""
    cumulative = hist.cumsum(axis=-1)
    total = cumulative[..., -1:]
    index = np.argmax(cumulative >= q * total, axis=-1)
    return np.where(total[..., 0] > 0, values[index], np.nan)


def van_elteren(group: np.ndarray, reference: np.ndarray) -> float:
    """Two-sided p of van Elteren's test: histograms (bands, values) of a group and its reference.

    Only bands where both have rows count; ties get mid-ranks and the tie correction.
    """
    nx, ny = group.sum(axis=1), reference.sum(axis=1)
    both = (nx > 0) & (ny > 0)
    if not both.any():
        return float("nan")
    x, y, nx, ny = group[both], reference[both], nx[both], ny[both]
    n = nx + ny
    combined = x + y
    mid_rank = combined.cumsum(axis=1) - combined + (combined + 1) / 2
    w = (x * mid_rank).sum(axis=1)
    expected = nx * (n + 1) / 2
    ties = (combined**3 - combined).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = nx * ny / 12 * ((n + 1) - np.where(n > 1, ties / (n * (n - 1)), 0.0))
    weight = 1 / (n + 1)
    spread = float(np.sqrt((weight**2 * variance).sum()))
    if spread == 0:
        return 1.0  # every decision took the same time: nothing to tell apart
    return float(two_sided_p((weight * (w - expected)).sum() / spread))


def timing_findings(
    groupings: Sequence[Grouping],
    strata: np.ndarray,
    n_strata: int,
    days: np.ndarray,
    *,
    reference: Mapping[str, str],
    min_n: int,
    confidence: float,
    min_days: float = 1.0,
    n_boot: int = 400,
    seed: int = 0,
) -> tuple[list[Finding], dict[str, Any]]:
    """Each group's time to decision against its reference's at the same risk bands.

    Parameters
    ----------
    groupings
        Attributes to audit (single attributes).
    strata
        Each row's risk band, 0..n_strata-1; -1 leaves a row out.
    days
        Working days from receipt to decision per row (NaN: not decided, left out).
    min_days
        A difference of at least this many working days (median or 90th percentile) matters.
    n_boot, seed
        Bootstrap draws and the seed of their generator (so a report can be reproduced).

    Returns
    -------
    (findings, tables): tables give, per attribute and group, each band's ``n``, ``median`` and
    ``p90``.
    """
    keep = (strata >= 0) & ~np.isnan(days)
    values, day_index = np.unique(days[keep].astype(np.int64), return_inverse=True)
    findings: list[Finding] = []
    tables: dict[str, Any] = {}
    if values.size == 0:
        return findings, tables
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    for grouping in groupings:
        hist = _histograms(grouping, strata[keep], n_strata, day_index, values.size, keep)
        ref = reference_index(grouping, reference)
        median = histogram_quantile(hist, values, 0.5)
        p90 = histogram_quantile(hist, values, 0.9)
        boot_median, boot_p90 = _bootstrap(hist, values, rng, n_boot)  # (groups, bands, draws)
        sizes = hist.sum(axis=2)
        columns = _Columns(len(grouping.labels))
        for g in range(len(grouping.labels)):
            shared = (sizes[g] > 0) & (sizes[ref] > 0) if g != ref else sizes[g] > 0
            if not shared.any():
                continue
            weight = np.where(shared, sizes[g], 0) / sizes[g][shared].sum()
            columns.fill(
                g,
                n=sizes[g][shared].sum(),
                n_reference=sizes[ref][shared].sum(),
                value=_weighted(weight, median[g]),
                reference_value=_weighted(weight, median[ref]),
                p90=_weighted(weight, p90[g]),
                reference_p90=_weighted(weight, p90[ref]),
                boot=_weighted(weight, boot_median[g]),
                boot_reference=_weighted(weight, boot_median[ref]),
                boot_p90=_weighted(weight, boot_p90[g]) - _weighted(weight, boot_p90[ref]),
                p_value=van_elteren(hist[g], hist[ref]) if g != ref else np.nan,
                alpha=alpha,
                min_days=min_days,
            )
        findings += group_findings(
            audit="decisions",
            attribute=grouping.name,
            labels=grouping.labels,
            reference=ref,
            metric=TIMING_METRIC,
            n=columns.n,
            n_reference=columns.n_reference,
            value=columns.value,
            lower=columns.lower,
            upper=columns.upper,
            reference_value=columns.reference_value,
            ratio=np.full(len(grouping.labels), np.nan),  # days can be 0: a difference, not a ratio
            p_value=columns.p_value,
            material=columns.material,
            min_n=min_n,
            method=TIMING_METHOD,
            present=columns.n > 0,
            details=columns.details,
            reference_method=TIMING_REFERENCE_METHOD,
        )
        tables[grouping.name] = {
            group: {
                "n": sizes[i].tolist(),
                "median": _listed(median[i]),
                "p90": _listed(p90[i]),
            }
            for i, group in enumerate(grouping.labels)
            if sizes[i].sum() > 0
        }
    return findings, tables


def _histograms(
    grouping: Grouping,
    strata: np.ndarray,
    n_strata: int,
    day_index: np.ndarray,
    n_values: int,
    keep: np.ndarray,
) -> np.ndarray:
    """Counts of each working-day value per group and band: shape (groups, bands, values)."""
    codes = grouping.codes[keep]
    inside = codes >= 0
    cell = (codes[inside] * n_strata + strata[inside]) * n_values + day_index[inside]
    shape = (len(grouping.labels), n_strata, n_values)
    return np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)


def _bootstrap(
    hist: np.ndarray, values: np.ndarray, rng: np.random.Generator, n_boot: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap medians and 90th percentiles of each group and band: (groups, bands, draws).

    Each band of each group is resampled on its own (a multinomial draw of its histogram), so
    the memory used is one band's draws at a time, whatever the number of rows.
    """
    groups, bands, _ = hist.shape
    medians = np.full((groups, bands, n_boot), np.nan)
    p90s = np.full((groups, bands, n_boot), np.nan)
    for g in range(groups):
        for b in range(bands):
            size = int(hist[g, b].sum())
            if size:
                draws = rng.multinomial(size, hist[g, b] / size, size=n_boot)
                medians[g, b] = histogram_quantile(draws, values, 0.5)
                p90s[g, b] = histogram_quantile(draws, values, 0.9)
    return medians, p90s


def _weighted(weight: np.ndarray, by_band: np.ndarray) -> Any:
    """Sum over bands (the first axis) of weight × value, ignoring bands of weight 0."""
    used = weight > 0
    return np.tensordot(weight[used], by_band[used], axes=(0, 0))


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]


class _Columns:
    """The per-group arrays ``group_findings`` takes, filled one group at a time."""

    def __init__(self, size: int) -> None:
        self.n = np.zeros(size, dtype=np.int64)
        self.n_reference = np.zeros(size, dtype=np.int64)
        self.value, self.lower, self.upper, self.reference_value, self.p_value = (
            np.full(size, np.nan) for _ in range(5)
        )
        self.material = np.zeros(size, dtype=bool)
        self.details: list[dict[str, Any]] = [{} for _ in range(size)]

    def fill(self, g: int, *, boot: np.ndarray, boot_reference: np.ndarray, **known: Any) -> None:
        """Record group ``g``: its numbers, intervals, whether it matters and which way."""
        alpha, min_days = known["alpha"], known["min_days"]
        self.n[g], self.n_reference[g] = known["n"], known["n_reference"]
        self.value[g], self.reference_value[g] = known["value"], known["reference_value"]
        self.lower[g], self.upper[g] = np.quantile(boot, [alpha, 1 - alpha])
        self.p_value[g] = known["p_value"]
        difference = known["value"] - known["reference_value"]
        p90_difference = known["p90"] - known["reference_p90"]
        self.material[g] = abs(difference) >= min_days or abs(p90_difference) >= min_days
        lead = difference if difference != 0 else p90_difference
        self.details[g] = {
            "p90": float(known["p90"]),
            "reference_p90": float(known["reference_p90"]),
            "p90_difference": float(p90_difference),
            "difference_ci": [
                float(v) for v in np.quantile(boot - boot_reference, [alpha, 1 - alpha])
            ],
            "p90_difference_ci": [
                float(v) for v in np.quantile(known["boot_p90"], [alpha, 1 - alpha])
            ],
            "direction": SLOWER if lead > 0 else FASTER if lead < 0 else SAME,
        }
