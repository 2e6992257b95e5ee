"""Synthetic months shared by the monitoring tests (small, generated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest
from monitoring_data import MONTH_ROWS, renumbered, shifted_sources, with_estimates

from data.synthetic import GeneratorConfig, Shortcuts, default_source_shares, generate
from training.pipeline import reference_profile


@pytest.fixture(scope="session")
def profile() -> dict:
    """The reference profile of a 20,000-contact training population."""
    population = generate(GeneratorConfig(rows=20_000, seed=1))
    return reference_profile(population, population["true_risk"].to_numpy())


@pytest.fixture(scope="session")
def source_shift_year() -> pd.DataFrame:
    """Eleven ordinary months of 2024, then a December whose referral-source mix has shifted."""
    ordinary = generate(
        GeneratorConfig(rows=11 * MONTH_ROWS, seed=2, start="2024-01-01", months=11)
    )
    december = generate(GeneratorConfig(rows=MONTH_ROWS, seed=3, start="2024-12-01", months=1))
    # More police and anonymous contacts.
    shares = {**default_source_shares(), "6": 55.0, "9": 8.0, "2A": 9.0}
    december = renumbered(shifted_sources(december, shares, seed=4), "D")
    return with_estimates(pd.concat([ordinary, december], ignore_index=True))


@pytest.fixture(scope="session")
def workload_year() -> pd.DataFrame:
    """A year in which team T1 alone gives more NFA at the same risk when it is busier."""
    config = GeneratorConfig(
        rows=12 * MONTH_ROWS,
        seed=5,
        start="2024-01-01",
        months=12,
        shortcuts=Shortcuts(workload=2.0, workload_teams=("T1",)),
    )
    return with_estimates(generate(config))
