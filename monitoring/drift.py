"""Drift of the model's inputs and of its estimates against the champion's training population.

The reference is the ``reference_profile.json`` that training logs with every run: the shares of
age bands, referral sources, prior-contact buckets, each concern's prevalence, the two history
flags, and the deciles of the training population's estimates. Each month's mix is compared with
it by the Population Stability Index (PSI) and by a chi-square test:

- **PSI** ``= sum((observed - reference) * ln(observed / reference))`` over a field's categories,
  with every share below ``epsilon`` raised to ``epsilon`` first, so an empty category adds a
  large but finite term instead of infinity.
- **The test** compares the month's counts with the reference shares. The reference is itself a
  sample of ``rows`` contacts, so the test is the chi-square test of homogeneity of the 2 x k table
  (month counts, reference shares x rows): it reduces to the goodness-of-fit test as ``rows``
  grows, and unlike that test it does not raise false alarms from the reference's own sampling
  noise. Categories expected fewer than 5 times are merged, smallest first. A yes/no field (a
  concern, a flag) uses the two-proportion test, or Fisher's exact test when a cell is small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2

from data.bands import band_of
from fairness import age_bands, fisher_or_z_p
from models import features as F
from monitoring.checks import Check

PROFILE_KEYS: tuple[str, ...] = (
    "age_band",
    "referral_source",
    "concerns",
    "prior_contacts_12m",
    "previous_cp_plan",
    "early_help_open",
    "probability_deciles",
)
PRIOR_BUCKETS: tuple[str, ...] = ("0", "1", "2", "3", "4+")
MIN_EXPECTED = 5.0
TOP_MOVERS = 3
ALL_CONTACTS = "all contacts"
BAD_PROFILE = (
    "the reference profile lacks {keys}; it must be a training run's reference_profile.json"
)
BAD_EPSILON = "epsilon must be between 0 and 0.01"
BAD_PSI_BANDS = "psi_bands must be (moderate, significant) with 0 < moderate < significant"

FieldKind = Literal["categorical", "binary"]
TESTS: dict[str, str] = {
    "categorical": "chi-square test of homogeneity with the reference sample",
    "binary": "two-proportion test against the reference sample (Fisher's exact when small)",
}
GOODNESS_OF_FIT = "chi-square goodness of fit to the reference shares"
NO_TEST = (math.nan, 0, math.nan)


@dataclass(frozen=True)
class DriftField:
    """One monitored input field: its categories and their shares in the reference."""

    name: str
    kind: FieldKind
    categories: tuple[str, ...]
    shares: np.ndarray


def check_profile(profile: Mapping[str, Any]) -> None:
    """Raise ValueError naming the keys a reference profile lacks."""
    missing = [key for key in PROFILE_KEYS if key not in profile]
    if missing:
        raise ValueError(BAD_PROFILE.format(keys=missing))


def check_psi_options(psi_bands: tuple[float, float], epsilon: float) -> None:
    """Raise ValueError for PSI bands or an epsilon that make no sense."""
    if not 0 < psi_bands[0] < psi_bands[1]:
        raise ValueError(BAD_PSI_BANDS)
    if not 0 < epsilon <= 0.01:
        raise ValueError(BAD_EPSILON)


def reference_fields(profile: Mapping[str, Any]) -> list[DriftField]:
    """The monitored fields of a reference profile, in a fixed order."""
    fields = [
        _categorical("age_band", profile["age_band"], F.AGE_BAND_LABELS),
        _categorical("referral_source", profile["referral_source"], F.SOURCE_CODES),
        _categorical("prior_contacts_12m", profile["prior_contacts_12m"], PRIOR_BUCKETS),
        _binary("previous_cp_plan", float(profile["previous_cp_plan"])),
        _binary("early_help_open", float(profile["early_help_open"])),
    ]
    concerns = profile["concerns"]
    fields += [
        _binary(f"concerns:{code}", float(concerns.get(code, 0.0))) for code in F.CONCERN_CODES
    ]
    return fields


def _categorical(name: str, shares: Mapping[str, float], order: Sequence[str]) -> DriftField:
    categories = [*order, *(c for c in shares if c not in order)]
    values = np.array([float(shares.get(c, 0.0)) for c in categories])
    total = values.sum()
    return DriftField(name, "categorical", tuple(categories), values / total if total else values)


def _binary(name: str, share: float) -> DriftField:
    return DriftField(name, "binary", ("yes", "no"), np.array([share, 1.0 - share]))


def row_categories(frame: pd.DataFrame, fields: Sequence[DriftField]) -> dict[str, np.ndarray]:
    """Each row's category index in every field (-1 for a category the reference never saw)."""
    concerns = F.concern_matrix(frame["concerns"])
    prior = frame["prior_contacts_12m"].to_numpy(dtype=np.int64).clip(0, 4)
    raw = {
        "age_band": np.array(F.AGE_BAND_LABELS, dtype=object)[
            age_bands(frame["child_age_years"]).codes
        ],
        "referral_source": frame["referral_source"].astype(str).to_numpy(),
        "prior_contacts_12m": np.array(PRIOR_BUCKETS, dtype=object)[prior],
    }
    out: dict[str, np.ndarray] = {}
    for spec in fields:
        if spec.kind == "categorical":
            out[spec.name] = pd.Index(spec.categories).get_indexer(raw[spec.name])
        elif spec.name.startswith("concerns:"):
            column = F.CONCERN_CODES.index(spec.name.split(":", 1)[1])
            out[spec.name] = np.where(concerns[:, column] > 0, 0, 1)
        else:
            out[spec.name] = np.where(frame[spec.name].to_numpy(dtype=bool), 0, 1)
    return out


def with_unseen(
    spec: DriftField, codes: np.ndarray, values: np.ndarray
) -> tuple[DriftField, np.ndarray]:
    """Append categories the reference never saw (share 0) and index them."""
    unseen = codes < 0
    if not unseen.any():
        return spec, codes
    extra = sorted({str(v) for v in values[unseen]})
    categories = (*spec.categories, *extra)
    codes = pd.Index(categories).get_indexer(values.astype(str))
    shares = np.r_[spec.shares, np.zeros(len(extra))]
    return DriftField(spec.name, spec.kind, categories, shares), codes


def monthly_counts(codes: np.ndarray, month_pos: np.ndarray, n_months: int, k: int) -> np.ndarray:
    """Counts of each category in each month: shape (months, categories); -1s are left out."""
    keep = (codes >= 0) & (month_pos >= 0)
    cell = month_pos[keep] * k + codes[keep]
    return np.bincount(cell, minlength=n_months * k).reshape(n_months, k)


def psi(counts: np.ndarray, shares: np.ndarray, *, epsilon: float) -> float:
    """Population Stability Index of observed counts against reference shares (see module)."""
    n = counts.sum()
    if n == 0:
        return math.nan
    observed = np.maximum(counts / n, epsilon)
    expected = np.maximum(shares, epsilon)
    return float(np.sum((observed - expected) * np.log(observed / expected)))


def psi_level(value: float, bands: tuple[float, float]) -> str:
    """``stable`` under the first band, ``moderate`` up to the second, then ``significant``."""
    if not math.isfinite(value):
        return ""
    if value >= bands[1]:
        return "significant"
    return "moderate" if value >= bands[0] else "stable"


def _merge_small(table: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge the smallest columns until each is expected at least 5 times (or two remain)."""
    keep = table.sum(axis=0) + expected.sum(axis=0) > 0
    table, expected = table[:, keep], expected[:, keep]
    while table.shape[1] > 2:
        order = np.argsort(expected.min(axis=0), kind="stable")
        if expected[:, order[0]].min() >= MIN_EXPECTED:
            break
        a, b = order[0], order[1]
        table[:, b] += table[:, a]
        expected[:, b] += expected[:, a]
        table, expected = np.delete(table, a, axis=1), np.delete(expected, a, axis=1)
    return table, expected


def chi_square(
    counts: np.ndarray, shares: np.ndarray, reference_rows: float | None
) -> tuple[float, int, float]:
    """(statistic, df, p) of a month's counts against the reference shares (see module)."""
    n = float(counts.sum())
    if reference_rows:
        table = np.vstack([counts, shares * reference_rows]).astype(float)
        totals = table.sum(axis=0)
        expected = np.outer(table.sum(axis=1), totals) / table.sum()
    else:
        table = counts[None, :].astype(float)
        expected = n * shares[None, :]
    table, expected = _merge_small(table, expected)
    df = table.shape[1] - 1
    if df < 1 or n == 0:
        return math.nan, 0, math.nan
    cells = expected > 0
    statistic = float(np.sum((table[cells] - expected[cells]) ** 2 / expected[cells]))
    if (~cells & (table > 0)).any():
        return math.inf, df, 0.0
    return statistic, df, float(chi2.sf(statistic, df))


def binary_p(count: int, n: int, share: float, reference_rows: float | None) -> float:
    """Two-sided p-value of a month's yes-count against the reference share."""
    if not reference_rows:
        return chi_square(np.array([count, n - count]), np.array([share, 1 - share]), None)[2]
    k0 = round(share * reference_rows)
    return float(fisher_or_z_p(count, n, k0, round(reference_rows))[()])


def _movers(spec: DriftField, counts: np.ndarray) -> list[dict[str, Any]]:
    observed = counts / counts.sum()
    order = np.argsort(-np.abs(observed - spec.shares), kind="stable")[:TOP_MOVERS]
    return [
        {
            "category": spec.categories[j],
            "reference": float(spec.shares[j]),
            "observed": float(observed[j]),
        }
        for j in order
    ]


def field_test(
    spec: DriftField, counts: np.ndarray, reference_rows: float | None
) -> tuple[float, int, float]:
    """(statistic, df, p) of a field's month counts against the reference (see module)."""
    if spec.kind == "categorical":
        return chi_square(counts, spec.shares, reference_rows)
    n = int(counts.sum())
    return math.nan, 1, binary_p(int(counts[0]), n, float(spec.shares[0]), reference_rows)


def field_check(
    spec: DriftField,
    counts: np.ndarray,
    month: str,
    *,
    reference_rows: float | None,
    min_n: int,
    psi_bands: tuple[float, float],
    epsilon: float,
) -> Check:
    """The drift check of one field in one month."""
    n = int(counts.sum())
    value = psi(counts, spec.shares, epsilon=epsilon)
    enough = n >= min_n
    statistic, df, p = field_test(spec, counts, reference_rows) if enough else NO_TEST
    return Check(
        kind="input_drift",
        month=month,
        what=spec.name,
        where=ALL_CONTACTS,
        measure="psi",
        n=n,
        strength=value,
        p_value=p,
        material=bool(math.isfinite(value) and value >= psi_bands[0]),
        status="tested" if enough and math.isfinite(p) else "insufficient_data",
        level=psi_level(value, psi_bands),
        details={
            "test": TESTS[spec.kind] if reference_rows else GOODNESS_OF_FIT,
            "statistic": statistic,
            "df": df,
            "movers": _movers(spec, counts) if n else [],
        },
    )


def input_drift_checks(
    frame: pd.DataFrame,
    month_pos: np.ndarray,
    months: Sequence[str],
    profile: Mapping[str, Any],
    *,
    min_n: int,
    psi_bands: tuple[float, float],
    epsilon: float,
) -> list[Check]:
    """Every monitored field's drift check in every month."""
    reference_rows = float(profile.get("rows") or 0) or None
    fields = reference_fields(profile)
    codes = row_categories(frame, fields)
    raw_sources = frame["referral_source"].astype(str).to_numpy()
    checks = []
    for spec in fields:
        field_codes = codes[spec.name]
        if spec.name == "referral_source":
            spec, field_codes = with_unseen(spec, field_codes, raw_sources)
        counts = monthly_counts(field_codes, month_pos, len(months), len(spec.categories))
        checks += [
            field_check(
                spec,
                counts[m],
                month,
                reference_rows=reference_rows,
                min_n=min_n,
                psi_bands=psi_bands,
                epsilon=epsilon,
            )
            for m, month in enumerate(months)
        ]
    return checks


def decile_bins(deciles: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Inner bin edges from the reference deciles and each bin's reference share.

    Equal edges (ties in the reference) merge their bins, whose shares add up.
    """
    inner = np.asarray(deciles, dtype=float)[1:-1]
    edges = np.unique(inner)
    lower_edge_bin = np.searchsorted(edges, inner, side="left") + 1
    owner = np.r_[0, lower_edge_bin]
    shares = np.bincount(owner, minlength=edges.size + 1) / owner.size
    return edges, shares


def estimate_drift_checks(
    probability: np.ndarray,
    month_pos: np.ndarray,
    months: Sequence[str],
    profile: Mapping[str, Any],
    *,
    min_n: int,
    psi_bands: tuple[float, float],
    epsilon: float,
) -> list[Check]:
    """Drift of each month's estimates over the reference deciles (PSI and chi-square)."""
    edges, shares = decile_bins(profile["probability_deciles"])
    reference_rows = float(profile.get("rows") or 0) or None
    bins = band_of(probability, edges) - 1  # as the model bands: on a cut goes above
    counts = monthly_counts(bins, month_pos, len(months), shares.size)
    checks = []
    for m, month in enumerate(months):
        row = counts[m]
        n = int(row.sum())
        value = psi(row, shares, epsilon=epsilon)
        enough = n >= min_n
        statistic, df, p = chi_square(row, shares, reference_rows) if enough else NO_TEST
        checks.append(
            Check(
                kind="estimate_drift",
                month=month,
                what="probability",
                where=ALL_CONTACTS,
                measure="psi",
                n=n,
                strength=value,
                p_value=p,
                material=bool(math.isfinite(value) and value >= psi_bands[0]),
                status="tested" if enough and math.isfinite(p) else "insufficient_data",
                level=psi_level(value, psi_bands),
                details={
                    "statistic": statistic,
                    "df": df,
                    "reference_shares": shares.tolist(),
                    "shares": (row / n).tolist() if n else [],
                    "mean_estimate": float(probability[month_pos == m].mean()) if n else math.nan,
                },
            )
        )
    return checks
