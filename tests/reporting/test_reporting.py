"""The shared report plumbing: strict JSON, option checks, the HTML page and London months."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reporting import (
    BAD_ALPHA,
    BAD_MIN_N,
    BAD_RATIO_BAND,
    StrictJson,
    check_alpha,
    check_min_n,
    check_ratio_band,
    clean,
    london_month,
)
from reporting.html import caveats_section, escape, page, settings_section, write_page


def test_clean_makes_numpy_plain_and_nan_null():
    value = {1: [np.float64(0.5), np.nan, math.inf], "n": np.int64(3), "ok": np.bool_(True)}
    assert clean(value) == {"1": [0.5, None, None], "n": 3, "ok": True}
    assert type(clean(np.int64(3))) is int and type(clean(np.bool_(False))) is bool


@dataclass
class Plain(StrictJson):
    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.values


def test_strict_json_refuses_nan_and_writes_a_file(tmp_path):
    with pytest.raises(ValueError):
        Plain({"x": math.nan}).to_json()
    path = Plain({"name": "Zoë", "x": 1}).write_json(tmp_path / "r.json")
    assert path.read_text(encoding="utf-8") == '{\n  "name": "Zoë",\n  "x": 1\n}\n'


@pytest.mark.parametrize("band", [(0, 1.25), (0.8, 0.9), (1.1, 1.25), (1.25, 0.8)])
def test_a_bad_ratio_band_is_refused(band):
    with pytest.raises(ValueError, match=re.escape(BAD_RATIO_BAND)):
        check_ratio_band(band)


def test_a_good_ratio_band_comes_back_as_floats():
    assert check_ratio_band([1, 2]) == (1.0, 2.0)
    assert check_ratio_band((0.8, 1.25)) == (0.8, 1.25)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5])
def test_alpha_must_be_strictly_between_0_and_1(alpha):
    with pytest.raises(ValueError, match=re.escape(BAD_ALPHA)):
        check_alpha(alpha)
    check_alpha(0.05)


def test_min_n_checks_every_size_with_the_callers_message():
    check_min_n(1, 30)
    with pytest.raises(ValueError, match=re.escape(BAD_MIN_N)):
        check_min_n(0)
    with pytest.raises(ValueError, match="group_min_n"):
        check_min_n(5, 0, message="min_n and group_min_n must be at least 1")


def test_the_page_escapes_every_text(tmp_path):
    hostile = "<script>alert('x')</script>"
    text = page(hostile, "p{}", caveats_section([hostile]) + settings_section({"k": hostile}))
    assert "<script>" not in text
    assert text.count(escape(hostile)) == 3  # the title, the caveat and the settings
    assert text.startswith("<!DOCTYPE html>") and "<style>p{}</style>" in text
    assert write_page(text, tmp_path / "p.html").read_text(encoding="utf-8") == text


def test_london_months_follow_london_clocks():
    # 23:30 UTC on 31 March 2024 is 00:30 BST on 1 April: April in London.
    stamps = pd.Series(["2024-03-31T23:30:00+00:00", "2024-12-31T23:59:00+00:00"])
    assert london_month(stamps).tolist() == [2024 * 12 + 3, 2024 * 12 + 11]
    naive = pd.Series(pd.to_datetime(["2024-01-01 00:00"]))  # naive: read as London already
    assert london_month(naive).tolist() == [2024 * 12]


def test_london_month_refuses_missing_times():
    with pytest.raises(ValueError, match="received_at is empty in 1 rows"):
        london_month(pd.Series([pd.Timestamp("2024-01-01", tz="UTC"), pd.NaT]))


def test_json_of_a_report_round_trips():
    assert json.loads(Plain({"a": [1, None]}).to_json(indent=None)) == {"a": [1, None]}
