"""A real `triage serve` process: concurrent requests, and state that survives a restart."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from server_process import free_port, start, stop
from typer.testing import CliRunner

from cli.main import app as cli

runner = CliRunner()


@pytest.mark.slow
def test_a_real_server_scores_concurrently_and_keeps_state_across_restarts(
    settings, tmp_path, contact, high_risk
):
    env = {
        **os.environ,
        "TRIAGE_HOME": str(settings.home),
        "TRIAGE_DATABASE_URL": settings.database_uri,
    }
    token = runner.invoke(
        cli, ["users", "add", "amy", "--role", "duty_worker", "--team", "north"]
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"

    process = start(port, env, log, workers=2)  # two processes share one database
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

            def score(i: int) -> int:
                body = contact(f"C-{i}", child_age_years=i % 18)
                return client.post("/v1/contacts/score", json=body).status_code

            with ThreadPoolExecutor(max_workers=20) as pool:
                assert list(pool.map(score, range(40))) == [200] * 40
            # Received now, so the decision is in time (a late one would need late_reasons).
            now = datetime.now(UTC).isoformat(timespec="seconds")
            client.post("/v1/contacts/score", json=contact("C-high", received_at=now, **high_risk))
            decided = client.post(
                "/v1/contacts/C-high/decision", json={"decision": "nfa", "note": "n"}
            )
            assert decided.status_code == 200 and decided.json()["flagged_for_review"]
    finally:
        stop(process)
    assert "database is locked" not in log.read_text()

    process = start(port, env, log)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            stored = client.get("/v1/contacts/C-high")
            assert stored.status_code == 200
            [decision] = stored.json()["decisions"]
            assert decision["decision_id"] == decided.json()["decision_id"]
            assert client.get("/v1/contacts/C-39").status_code == 200
    finally:
        stop(process)
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    assert "Traceback" not in log.read_text()
