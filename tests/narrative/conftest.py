"""The packaged sentence model, loaded once for the session (loading takes seconds)."""

from __future__ import annotations

import pytest

from narrative.reader import Reader, load, packaged_files


@pytest.fixture(scope="session")
def reader() -> Reader:
    """The packaged model with its thresholds, as a service process would load it."""
    loaded = load(packaged_files())
    assert loaded.available, loaded.reason
    return loaded
