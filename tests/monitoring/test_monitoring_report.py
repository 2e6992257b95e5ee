"""The report: strict JSON, HTML with escaped text, alerts' runs, and option errors."""

from __future__ import annotations

import json
import re

import pytest
from monitoring_data import NOW

import monitoring
from monitoring import Check, monitor, write_html
from monitoring.checks import adjust_checks, current_run
from monitoring.registry import card_with_history, history_markdown


def _strict(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"the JSON holds {constant}")

    return json.loads(text, parse_constant=refuse)


def test_json_has_no_nan_and_every_section(profile, workload_year, tmp_path):
    report = monitor(workload_year, reference_profile=profile, now=NOW)
    data = _strict(report.write_json(tmp_path / "report.json").read_text(encoding="utf-8"))
    for section in (
        "input_drift",
        "estimate_drift",
        "decision_patterns",
        "workload",
        "performance",
    ):
        assert data[section]["checks"], section
    assert data["adjustment"]["method"] == "holm"
    alert = data["alerts"][0]
    for key in ("kind", "what", "where", "strength", "since", "p_adjusted", "message"):
        assert key in alert
    # Untestable numbers are null, never NaN.
    insufficient = [c for c in data["decision_patterns"]["checks"] if c["p_value"] is None]
    assert insufficient and all(c["status"] == "insufficient_data" for c in insufficient)
    assert report.summary()["alerts_total"] == len(report.alerts)


def test_html_is_self_contained_and_escapes_text(profile, workload_year, tmp_path):
    hostile = "<script>alert(1)</script>"
    frame = workload_year.assign(team_id=workload_year["team_id"].replace({"T1": hostile}))
    report = monitor(frame, reference_profile=profile, now=NOW)
    assert any(a.where == f"team_id={hostile}" for a in report.alerts)
    page = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) >= 5
    assert "http://" not in page and "https://" not in page


def test_break_glass_reads_are_listed_as_given_and_escaped(profile, workload_year, tmp_path):
    from datetime import UTC, datetime

    hostile = "<b>x</b>"
    reads = [
        {
            "read_at": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
            "read_by": "ann",
            "contact_id": "S-1",
            "team_id": hostile,
        }
    ]
    report = monitor(workload_year, reference_profile=profile, now=NOW, break_glass=reads)
    data = _strict(report.write_json(tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["access"]["break_glass"] == [
        {
            "read_at": "2024-05-01T09:00:00+00:00",
            "read_by": "ann",
            "contact_id": "S-1",
            "team_id": hostile,
        }
    ]
    page = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Break-glass reads" in page and "&lt;b&gt;x&lt;/b&gt;" in page and hostile not in page
    # Without the store's reads (a file monitored), the report says so rather than "none".
    unread = monitor(workload_year, reference_profile=profile, now=NOW)
    assert unread.to_dict()["access"] == {"break_glass": None}
    assert "Not read" in write_html(unread, tmp_path / "unread.html").read_text(encoding="utf-8")


def _check(month: str, alert: bool, status: str = "tested") -> Check:
    return Check(
        kind="input_drift",
        month=month,
        what="age_band",
        where="all contacts",
        measure="psi",
        n=500,
        strength=0.3,
        p_value=0.001,
        material=True,
        status=status,  # type: ignore[arg-type]
        alert=alert,
    )


def test_since_is_the_start_of_the_current_run_of_alerting_months():
    history = [
        _check("2024-01", True),
        _check("2024-02", False),
        _check("2024-03", True),
        _check("2024-04", False, "insufficient_data"),  # neither breaks nor extends a run
        _check("2024-05", True),
    ]
    assert [c.month for c in current_run(history)] == ["2024-03", "2024-05"]
    assert current_run([*history, _check("2024-06", False)]) == []


def test_holm_is_applied_within_each_kind_and_needs_a_material_effect():
    checks = [
        _check("2024-01", False),
        Check("input_drift", "2024-02", "age_band", "all contacts", "psi", 500, 0.01, 0.001, False),
        Check(
            "estimate_drift", "2024-01", "probability", "all contacts", "psi", 500, 0.3, 0.04, True
        ),
    ]
    adjusted, counts = adjust_checks(checks, alpha=0.05)
    assert counts["input_drift"] == 2 and counts["estimate_drift"] == 1
    assert adjusted[0].p_adjusted == pytest.approx(0.002) and adjusted[0].alert
    assert not adjusted[1].alert  # significant but a PSI of 0.01 does not matter
    assert adjusted[2].p_adjusted == pytest.approx(0.04) and adjusted[2].alert


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_n": 0}, monitoring.BAD_MIN_N),
        ({"alpha": 1.5}, monitoring.BAD_ALPHA),
        ({"ratio_band": (1.2, 1.5)}, monitoring.BAD_RATIO_BAND),
        ({"psi_bands": (0.25, 0.1)}, monitoring.BAD_PSI_BANDS),
        ({"epsilon": 0.5}, monitoring.BAD_EPSILON),
        ({"workload_window": 2}, monitoring.BAD_WINDOW),
        ({"outcome_months": -1}, monitoring.BAD_OUTCOME_MONTHS),
        ({"min_auc": 0.3}, monitoring.BAD_MIN_AUC),
    ],
)
def test_bad_options_are_refused_with_their_message(profile, workload_year, options, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        monitor(workload_year, reference_profile=profile, **options)


def test_bad_data_and_profiles_are_refused(profile, workload_year):
    with pytest.raises(ValueError, match=r"^the data has no 'probability' column"):
        monitor(workload_year.drop(columns="probability"), reference_profile=profile)
    with pytest.raises(ValueError, match=re.escape(monitoring.EMPTY)):
        monitor(workload_year.head(0), reference_profile=profile)
    partial = {k: v for k, v in profile.items() if k != "concerns"}
    with pytest.raises(
        ValueError, match=re.escape(monitoring.BAD_PROFILE.format(keys=["concerns"]))
    ):
        monitor(workload_year, reference_profile=partial)
    bad = workload_year.assign(probability=1.5)
    with pytest.raises(ValueError, match="probability must be a number from 0 to 1"):
        monitor(bad, reference_profile=profile)


def test_the_card_gets_one_monitoring_history_section_however_often_it_is_rewritten():
    card = "# Model card\n\n## Gates\n\n- PASS auc\n\n## Limitations\n\n- drift\n"
    entry = {
        "created": "2026-01-31T09:00:00+00:00",
        "rows": 1200,
        "first_month": "2025-01",
        "last_month": "2025-12",
        "months": [{"month": "2025-12", "n": 100, "alerting_checks": 1}],
        "alerts": [
            {
                "kind": "input_drift",
                "what": "referral_source",
                "where": "all contacts",
                "since": "2025-12",
                "message": "The mix of referral_source shifted.",
            }
        ],
        "alerts_total": 1,
    }
    once = card_with_history(card, [entry])
    twice = card_with_history(once, [entry, {**entry, "created": "2026-02-28T09:00:00+00:00"}])
    assert once.startswith(card.rstrip("\n")) and twice.count("## Monitoring history") == 1
    assert (
        twice.count("### 2026-") == 2 and "referral_source (all contacts), since 2025-12" in twice
    )
    assert "No monitoring has been recorded yet." in history_markdown([])
