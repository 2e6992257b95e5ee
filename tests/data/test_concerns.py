"""Splitting, joining and one-hot encoding the concerns column."""

from __future__ import annotations

import pandas as pd
import pytest

from data.codes import Concern
from data.concerns import concern_indicators, join_concerns, split_concerns


def test_indicators_have_one_column_per_concern_in_enum_order():
    concerns = pd.Series(["3B;16A", "", "21"], index=[10, 11, 12], dtype="string")
    indicators = concern_indicators(concerns)
    assert list(indicators.columns) == [c.value for c in Concern]
    assert len(indicators.columns) == 42
    assert (indicators.dtypes == "uint8").all()
    assert indicators.index.tolist() == [10, 11, 12]
    assert indicators.sum(axis=1).tolist() == [2, 0, 1]
    assert indicators.loc[10, "3B"] == indicators.loc[10, "16A"] == indicators.loc[12, "21"] == 1


def test_indicators_of_an_empty_column():
    indicators = concern_indicators(pd.Series([], dtype="string"))
    assert indicators.shape == (0, 42)


def test_indicators_refuse_unknown_codes():
    with pytest.raises(ValueError, match="ZZ"):
        concern_indicators(pd.Series(["3B;ZZ"]))


def test_split_and_join_normalise_a_column():
    items = split_concerns(pd.Series([" 16A ; 3B ", "", None, "1A;1A"], dtype="string"))
    assert items.row.tolist() == [0, 0, 3, 3]
    assert items.text.to_pylist() == ["16A", "3B", "1A", "1A"]
    joined = join_concerns(items.row, items.code, items.n_rows)
    assert joined.tolist() == ["3B;16A", "", "", "1A"]
