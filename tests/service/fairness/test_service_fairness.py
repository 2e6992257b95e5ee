"""GET /v1/fairness/report: the fairness audit of the service's own stored decisions."""

from __future__ import annotations

import json

import numpy as np

SOURCES = ["6", "2A", "9"]


def record_decisions(client, auth, contact, n: int, nfa_source: str) -> None:
    """Score n contacts across sources and ages; NFA every contact from ``nfa_source``."""
    rng = np.random.default_rng(0)
    for i in range(n):
        source = SOURCES[i % len(SOURCES)]
        body = contact(
            f"F-{i}",
            referral_source=source,
            child_age_years=int(rng.integers(0, 18)),
            concerns=["4B"] if i % 2 else ["3B", "16A"],
        )
        assert (
            client.post("/v1/contacts/score", json=body, headers=auth["worker"]).status_code == 200
        )
        decision = "nfa" if source == nfa_source or i % 5 == 0 else "assessment"
        response = client.post(
            f"/v1/contacts/F-{i}/decision",
            json={"decision": decision, "reasons": ["other"], "note": "x"},
            headers=auth["worker"],
        )
        assert response.status_code == 200


def test_roles_may_read_the_report(client, auth):
    assert client.get("/v1/fairness/report").status_code == 401
    assert client.get("/v1/fairness/report", headers=auth["worker"]).status_code == 403
    for who in ("leader", "data"):
        response = client.get("/v1/fairness/report", headers=auth[who])
        assert response.status_code == 200, response.text
        assert response.json()["findings"] == []


def test_report_finds_the_source_treated_differently_at_the_same_risk(client, auth, contact):
    record_decisions(client, auth, contact, n=300, nfa_source="9")
    response = client.get("/v1/fairness/report", headers=auth["leader"])
    assert response.status_code == 200, response.text
    report = response.json()
    json.dumps(report, allow_nan=False)
    nfa = {
        f["group"]: f
        for f in report["findings"]
        if f["audit"] == "decisions"
        and f["attribute"] == "referral_source"
        and f["metric"] == "nfa_rate"
    }
    assert nfa["9"]["verdict"] == "disparity", json.dumps(nfa["9"])
    assert nfa["9"]["ratio"] > 1.25
    assert nfa["6"]["verdict"] == "reference" or nfa["2A"]["verdict"] == "reference"
