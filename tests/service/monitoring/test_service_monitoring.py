"""GET /v1/monitoring/report: the monitor run over the service's own store."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, time

import pandas as pd
import pytest

from data.synthetic import GeneratorConfig, Shortcuts, generate
from data.workdays import add_working_days, london_date
from service.decisions.tables import DecisionRecord


def test_roles(client, auth):
    assert client.get("/v1/monitoring/report").status_code == 401
    assert client.get("/v1/monitoring/report", headers=auth["worker"]).status_code == 403
    assert client.get("/v1/monitoring/report", headers=auth["admin"]).status_code == 403


def test_report_over_the_store_has_alerts_and_months(client, auth, as_contact):
    history = generate(GeneratorConfig(rows=600, seed=81, months=3, shortcuts=Shortcuts.none()))
    body = {"contacts": [as_contact(row) for _, row in history.iterrows()]}
    assert (
        client.post("/v1/contacts/score/batch", json=body, headers=auth["worker"]).status_code
        == 200
    )
    for who in ("data", "leader"):
        response = client.get("/v1/monitoring/report", headers=auth[who])
        assert response.status_code == 200, response.text
        report = response.json()
        json.dumps(report, allow_nan=False)
        assert isinstance(report["alerts"], list)
        assert report["rows"] == 600
        assert len(report["months"]) == 3
        assert report["reference"]["version"] == "1"


def test_triage_monitor_reads_the_store_by_default(client, auth, as_contact, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app as cli

    runner = CliRunner()
    out = tmp_path / "monitor.json"
    empty = runner.invoke(cli, ["monitor", "--out", str(out)])
    assert empty.exit_code == 2 and "no contacts" in empty.output
    history = generate(GeneratorConfig(rows=300, seed=82, months=2))
    body = {"contacts": [as_contact(row) for _, row in history.iterrows()]}
    assert (
        client.post("/v1/contacts/score/batch", json=body, headers=auth["worker"]).status_code
        == 200
    )
    result = runner.invoke(cli, ["monitor", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["rows"] == 300


def _decide_on(app, contacts: pd.DataFrame, late_from: str) -> None:
    """Store a worker decision per contact: within the day before ``late_from``, five working
    days after receipt (with a late reason) from then. Written straight to the table because the
    service stamps decisions with the wall clock, and these must stand in 2024."""
    rows = []
    for row in contacts.itertuples():
        received = row.received_at.to_pydatetime()
        late = row.received_at >= pd.Timestamp(late_from, tz="UTC")
        day = add_working_days(london_date(received), 5) if late else None
        decided = datetime.combine(day, time(10), tzinfo=UTC) if day else received
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "contact_id": row.contact_id,
                "decision": "nfa",
                "reasons": ["other"],
                "note": "",
                "review_by": None,
                "decided_by": "worker",
                "decided_at": decided,
                "flags": [],
                "source": "worker",
                "late_reasons": ["team_capacity"] if late else [],
                "late_note": None,
            }
        )
    with app.state.db.write.begin() as session:
        session.execute(DecisionRecord.__table__.insert(), rows)


@pytest.mark.parametrize(("due_days", "alerts"), [(1, True), (10, False)])
def test_stored_report_checks_timeliness_with_the_settings_due_days(
    settings, as_contact, due_days, alerts, started, auth_for
):
    """Three months of one team; the third month's decisions take five working days. Under the
    default 1-working-day rule they are late (an alert, with its reason counted); under a
    10-working-day rule they are in time, so nothing is late and nothing alerts."""
    from service.app import create_app

    app = create_app(settings.model_copy(update={"decision_due_working_days": due_days}))
    with started(app) as client:
        report = _stored_report(app, client, as_contact, auth_for)
    checks = {
        (c["what"], c["month"]): c
        for c in report["timeliness"]["checks"]
        if c["where"] == "team_id=T1"
    }
    march = checks[("late_share:decisions", "2024-03")]
    assert march["status"] == "tested"
    assert march["details"]["late_reasons"] == ({"team_capacity": march["n"]} if alerts else {})
    timeliness_alerts = [a["what"] for a in report["alerts"] if a["kind"] == "timeliness"]
    assert ("late_share:decisions" in timeliness_alerts) is alerts


def _stored_report(app, client, as_contact, auth_for) -> dict:
    config = GeneratorConfig(rows=600, seed=83, start="2024-01-01", months=3)
    history = generate(replace(config, shortcuts=Shortcuts.none())).assign(team_id="T1")
    body = {"contacts": [as_contact(row) for _, row in history.iterrows()]}
    response = client.post("/v1/contacts/score/batch", json=body, headers=auth_for(app, "worker"))
    assert response.status_code == 200, response.text
    _decide_on(app, history, late_from="2024-03-01")
    response = client.get(
        "/v1/monitoring/report", params={"refresh": "true"}, headers=auth_for(app, "data")
    )
    assert response.status_code == 200, response.text
    return response.json()


HEROIN = "Mum was injecting heroin in the bathroom while the baby cried."
NARRATIVE_FLAG = "nfa_with_uncoded_narrative_concern"


def test_the_narrative_flag_is_counted_with_what_leaders_decided(
    client, auth, as_contact, contact, tmp_path
):
    from typer.testing import CliRunner

    from cli.main import app as cli

    history = generate(GeneratorConfig(rows=200, seed=83, months=1))
    body = {"contacts": [as_contact(row) for _, row in history.iterrows()]}
    assert (
        client.post("/v1/contacts/score/batch", json=body, headers=auth["worker"]).status_code
        == 200
    )
    reviews = []
    for n in range(3):
        scored = client.post(
            "/v1/contacts/score",
            json=contact(f"N-{n}", concerns=["3B"], narrative=HEROIN),
            headers=auth["worker"],
        )
        assert scored.status_code == 200
        decided = client.post(
            f"/v1/contacts/N-{n}/decision",
            json={"decision": "nfa", "reasons": ["other"]},
            headers=auth["worker"],
        ).json()
        assert NARRATIVE_FLAG in [f["code"] for f in decided["flags"]]
        reviews.append(decided["review_id"])
    upheld = {"outcome": "upheld", "note": "Read it: old news."}
    overturned = {"outcome": "overturned", "note": "Needs a look.", "decision": "assessment"}
    for review_id, outcome in zip(reviews[:2], (upheld, overturned), strict=True):
        response = client.post(f"/v1/reviews/{review_id}", json=outcome, headers=auth["leader"])
        assert response.status_code == 200, response.text
    report = client.get("/v1/monitoring/report", headers=auth["data"]).json()
    [row] = [r for r in report["decision_patterns"]["flags"] if r["code"] == NARRATIVE_FLAG]
    assert (row["raised"], row["upheld"], row["overturned"], row["open"]) == (3, 1, 1, 1)
    result = CliRunner().invoke(cli, ["monitor", "--out", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    assert (
        f"flag {NARRATIVE_FLAG}: raised 3 times; 1 upheld, 1 overturned, 1 open." in result.output
    )
