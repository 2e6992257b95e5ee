"""The interval's own quantiles are numpy's, bit for bit, on many generated arrays."""

from __future__ import annotations

import numpy as np
import pytest

from models.interval import row_quantiles


@pytest.mark.parametrize("seed", range(5))
def test_row_quantiles_are_numpys_quantiles_exactly(seed):
    rng = np.random.default_rng(seed)
    for _ in range(400):
        rows, count = int(rng.integers(1, 40)), int(rng.integers(1, 300))
        values = rng.normal(size=(rows, count)) * rng.uniform(0.01, 100)
        if rng.random() < 0.3:  # ties, as refits of a tree model give
            values = np.round(values, 1)
        levels = [float(rng.uniform(0, 0.5)), float(rng.uniform(0.5, 1)), 0.0, 1.0, 0.5]
        expected = np.quantile(values, levels, axis=1)
        found = row_quantiles(values, levels)
        assert found.shape == expected.shape
        assert np.array_equal(found, expected)


def test_row_quantiles_of_the_stored_level_on_one_row():
    values = np.array([[3.0, 1.0, 2.0, 5.0, 4.0]])
    low, high = row_quantiles(values, [0.05, 0.95])
    assert low[0] == pytest.approx(1.2) and high[0] == pytest.approx(4.8)
