"""Settings that contradict each other are refused when they are read, naming both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import BAND_OUT_OF_RANGE, Settings


def test_a_high_risk_band_above_the_number_of_bands_is_refused(monkeypatch):
    monkeypatch.setenv("TRIAGE_RISK_BANDS", "5")
    monkeypatch.delenv("TRIAGE_FLAG_HIGH_RISK_BAND", raising=False)  # the default, 8
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = caught.value.errors()[0]["msg"]
    assert BAND_OUT_OF_RANGE.format(band=8, bands=5) in message
    assert "TRIAGE_FLAG_HIGH_RISK_BAND" in message and "TRIAGE_RISK_BANDS" in message


@pytest.mark.parametrize(("bands", "band"), [(5, 5), (10, 8), (10, 10), (2, 1)])
def test_a_reachable_high_risk_band_is_accepted(monkeypatch, bands, band):
    monkeypatch.setenv("TRIAGE_RISK_BANDS", str(bands))
    monkeypatch.setenv("TRIAGE_FLAG_HIGH_RISK_BAND", str(band))
    settings = Settings()
    assert (settings.risk_bands, settings.flag_high_risk_band) == (bands, band)


def test_the_check_applies_to_arguments_too():
    with pytest.raises(ValidationError, match="TRIAGE_FLAG_HIGH_RISK_BAND=11"):
        Settings(risk_bands=10, flag_high_risk_band=11)
    with pytest.raises(ValidationError, match="TRIAGE_RISK_BANDS=3"):
        Settings(risk_bands=3, flag_high_risk_band=4)
