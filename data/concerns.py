"""The ``concerns`` column: `;`-separated CIN assessment factor codes, split and joined in bulk.

Splitting uses pyarrow compute kernels, so a million rows take a fraction of a second. Codes are
identified by their position in :data:`CONCERN_CODES` (the :class:`~data.codes.Concern` enum
order); the legacy codes of :data:`~data.codes.LEGACY_CONCERNS` follow, at positions from
``len(CONCERN_CODES)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.codes import LEGACY_CONCERNS, Concern
from data.contract import CONCERN_SEPARATOR

CONCERN_CODES: tuple[str, ...] = tuple(c.value for c in Concern)
LEGACY_CODES: tuple[str, ...] = tuple(LEGACY_CONCERNS)
NO_FACTORS_INDEX = CONCERN_CODES.index(Concern.NO_FACTORS.value)


@dataclass(frozen=True)
class ConcernItems:
    """Every code written in a ``concerns`` column, one entry per code.

    ``row`` is the 0-based position of the row the code came from; ``text`` the code as written
    (whitespace stripped); ``code`` its position in :data:`CONCERN_CODES` with legacy codes
    mapped to their successors, or -1 when it is not a known code; ``legacy`` marks legacy codes.
    A row whose cell is empty (or only whitespace) contributes no items.
    """

    row: np.ndarray
    text: pa.Array
    code: np.ndarray
    legacy: np.ndarray
    n_rows: int


def _arrow_text(concerns: pd.Series) -> pa.Array:
    """The column as a null-free arrow string array."""
    array = pa.array(concerns.astype("string"))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.fill_null(array, "")


def _legacy_targets() -> np.ndarray:
    return np.array([CONCERN_CODES.index(LEGACY_CONCERNS[c].value) for c in LEGACY_CODES])


def split_concerns(concerns: pd.Series) -> ConcernItems:
    """Split a ``concerns`` column into its codes (see :class:`ConcernItems`)."""
    cells = pc.utf8_trim_whitespace(_arrow_text(concerns))
    lists = pc.split_pattern(cells, CONCERN_SEPARATOR)
    row = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    text = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    # An empty cell splits into one empty item: it means "none reported", not an empty code.
    cell_empty = pc.equal(cells, "").to_numpy(zero_copy_only=False)
    keep = ~cell_empty[row]
    row, text = row[keep], text.filter(pa.array(keep))
    known = pa.array(CONCERN_CODES + LEGACY_CODES)
    found = pc.index_in(text, value_set=known).to_numpy(zero_copy_only=False)
    found = np.nan_to_num(found.astype(np.float64), nan=-1).astype(np.int64)
    legacy = found >= len(CONCERN_CODES)
    code = found.copy()
    code[legacy] = _legacy_targets()[found[legacy] - len(CONCERN_CODES)]
    return ConcernItems(row=row, text=text, code=code, legacy=legacy, n_rows=len(cells))


def repeated_codes(items: ConcernItems) -> np.ndarray:
    """Mark each known code that an earlier item of the same row already gave."""
    known = items.code >= 0
    keys = np.where(known, items.row * len(CONCERN_CODES) + items.code, -1)
    order = np.argsort(keys, kind="stable")
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[order] = np.diff(keys[order], prepend=-2) == 0
    return repeat & known


def join_concerns(row: np.ndarray, code: np.ndarray, n_rows: int) -> pd.Series:
    """Join code positions back into normalised cells: unique codes in enum order, ``;``-joined."""
    keys = np.sort(row * len(CONCERN_CODES) + code)
    keys = keys[np.diff(keys, prepend=-1) != 0]
    row, code = keys // len(CONCERN_CODES), keys % len(CONCERN_CODES)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n_rows))])
    values = pc.take(pa.array(CONCERN_CODES), pa.array(code))
    lists = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)
    joined = pc.binary_join(lists, CONCERN_SEPARATOR)
    return pd.Series(pd.arrays.ArrowStringArray(pa.array(joined, type=pa.large_string())))


def concern_indicators(concerns: pd.Series) -> pd.DataFrame:
    """One 0/1 ``uint8`` column per :class:`~data.codes.Concern` code, in enum order."""
    items = split_concerns(concerns)
    unknown = items.code < 0
    if unknown.any():
        shown = sorted(set(items.text.filter(pa.array(unknown)).to_pylist()))[:5]
        raise ValueError(f"concerns holds codes that are not CIN assessment factors: {shown}")
    matrix = np.zeros((items.n_rows, len(CONCERN_CODES)), dtype=np.uint8)
    matrix[items.row, items.code] = 1
    return pd.DataFrame(matrix, columns=list(CONCERN_CODES), index=concerns.index)
