"""The report: strict JSON, round trip, and a safe, self-contained HTML page."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from fairness import VERDICTS, Report, audit_contract, audit_generic, render_html
from fairness.report import Finding, finalise


@pytest.fixture(scope="module")
def report(shortcut_extract) -> Report:
    return audit_contract(shortcut_extract.head(20_000), intersections=True)


def _no_constants(name: str) -> None:
    raise AssertionError(f"JSON contains {name}")


def test_json_is_strict_and_complete(report):
    data = json.loads(report.to_json(), parse_constant=_no_constants)
    assert data["rows"] == 20_000
    assert data["adjustment"]["method"] == "holm"
    assert "Holm" in data["adjustment"]["description"]
    assert data["adjustment"]["comparisons"] > 100
    assert {f["audit"] for f in data["findings"]} == {"decisions", "model", "workload"}
    assert {f["verdict"] for f in data["findings"]} <= set(VERDICTS)
    keys = {"audit", "attribute", "group", "reference", "metric", "n", "value", "ci",
            "reference_value", "difference", "ratio", "p_adjusted", "verdict"}  # fmt: skip
    assert all(keys <= set(f) for f in data["findings"])
    assert any("Selective labels" in c for c in data["caveats"])
    assert data["headlines"] and data["created"]
    assert data["settings"]["ratio_band"] == [0.8, 1.25]


def test_missing_numbers_are_null(report):
    data = json.loads(report.to_json())
    reference = next(f for f in data["findings"] if f["verdict"] == "reference")
    assert reference["p_adjusted"] is None


def test_report_round_trips_through_json(report):
    again = Report.from_dict(json.loads(report.to_json()))
    assert again.to_json() == report.to_json()


def test_finalise_adjusts_across_all_comparisons_and_needs_both_tests():
    base = {"audit": "generic", "attribute": "a", "reference": "r", "metric": "m", "n": 100,
            "value": 0.5, "ci": (0.4, 0.6), "reference_value": 0.25, "difference": 0.25,
            "p_adjusted": math.nan, "verdict": ""}  # fmt: skip
    findings = [
        Finding(**base, group="big", ratio=2.0, p_value=0.01, material=True),
        Finding(**base, group="small", ratio=1.1, p_value=0.001, material=False),
        Finding(**base, group="unsure", ratio=2.0, p_value=0.04, material=True),
    ]
    out, count = finalise(findings, alpha=0.05, adjust="holm")
    assert count == 3
    assert [f.p_adjusted for f in out] == pytest.approx([0.02, 0.003, 0.04])
    assert [f.verdict for f in out] == ["disparity", "no_disparity_detected", "disparity"]
    out, _ = finalise(findings, alpha=0.03, adjust="holm")
    assert out[2].verdict == "no_disparity_detected"


def test_html_is_self_contained_with_plots_and_headlines(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") >= 10
    assert "http://" not in page and "https://" not in page
    assert "13–15-year-olds were given NFA" in page


def test_html_escapes_data():
    rng = np.random.default_rng(0)
    n = 400
    table = pd.DataFrame(
        {
            "group": np.where(np.arange(n) < 200, "<script>alert(1)</script>", "plain & simple"),
            "label": rng.random(n) < 0.3,
            "pred": rng.random(n) < 0.4,
        }
    )
    page = render_html(audit_generic(table, label="label", prediction="pred", groups=["group"]))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "plain &amp; simple" in page
