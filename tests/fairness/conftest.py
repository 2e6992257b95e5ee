"""Synthetic extracts shared by the fairness tests (generated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from data.synthetic import GeneratorConfig, generate

ROWS = 80_000  # enough power to see the shortcuts; generation takes well under a second


def with_true_risk(frame: pd.DataFrame) -> pd.DataFrame:
    """Use the generator's true risk as the risk estimate: the best estimate there can be, so
    "at the same estimated risk" means at the same true risk and any gap is the decisions'."""
    return frame.assign(probability=frame["true_risk"])


@pytest.fixture(scope="session")
def shortcut_extract() -> pd.DataFrame:
    """An extract with the generator's default shortcuts (teen resilience, anonymous malicious)."""
    return with_true_risk(generate(GeneratorConfig(rows=ROWS, seed=101)))


@pytest.fixture(scope="session")
def fair_extract() -> pd.DataFrame:
    """The same process with the teen and anonymous shortcuts set to zero."""
    config = GeneratorConfig(rows=ROWS, seed=101).with_shortcuts(
        teen_resilience=0, anonymous_malicious=0
    )
    return with_true_risk(generate(config))
