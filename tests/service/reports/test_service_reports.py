"""Stored reports: the fairness and monitoring routes serve the latest stored report."""

from __future__ import annotations

import json
import threading

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from data.synthetic import GeneratorConfig, generate
from service.reports import service as reports

ROUTES = {"fairness": "/v1/fairness/report", "monitoring": "/v1/monitoring/report"}


def score_and_decide(client, auth, contact, ids: list[str]) -> None:
    """Score each contact and record a duty worker's decision on it."""
    for contact_id in ids:
        client.post(
            "/v1/contacts/score", json=contact(contact_id), headers=auth["worker"]
        ).raise_for_status()
        client.post(
            f"/v1/contacts/{contact_id}/decision",
            json={"decision": "nfa", "reasons": ["other"], "note": "x"},
            headers=auth["worker"],
        ).raise_for_status()


def stored_history(app, kind: str) -> list:
    """Every stored report of ``kind``, oldest first."""
    with app.state.db.read() as session:
        return reports.history(session, kind)


def test_first_request_computes_and_stores_then_the_stored_report_is_served(
    app, client, auth, contact
):
    score_and_decide(client, auth, contact, ["C-1", "C-2", "C-3"])
    first = client.get(ROUTES["fairness"], headers=auth["leader"])
    assert first.status_code == 200, first.text
    stored = first.json()["stored"]
    assert stored["refresh"] == "first_computed"
    assert stored["computed_by"] == "leader (first request)"
    assert stored["watermark"]["contacts"] == 3
    assert stored["watermark"]["last_decision_seq"] >= 3
    assert stored["watermark"]["last_contact_at"] is not None
    assert stored["newer"] == {"contacts": 0, "decisions": 0} and stored["up_to_date"]
    assert first.json()["rows"] == 3

    score_and_decide(client, auth, contact, ["C-4"])
    again = client.get(ROUTES["fairness"], headers=auth["data"]).json()
    assert again["stored"]["id"] == stored["id"]
    assert again["stored"]["refresh"] is None
    assert again["stored"]["age_seconds"] >= 0
    assert again["rows"] == 3  # the stored report, not recomputed
    assert again["stored"]["newer"] == {"contacts": 1, "decisions": 1}
    assert not again["stored"]["up_to_date"]
    assert len(stored_history(app, "fairness")) == 1


def test_refresh_recomputes_and_keeps_the_history(app, client, auth, contact):
    score_and_decide(client, auth, contact, ["C-1", "C-2"])
    old = client.get(ROUTES["fairness"], headers=auth["leader"]).json()
    score_and_decide(client, auth, contact, ["C-3"])
    for who in ("leader", "data"):
        response = client.get(ROUTES["fairness"], params={"refresh": "true"}, headers=auth[who])
        assert response.status_code == 200, response.text
        new = response.json()
        assert new["stored"]["refresh"] == "recomputed"
        assert new["stored"]["id"] > old["stored"]["id"]
        assert new["stored"]["computed_by"] == f"{who} (refresh)"
        assert new["rows"] == 3 and new["stored"]["watermark"]["contacts"] == 3
        assert new["stored"]["up_to_date"]
    history = stored_history(app, "fairness")
    assert [row.contacts for row in history] == [2, 3, 3]
    assert history[0].id == old["stored"]["id"] and history[0].report["rows"] == 2


@pytest.mark.parametrize("kind", sorted(ROUTES))
def test_roles_not_allowed_may_neither_read_nor_refresh(app, client, auth, kind):
    for who in ("worker", "admin"):
        response = client.get(ROUTES[kind], params={"refresh": "true"}, headers=auth[who])
        if kind == "fairness" or who == "worker":
            assert response.status_code == 403, response.text
        else:  # admins may not read monitoring either
            assert response.status_code == 403
    assert stored_history(app, kind) == []


def test_the_job_stores_both_reports_and_the_routes_serve_them(app, client, auth, as_contact):
    history = generate(GeneratorConfig(rows=300, seed=83, months=2))
    body = {"contacts": [as_contact(row) for _, row in history.iterrows()]}
    client.post("/v1/contacts/score/batch", json=body, headers=auth["worker"]).raise_for_status()
    result = CliRunner().invoke(cli, ["reports", "record"])
    assert result.exit_code == 0, result.output
    assert "[1/2] Computing the fairness report over 300 contacts" in result.output
    assert "[2/2] Computing the monitoring report" in result.output
    for kind, route in ROUTES.items():
        stored = stored_history(app, kind)
        assert len(stored) == 1 and stored[0].contacts == 300
        assert stored[0].computed_by.startswith("triage reports record (")
        served = client.get(route, headers=auth["data"]).json()
        assert served["stored"]["id"] == stored[0].id
        assert served["stored"]["refresh"] is None
        assert served["rows"] == stored[0].report["rows"]
    assert stored_history(app, "monitoring")[0].report["rows"] == 300
    only = CliRunner().invoke(cli, ["reports", "record", "--kind", "monitoring"])
    assert only.exit_code == 0, only.output
    assert len(stored_history(app, "monitoring")) == 2
    assert len(stored_history(app, "fairness")) == 1


def test_a_refresh_past_the_time_limit_answers_the_stored_report(
    app, client, auth, contact, monkeypatch
):
    score_and_decide(client, auth, contact, ["C-1"])
    old = client.get(ROUTES["fairness"], headers=auth["leader"]).json()
    app.state.settings = app.state.settings.model_copy(update={"report_refresh_seconds": 0.2})
    release = threading.Event()
    real = reports.COMPUTE["fairness"]

    def slow(session, settings):
        assert release.wait(30), "the test never released the computation"
        return real(session, settings)

    monkeypatch.setitem(reports.COMPUTE, "fairness", slow)
    response = client.get(ROUTES["fairness"], params={"refresh": "true"}, headers=auth["leader"])
    assert response.status_code == 200, response.text
    stored = response.json()["stored"]
    assert stored["refresh"] == "timed_out"
    assert stored["id"] == old["stored"]["id"]
    assert "longer than 0.2 s" in stored["note"]
    # The computation goes on in its one worker thread and stores its report when done.
    running = app.state.report_refresher.start("fairness", lambda: pytest.fail("started twice"))
    release.set()
    assert running.result(timeout=30) > old["stored"]["id"]
    assert len(stored_history(app, "fairness")) == 2


def test_no_stored_report_and_a_slow_first_computation_answers_503(app, client, auth, monkeypatch):
    app.state.settings = app.state.settings.model_copy(update={"report_refresh_seconds": 0.2})
    release = threading.Event()

    def slow(session, settings):
        release.wait(30)
        return {"alerts": [], "rows": 0}

    monkeypatch.setitem(reports.COMPUTE, "monitoring", slow)
    response = client.get(ROUTES["monitoring"], headers=auth["data"])
    assert response.status_code == 503
    assert response.json()["type"] == "report_not_ready"
    assert "triage reports record --kind monitoring" in response.json()["detail"]
    assert response.headers["Retry-After"]
    release.set()
    app.state.report_refresher.start("monitoring", lambda: 0).result(timeout=30)
    served = client.get(ROUTES["monitoring"], headers=auth["data"]).json()
    assert served["stored"]["computed_by"] == "data (first request)"


@pytest.mark.parametrize("text", ['{"rows": 2, "findings": []}', " { } ", '{"a":{"b":[1]}}'])
def test_the_served_body_is_the_stored_text_with_stored_spliced_in(text):
    from datetime import UTC, datetime

    stored = {"id": 7, "computed_at": datetime(2026, 12, 2, 4, 0, tzinfo=UTC), "note": None}
    served = reports.Served(text, stored)
    body = json.loads(served.as_json())
    as_text = {**stored, "computed_at": "2026-12-02T04:00:00+00:00"}
    assert body == {**json.loads(text), "stored": as_text}
    assert served.as_dict() == {**json.loads(text), "stored": stored}
