"""Shared fixtures: every test gets its own TRIAGE_HOME and fresh settings."""

from __future__ import annotations

import pytest

from config.settings import get_settings


@pytest.fixture
def triage_home(tmp_path, monkeypatch):
    """A fresh TRIAGE_HOME for one test, with the settings cache cleared around it."""
    home = tmp_path / "triage-home"
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
