"""The timeliness report: in time with intervals, working days taken, overdue now, reasons."""

from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import data.synthetic as synthetic
from cli.timeliness_cmd import timeliness
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from data.workdays import FixedClock
from timeliness import TimelinessOptions, timeliness_report
from timeliness.html import render_html

CLOCK = FixedClock(date(2024, 4, 10))
NOTE = "Mum asked to wait until the interpreter could come."


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Europe/London").tz_convert("UTC")


def _day(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else pd.NaT


def small_frame() -> pd.DataFrame:
    """Team A in March 2024 (Easter: Fri 29 Mar and Mon 1 Apr are bank holidays)."""
    rows = [
        # contact, received, decided, decision, completed, late reasons, note
        ("C1", "2024-03-04 10:00", "2024-03-04 15:00", "nfa", None, None, None),
        ("C2", "2024-03-28 16:00", "2024-04-03 09:00", "nfa", None, "team_capacity", NOTE),
        ("C3", "2024-03-01 09:00", "2024-03-01 11:00", "assessment", "2024-03-08", None, None),
        ("C4", "2024-03-05 09:00", "2024-03-05 11:00", "assessment", "2024-03-13", None, None),
        ("C5", "2024-03-06 09:00", "2024-03-06 12:00", "strategy_discussion", None, None, None),
        ("C6", "2024-03-07 09:00", None, None, None, None, None),
    ]
    frame = pd.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "team_id": "A",
            "received_at": [_utc(r[1]) for r in rows],
            "decided_at": [_utc(r[2]) if r[2] else pd.NaT for r in rows],
            "decision": pd.array([r[3] for r in rows], dtype="string"),
            "assessment_completed_on": [_day(r[4]) for r in rows],
            "late_reasons": pd.array([r[5] for r in rows], dtype="string"),
            "late_note": pd.array([r[6] for r in rows], dtype="string"),
        }
    )
    # C4's assessment ran to a 5-working-day local target and was late for two reasons.
    frame["assessment_due_on"] = [pd.NaT] * 3 + [pd.Timestamp("2024-03-12")] + [pd.NaT] * 2
    frame["assessment_late_reasons"] = pd.array(
        [None] * 3 + ["holiday_period;no_access_to_child"] + [None] * 2, dtype="string"
    )
    return frame


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def test_decisions_in_time_late_and_overdue_with_reasons():
    report = timeliness_report(small_frame(), clock=CLOCK)
    decisions = report["teams"][0]["overall"]["decisions"]
    # C2: received Thu 28 Mar, due Tue 2 Apr, decided Wed 3 Apr: late, 2 working days taken.
    assert decisions["recorded"] == 5 and decisions["in_time"] == 4 and decisions["late"] == 1
    assert decisions["in_time_share"] == pytest.approx(0.8)
    assert decisions["in_time_ci"] == pytest.approx(list(wilson(4, 5)))
    assert decisions["median_working_days"] == 0  # four decided the day received
    assert decisions["late_reasons"] == {"team_capacity": 1}
    # C6: received Thu 7 Mar, due Fri 8 Mar, still open on Wed 10 Apr: 23 weekdays later, less
    # Good Friday and Easter Monday, is 21 working days overdue.
    assert decisions["open"] == 1 and decisions["overdue_now"] == 1
    assert decisions["overdue_median_working_days"] == 21


def test_assessments_due_days_come_from_the_rule_unless_stated():
    report = timeliness_report(
        small_frame(), clock=CLOCK, options=TimelinessOptions(assessment_due_working_days=5)
    )
    assessments = report["overall"]["assessments"]
    # C3: received Fri 1 Mar, due Fri 8 Mar, done Fri 8 Mar (5 working days): in time.
    # C4: due as stated on Tue 12 Mar, done Wed 13 Mar (6 working days): late, two reasons.
    # C5: received Wed 6 Mar, due Wed 13 Mar, still open on 10 Apr: overdue.
    assert (assessments["recorded"], assessments["in_time"], assessments["late"]) == (2, 1, 1)
    assert assessments["median_working_days"] == pytest.approx(5.5)
    assert assessments["p90_working_days"] == pytest.approx(5.9)
    assert assessments["late_reasons"] == {"holiday_period": 1, "no_access_to_child": 1}
    assert assessments["overdue_now"] == 1 and assessments["late_without_reasons"] == 0


def test_every_late_record_without_a_reason_is_counted_as_such():
    frame = small_frame()
    frame.loc[1, "late_reasons"] = pd.NA
    decisions = timeliness_report(frame, clock=CLOCK)["overall"]["decisions"]
    assert decisions["late_reasons"] == {} and decisions["late_without_reasons"] == 1


def test_notes_only_when_asked_and_the_report_is_plain_json():
    without = timeliness_report(small_frame(), clock=CLOCK)
    assert NOTE not in json.dumps(without, allow_nan=False)
    assert "late_notes" not in without["teams"][0]
    with_notes = timeliness_report(
        small_frame(), clock=CLOCK, options=TimelinessOptions(with_notes=True)
    )
    notes = with_notes["teams"][0]["late_notes"]
    assert notes == [
        {
            "contact_id": "C2",
            "kind": "decisions",
            "due_on": "2024-04-02",
            "recorded_on": "2024-04-03",
            "late_reasons": ["team_capacity"],
            "note": NOTE,
        }
    ]
    assert NOTE in render_html(with_notes) and NOTE not in render_html(without)


def test_months_sit_beside_their_contact_volume():
    report = timeliness_report(small_frame(), clock=CLOCK)
    (month,) = report["teams"][0]["months"]
    assert month["month"] == "2024-03" and month["contacts"] == 6


def test_html_escapes_team_names():
    frame = small_frame().assign(team_id="<script>x</script>")
    page = render_html(timeliness_report(frame, clock=CLOCK))
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_lateness_rises_with_volume_when_it_does_and_not_when_it_does_not(monkeypatch):
    config = GeneratorConfig(rows=30_000, seed=21)
    busy = timeliness_report(generate(config), clock=CLOCK)
    for kind in ("assessments", "decisions"):
        effects = [v for v in busy["volume"] if v["kind"] == kind]
        assert all(v["verdict"] == "later_when_busier" and v["ci"][0] > 1 for v in effects), kind
    monkeypatch.setattr(synthetic, "ASSESSMENT_VOLUME_ELASTICITY", 0.0)
    monkeypatch.setattr(synthetic, "DECISION_VOLUME_ELASTICITY", 0.0)
    flat = timeliness_report(generate(config), clock=CLOCK)
    for kind in ("assessments", "decisions"):
        effects = [v for v in flat["volume"] if v["kind"] == kind]
        assert sum(v["verdict"] == "later_when_busier" for v in effects) <= 1, kind
        assert all(v["ci"][0] < 1.6 for v in effects), kind


def test_cli_writes_json_and_html_and_notes_only_when_asked(tmp_path):
    data = tmp_path / "extract.csv"
    frame = generate(GeneratorConfig(rows=2_000, seed=2))
    late = frame["assessment_late_reasons"].notna()
    frame.loc[late, "assessment_late_note"] = "Waiting for the school's chronology."
    write_contacts(frame, data)
    app = typer.Typer()
    app.command()(timeliness)
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    args = ["--data", str(data), "--out", str(out), "--as-at", "2025-04-01"]
    result = CliRunner().invoke(app, [*args, "--html", str(page)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["as_at"] == "2025-04-01" and report["overall"]["assessments"]["late"] > 0
    assert "chronology" not in out.read_text() and "chronology" not in page.read_text()
    result = CliRunner().invoke(app, [*args, "--with-notes"])
    assert result.exit_code == 0 and "chronology" in out.read_text()
    bad = CliRunner().invoke(app, [*args[:4], "--as-at", "April"])
    assert bad.exit_code != 0 and "--as-at" in bad.output


def test_the_quickstart_extract_has_late_decisions_and_assessments_with_their_reasons():
    """`make run` (triage quickstart) writes this extract: its timeliness report has something to
    show for decisions and assessments, late ones beside every reason counted."""
    from cli.quickstart_cmd import QUICKSTART_SEED

    frame = generate(GeneratorConfig(rows=5_000, seed=QUICKSTART_SEED))
    report = timeliness_report(frame, clock=FixedClock(date(2025, 6, 1)))
    for kind in ("decisions", "assessments"):
        block = report["overall"][kind]
        assert 0 < block["late"] < block["recorded"], kind
        assert block["late_without_reasons"] == 0, kind
        counted = sum(block["late_reasons"].values())
        assert block["late"] <= counted <= 2 * block["late"], kind  # one or two reasons each
