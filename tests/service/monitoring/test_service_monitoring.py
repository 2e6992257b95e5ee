"""GET /v1/monitoring/report: the monitor run over the service's own store."""

from __future__ import annotations

import json

from data.synthetic import GeneratorConfig, Shortcuts, generate


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
