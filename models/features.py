"""Model inputs: the contract's substantive and surface fields as a numeric matrix.

Every column of the matrix belongs to exactly one contract field (and, for concerns, one code),
so exact SHAP values can be summed back to what the duty worker recorded. Protected
characteristics, the team, the time and the narrative are never read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.codes import AGE_BANDS, Concern, ReferralSource
from data.contract import SURFACE as SURFACE_FIELDS

AGE_BAND_LABELS: tuple[str, ...] = tuple(label for label, _, _ in AGE_BANDS)
# A representative age for each band, used when asking "what if the child were another age?".
AGE_BAND_EXAMPLE: tuple[int, ...] = tuple(low for _, low, _ in AGE_BANDS)
SOURCE_CODES: tuple[str, ...] = tuple(s.value for s in ReferralSource)
CONCERN_CODES: tuple[str, ...] = tuple(c.value for c in Concern)
NO_FACTORS = Concern.NO_FACTORS.value


@dataclass(frozen=True)
class Column:
    """One model input column and the contract field (and code) it comes from."""

    name: str
    field: str
    code: str | None = None
    # +1: more of this never lowers the estimate (a reported concern, a CP plan, more contacts).
    monotone: int = 0


def _columns() -> tuple[Column, ...]:
    age = [Column(f"age_band={b}", "child_age_years", b) for b in AGE_BAND_LABELS]
    source = [Column(f"referral_source={s}", "referral_source", s) for s in SOURCE_CODES]
    concerns = [
        Column(f"concern={c}", "concerns", c, monotone=0 if c == NO_FACTORS else 1)
        for c in CONCERN_CODES
    ]
    history = [
        Column("log1p_prior_contacts_12m", "prior_contacts_12m", monotone=1),
        Column("previous_cp_plan", "previous_cp_plan", monotone=1),
        Column("early_help_open", "early_help_open", monotone=1),
    ]
    return (*age, *source, *concerns, *history)


COLUMNS: tuple[Column, ...] = _columns()
FEATURE_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
MONOTONE: np.ndarray = np.array([c.monotone for c in COLUMNS], dtype=np.int8)
AGE_SLICE = slice(0, len(AGE_BAND_LABELS))
SOURCE_SLICE = slice(AGE_SLICE.stop, AGE_SLICE.stop + len(SOURCE_CODES))
CONCERN_SLICE = slice(SOURCE_SLICE.stop, SOURCE_SLICE.stop + len(CONCERN_CODES))
PRIOR_INDEX, CP_PLAN_INDEX, EARLY_HELP_INDEX = range(CONCERN_SLICE.stop, len(COLUMNS))
# True for the columns of surface fields (who the child is, who called).
SURFACE: np.ndarray = np.array([c.field in SURFACE_FIELDS for c in COLUMNS])


def age_band_index(ages: np.ndarray) -> np.ndarray:
    """Index into ``AGE_BAND_LABELS`` for each age in years."""
    uppers = np.array([high for _, _, high in AGE_BANDS])
    return np.searchsorted(uppers, np.asarray(ages), side="left")


def build_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Return the float64 model matrix (rows x ``FEATURE_NAMES``) for a typed contract frame."""
    n = len(frame)
    matrix = np.zeros((n, len(COLUMNS)), dtype=np.float64)
    rows = np.arange(n)
    matrix[rows, AGE_SLICE.start + age_band_index(frame["child_age_years"].to_numpy())] = 1.0
    source_position = pd.Index(SOURCE_CODES).get_indexer(frame["referral_source"].astype(str))
    if (source_position < 0).any():
        bad = frame["referral_source"].to_numpy()[source_position < 0][0]
        raise ValueError(f"referral_source {bad!r} is not a CIN referral source code")
    matrix[rows, SOURCE_SLICE.start + source_position] = 1.0
    matrix[:, CONCERN_SLICE] = concern_matrix(frame["concerns"])
    matrix[:, PRIOR_INDEX] = np.log1p(frame["prior_contacts_12m"].to_numpy(dtype=np.float64))
    matrix[:, CP_PLAN_INDEX] = frame["previous_cp_plan"].to_numpy(dtype=np.float64)
    matrix[:, EARLY_HELP_INDEX] = frame["early_help_open"].to_numpy(dtype=np.float64)
    return matrix


def concern_matrix(concerns: pd.Series) -> np.ndarray:
    """0/1 matrix of concerns (rows x ``CONCERN_CODES``) from ``;``-joined code strings.

    A plain loop over the codes: about as fast as pandas' ``str.get_dummies`` on large frames and
    far faster on the one-row frames of the service's hot path.
    """
    matrix = np.zeros((len(concerns), len(CONCERN_CODES)), dtype=np.float64)
    for row, text in enumerate(concerns.fillna("").astype(str).tolist()):
        if not text:
            continue
        for code in text.split(";"):
            column = _CONCERN_POSITION.get(code)
            if column is None:
                raise ValueError(
                    f"concerns has a code that is not a CIN assessment factor: {code!r}"
                )
            matrix[row, column - CONCERN_SLICE.start] = 1.0
    return matrix


def matrix_from_records(records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The same matrix as :func:`build_matrix`, from contract records (concerns as a list).

    No pandas: the service's hot path builds one row in microseconds instead of a frame in
    about a millisecond.
    """
    matrix = np.zeros((len(records), len(COLUMNS)), dtype=np.float64)
    for row, record in enumerate(records):
        matrix[row, AGE_SLICE.start + _age_band_of(record["child_age_years"])] = 1.0
        source = _SOURCE_POSITION.get(record["referral_source"])
        if source is None:
            raise ValueError(
                f"referral_source {record['referral_source']!r} is not a CIN referral source code"
            )
        matrix[row, SOURCE_SLICE.start + source] = 1.0
        for code in record["concerns"]:
            column = _CONCERN_POSITION.get(code)
            if column is None:
                raise ValueError(
                    f"concerns has a code that is not a CIN assessment factor: {code!r}"
                )
            matrix[row, column] = 1.0
        matrix[row, PRIOR_INDEX] = np.log1p(float(record["prior_contacts_12m"]))
        matrix[row, CP_PLAN_INDEX] = float(record["previous_cp_plan"])
        matrix[row, EARLY_HELP_INDEX] = float(record.get("early_help_open", False))
    return matrix


def _age_band_of(age: int) -> int:
    for index, (_, low, high) in enumerate(AGE_BANDS):
        if low <= age <= high:
            return index
    raise ValueError(f"child_age_years {age} is outside 0-17")


_CONCERN_POSITION: dict[str, int] = {
    code: CONCERN_SLICE.start + k for k, code in enumerate(CONCERN_CODES)
}
_SOURCE_POSITION: dict[str, int] = {code: k for k, code in enumerate(SOURCE_CODES)}
