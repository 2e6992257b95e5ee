"""The timeliness report over the store: route, roles, notes and the CLI (one way in).

The ``store`` fixture (conftest.py) holds the decisions and assessments counted here."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app as cli

REPORT = "/v1/timeliness/report"


def get(client, headers, **params) -> dict:
    response = client.get(REPORT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_counts_every_reason_shares_and_overdue_now(client, auth, store):
    report = get(client, auth["leader"], team="north")
    assert report["as_at"] == "2024-08-01" and report["team"] == "north"
    decisions = report["overall"]["decisions"]
    assert (decisions["recorded"], decisions["in_time"], decisions["late"]) == (5, 3, 2)
    assert decisions["in_time_share"] == pytest.approx(0.6)
    low, high = decisions["in_time_ci"]
    assert low < 0.6 < high
    assert decisions["late_reasons"] == {"team_capacity": 2, "worker_absence": 1}
    assert (decisions["open"], decisions["overdue_now"]) == (1, 1)  # D, never decided
    assessments = report["overall"]["assessments"]
    assert (assessments["recorded"], assessments["in_time"], assessments["late"]) == (2, 1, 1)
    assert assessments["late_reasons"] == {"no_access_to_child": 1}
    assert [t["team_id"] for t in report["teams"]] == ["north"]
    month = report["teams"][0]["months"][0]
    assert (month["month"], month["contacts"]) == ("2024-05", 6)

    everyone = get(client, auth["leader"])
    assert everyone["overall"]["decisions"]["late_reasons"] == {
        "team_capacity": 2,
        "worker_absence": 1,
        "holiday_period": 1,
    }
    assert [t["team_id"] for t in everyone["teams"]] == ["north", "south"]


def test_overdue_now_follows_as_at(client, auth, store):
    early = get(client, auth["leader"], team="north", as_at="2024-05-02")
    assert early["overall"]["decisions"]["overdue_now"] == 0  # D is due that day
    later = get(client, auth["leader"], team="north", as_at="2024-05-03")
    assert later["overall"]["decisions"]["overdue_now"] == 1


def test_team_leaders_see_notes_the_data_team_never(client, auth, store):
    leader = get(client, auth["leader"], team="north")
    notes = {n["note"] for n in leader["teams"][0]["late_notes"]}
    assert notes == {"short-staffed", "the family moved away"}
    response = client.get(REPORT, params={"team": "north"}, headers=auth["data"])
    assert response.status_code == 200
    assert "short-staffed" not in response.text and "moved away" not in response.text
    assert response.json()["teams"][0]["late_notes"] is None
    assert response.json()["with_notes"] is False


@pytest.mark.parametrize("who", ["worker", "admin"])
def test_duty_workers_and_admins_may_not_read_it(client, auth, who):
    assert client.get(REPORT, headers=auth[who]).status_code == 403


def test_an_empty_store_reports_nothing_to_judge(client, auth):
    report = get(client, auth["data"])
    assert report["overall"]["decisions"]["recorded"] == 0
    assert report["overall"]["decisions"]["in_time_share"] is None
    assert report["teams"] == []


def test_cli_reads_the_store_and_writes_json_and_html(store, tmp_path):
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        ["timeliness", "--out", str(out), "--html", str(page), "--as-at", "2024-08-01"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["overall"]["decisions"]["late_reasons"] == {
        "team_capacity": 2,
        "worker_absence": 1,
        "holiday_period": 1,
    }
    assert report["overall"]["assessments"]["late"] == 1
    assert "late_notes" not in report["teams"][0]  # notes only with --with-notes
    assert "Could not see the child" in page.read_text()
    assert "2 assessments recorded, 50.0% in time; 1 late." in result.output
