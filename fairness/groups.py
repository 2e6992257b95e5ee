"""The groups audits compare: attributes of a contact record, their intersections, references."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.codes import AGE_BANDS, Disability, Ethnicity, ReferralSource, Sex

# Contract-mode attributes and the column each is read from.
ATTRIBUTE_COLUMNS: dict[str, str] = {
    "age_band": "child_age_years",
    "referral_source": "referral_source",
    "ethnicity": "child_ethnicity",
    "sex": "child_sex",
    "disability": "child_disability",
}
CONTRACT_ATTRIBUTES: tuple[str, ...] = tuple(ATTRIBUTE_COLUMNS)
ETHNIC_GROUPS: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other", "Not known")
# Contract defaults for optional protected characteristics left empty.
DEFAULTS: dict[str, str] = {"child_sex": "U", "child_ethnicity": "NOBT", "child_disability": "U"}
INTERSECTION = " & "

AGE_OUT_OF_RANGE = "child_age_years must be whole years from 0 to 17; found {value!r}"
MISSING_VALUES = "{column} is empty in {count} rows; every row needs a value"
UNKNOWN_CODE = "{column} has a value that is not a contract code: {value!r}"
UNKNOWN_REFERENCE_ATTRIBUTE = (
    "reference given for {attribute!r}, which is not audited; audited: {known}"
)
UNKNOWN_REFERENCE_GROUP = (
    "reference group {group!r} for {attribute!r} is not in the data; groups: {known}"
)


@dataclass(frozen=True)
class Grouping:
    """One attribute's group of each row (``codes``; -1 = not in any reported group)."""

    name: str
    codes: np.ndarray
    labels: tuple[str, ...]

    @property
    def counts(self) -> np.ndarray:
        """Rows in each group."""
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.labels))

    def index(self, group: str) -> int:
        """The position of a group label (ValueError naming the known groups if absent)."""
        present = [g for g, c in zip(self.labels, self.counts, strict=True) if c > 0]
        if group not in present:
            raise ValueError(
                UNKNOWN_REFERENCE_GROUP.format(group=group, attribute=self.name, known=present)
            )
        return self.labels.index(group)

    def largest(self) -> int:
        """The position of the largest group (the first, in label order, on a tie)."""
        return int(np.argmax(self.counts))


def from_values(name: str, values: pd.Series | np.ndarray, order: Sequence[str] = ()) -> Grouping:
    """Group rows by the values of one column; ``order`` first, then others sorted.

    Missing values form a group ``"(missing)"``.
    """
    series = pd.Series(values).astype("string").fillna("(missing)")
    codes, uniques = pd.factorize(series, sort=True)
    uniques = [str(u) for u in uniques]
    labels = [g for g in order if g in uniques] + [g for g in uniques if g not in order]
    position = np.array([labels.index(u) for u in uniques], dtype=np.int64)
    return Grouping(name, position[codes] if len(codes) else codes.astype(np.int64), tuple(labels))


def _code_grouping(
    name: str, series: pd.Series, column: str, mapping: Mapping[str, str], order: Sequence[str]
) -> Grouping:
    """Group by a code column through ``mapping`` (code -> group), rejecting unknown codes."""
    series = series.astype("string")
    if column in DEFAULTS:
        series = series.fillna(DEFAULTS[column])
    elif series.isna().any():
        raise ValueError(MISSING_VALUES.format(column=column, count=int(series.isna().sum())))
    codes, uniques = pd.factorize(series)
    unknown = [u for u in uniques if u not in mapping]
    if unknown:
        raise ValueError(UNKNOWN_CODE.format(column=column, value=unknown[0]))
    position = np.array([order.index(mapping[u]) for u in uniques], dtype=np.int64)
    return Grouping(name, position[codes] if len(codes) else codes.astype(np.int64), tuple(order))


def age_bands(ages: pd.Series) -> Grouping:
    """Age bands (``data.codes.AGE_BANDS``) from ages in whole years."""
    values = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0) | (values > 17) | (values != np.round(values))
    if bad.any():
        raise ValueError(AGE_OUT_OF_RANGE.format(value=ages.iloc[int(np.argmax(bad))]))
    highs = np.array([high for _, _, high in AGE_BANDS])
    codes = np.searchsorted(highs, values.astype(np.int64), side="left").astype(np.int64)
    return Grouping("age_band", codes, tuple(label for label, _, _ in AGE_BANDS))


def contract_groupings(frame: pd.DataFrame, attributes: Sequence[str]) -> list[Grouping]:
    """Groupings of contract attributes (age band, source, ethnic group, sex, disability)."""
    out = []
    for name in attributes:
        column = ATTRIBUTE_COLUMNS[name]
        series = frame[column]
        if name == "age_band":
            out.append(age_bands(series))
        elif name == "referral_source":
            order = [c.value for c in ReferralSource]
            out.append(_code_grouping(name, series, column, {c: c for c in order}, order))
        elif name == "ethnicity":
            mapping = {e.value: e.major_group for e in Ethnicity}
            out.append(_code_grouping(name, series, column, mapping, ETHNIC_GROUPS))
        else:
            enum = Sex if name == "sex" else Disability
            order = [c.value for c in enum]
            out.append(_code_grouping(name, series, column, {c: c for c in order}, order))
    return out


def intersect(a: Grouping, b: Grouping, *, min_n: int) -> tuple[Grouping, int]:
    """The intersection of two groupings, keeping cells of at least ``min_n`` rows.

    Returns the grouping and the number of non-empty cells left out for being smaller.
    """
    width = len(b.labels)
    cells = np.where((a.codes >= 0) & (b.codes >= 0), a.codes * width + b.codes, -1)
    counts = np.bincount(cells[cells >= 0], minlength=len(a.labels) * width)
    kept = np.flatnonzero(counts >= min_n)
    suppressed = int(((counts > 0) & (counts < min_n)).sum())
    remap = np.full(counts.size + 1, -1, dtype=np.int64)
    remap[kept] = np.arange(kept.size)
    codes = remap[cells]  # index -1 reads the extra slot, which is -1
    labels = tuple(f"{a.labels[k // width]}{INTERSECTION}{b.labels[k % width]}" for k in kept)
    return Grouping(f"{a.name}{INTERSECTION}{b.name}", codes, labels), suppressed


def reference_index(grouping: Grouping, reference: Mapping[str, str]) -> int:
    """The reference group: the one named in ``reference``, else the largest.

    For an intersection with no reference of its own, the cell of both attributes' named
    references is used when both are named.
    """
    if grouping.name in reference:
        return grouping.index(reference[grouping.name])
    parts = grouping.name.split(INTERSECTION)
    if len(parts) == 2 and all(p in reference for p in parts):
        cell = INTERSECTION.join(reference[p] for p in parts)
        if cell in grouping.labels and grouping.counts[grouping.labels.index(cell)] > 0:
            return grouping.labels.index(cell)
    return grouping.largest()


def check_reference_attributes(reference: Mapping[str, str], audited: Sequence[str]) -> None:
    """Raise if a reference names an attribute that is not audited."""
    for attribute in reference:
        if attribute not in audited:
            raise ValueError(
                UNKNOWN_REFERENCE_ATTRIBUTE.format(attribute=attribute, known=list(audited))
            )
