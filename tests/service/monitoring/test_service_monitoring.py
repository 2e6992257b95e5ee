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
