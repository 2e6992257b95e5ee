"""Timeliness alerts: a team's share in time falling beyond noise, and nothing on noise alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitoring_data import MONTH_ROWS, NOW, with_estimates

from data.synthetic import GeneratorConfig, generate
from monitoring import monitor
from timeliness import TimelinessOptions

TIMELINESS_COLUMNS = (
    "due_on",
    "late_reasons",
    "late_note",
    "assessment_due_on",
    "assessment_completed_on",
    "assessment_late_reasons",
    "assessment_late_note",
)


@pytest.fixture(scope="module")
def year() -> pd.DataFrame:
    """A year of contacts with estimates, the generator's own timeliness columns left out."""
    frame = generate(GeneratorConfig(rows=12 * MONTH_ROWS, seed=21, start="2024-01-01", months=12))
    return with_estimates(frame.drop(columns=[c for c in TIMELINESS_COLUMNS if c in frame]))


def decided(frame: pd.DataFrame, late_share, *, seed: int) -> pd.DataFrame:
    """Each contact decided the day it arrived, or a week later (late) with ``late_share(row)``."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    share = np.array([late_share(team, month) for team, month in zip(
        out["team_id"], out["received_at"].dt.strftime("%Y-%m"), strict=True)])  # fmt: skip
    late = rng.random(len(out)) < share
    out["decided_at"] = out["received_at"] + pd.to_timedelta(np.where(late, 7, 0), unit="D")
    out["late_reasons"] = np.where(late, "team_capacity", None)
    return out


def timeliness_alerts(frame: pd.DataFrame, profile: dict) -> list[dict]:
    report = monitor(frame, reference_profile=profile, now=NOW, timeliness=TimelinessOptions())
    assert any(c.kind == "timeliness" and c.status == "tested" for c in report.checks)
    return [a.to_dict() for a in report.alerts if a.kind == "timeliness"]


def test_a_teams_drop_in_december_alerts_with_its_reasons(year, profile):
    team = sorted(year["team_id"].dropna().unique())[0]

    def share(t: str, month: str) -> float:
        return 0.6 if (t == team and month == "2024-12") else 0.1

    alerts = timeliness_alerts(decided(year, share, seed=3), profile)
    drops = [a for a in alerts if a["what"] == "late_share:decisions"]
    assert [a["where"] for a in drops] == [f"team_id={team}"]
    assert drops[0]["month"] == "2024-12" and drops[0]["strength"] > 3
    assert "team_capacity" in drops[0]["message"]


def test_noise_alone_does_not_alert(year, profile):
    alerts = timeliness_alerts(decided(year, lambda t, m: 0.1, seed=4), profile)
    assert alerts == []


def test_off_by_default(year, profile):
    report = monitor(decided(year, lambda t, m: 0.1, seed=4), reference_profile=profile, now=NOW)
    assert not any(c.kind == "timeliness" for c in report.checks)
    assert "timeliness" not in report.to_dict()["adjustment"]["comparisons"]
