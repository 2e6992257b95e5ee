"""The application as a whole: health, the OpenAPI document, request ids, errors and logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from config.settings import Settings
from service.app import create_app
from service.db import DatabaseClosed

SECRET = "NARRATIVE-5e1d: the child said"


def test_health_reports_the_loaded_champion(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["model"]["name"] == "front-door-triage" and body["model"]["version"] == "1"


def test_a_stopped_service_has_closed_its_database_for_good(app, started):
    with started(app) as client:
        assert client.get("/health").status_code == 200
        db = app.state.db
    # Not a fresh pool that a late caller would quietly open and nobody would close.
    with pytest.raises(DatabaseClosed), db.read() as session:
        session.execute(text("SELECT 1"))
    assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0


def test_without_a_champion_health_and_scoring_answer_503(tmp_path, database_url, contact, started):
    settings = Settings(home=tmp_path / "empty-home", database_url=database_url)
    app = create_app(settings)
    with started(app) as client:
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        from service.auth.schemas import Caller, Role
        from service.auth.service import add_user

        with app.state.db.write.begin() as session:
            token = add_user(
                session, "w", Role.DUTY_WORKER, by=Caller("cli:test", Role.ADMIN), teams=["north"]
            )
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post("/v1/contacts/score", json=contact("C-1"), headers=headers)
        assert response.status_code == 503 and response.json()["type"] == "model_unavailable"
        # Everything that needs no model still works.
        assert client.get("/v1/contacts/C-1", headers=headers).status_code == 404


def test_the_openapi_document_describes_every_route_with_its_errors(client):
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    expected = {
        ("get", "/health"),
        ("post", "/v1/contacts/score"),
        ("post", "/v1/contacts/score/batch"),
        ("get", "/v1/contacts/{contact_id}"),
        ("post", "/v1/contacts/{contact_id}/decision"),
        ("post", "/v1/contacts/{contact_id}/break-glass"),
        ("get", "/v1/reviews"),
        ("get", "/v1/reviews/{review_id}"),
        ("post", "/v1/reviews/{review_id}"),
        ("post", "/v1/reviews/{review_id}/claim"),
        ("post", "/v1/reviews/{review_id}/assign"),
        ("get", "/v1/audit/verify"),
        ("get", "/v1/fairness/report"),
        ("post", "/v1/contacts/{contact_id}/outcome"),
        ("get", "/v1/monitoring/report"),
        ("get", "/v1/me"),
        ("post", "/v1/contacts/{contact_id}/revisions"),
        ("post", "/v1/contacts/{contact_id}/assessment"),
        ("get", "/v1/inbox"),
        ("post", "/v1/inbox/{contact_id}/claim"),
        ("post", "/v1/inbox/{contact_id}/assign"),
        ("post", "/v1/inbox/{contact_id}/release"),
        ("get", "/v1/timeliness/report"),
    }
    assert {(m, p) for p, ops in paths.items() for m in ops} == expected
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "200" in responses, (method, path)
            if path.startswith("/v1"):
                assert "401" in responses, (method, path)
                assert operation["security"] == [{"HTTPBearer": []}]
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in responses, (method, path)
                schema = responses["422"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ValidationErrorOut"}
            for status, response in responses.items():
                example = response["content"]["application/json"].get("example")
                if status != "200" and path != "/health":
                    assert example["type"], (path, status)
    assert "503" in paths["/health"]["get"]["responses"]
    score = paths["/v1/contacts/score"]["post"]
    assert {"409", "503"} <= set(score["responses"])
    assert score["requestBody"]["content"]["application/json"]["examples"]
    contact = document["components"]["schemas"]["ContactIn"]
    assert contact["additionalProperties"] is False
    assert set(contact["required"]) == {
        "contact_id", "received_at", "child_age_years", "referral_source", "concerns",
        "prior_contacts_12m", "previous_cp_plan",
    }  # fmt: skip
    assert contact["properties"]["concerns"]["uniqueItems"] is True


def test_the_request_id_is_echoed_or_made(client):
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"}).headers[
        "x-request-id"
    ]
    assert made != "bad id\twith spaces" and len(made) == 32


def test_unknown_routes_and_methods_are_json_errors(client):
    response = client.get("/v2/nothing")
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    response = client.delete("/v1/contacts/score")
    assert response.status_code == 405 and response.json()["type"] == "method_not_allowed"


def test_an_unexpected_error_is_logged_with_the_request_id_and_answered_without_internals(
    client, auth, scored, monkeypatch, caplog
):
    scored("C-1")

    secret = "hunter" + "2"  # not in any source line the traceback shows

    def broken(*args, **kwargs):
        raise RuntimeError(f"internal detail: password={secret}")

    monkeypatch.setattr("service.decisions.service.list_decisions", broken)
    with caplog.at_level(logging.INFO, logger="triage"):
        response = client.get(
            "/v1/contacts/C-1", headers={**auth["worker"], "X-Request-ID": "r-500"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "type": "internal_error",
        "detail": "An unexpected error occurred; quote request id r-500.",
    }
    assert response.headers["x-request-id"] == "r-500"
    assert (
        "unexpected RuntimeError on GET /v1/contacts/{contact_id} request_id=r-500" in caplog.text
    )
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize("level", [logging.DEBUG])
def test_narratives_and_notes_never_reach_the_logs(client, auth, contact, caplog, level):
    with caplog.at_level(level):
        client.post(
            "/v1/contacts/score", json=contact("C-1", narrative=SECRET), headers=auth["worker"]
        )
        too_long = client.post(
            "/v1/contacts/score",
            json=contact("C-2", narrative=SECRET * 500),
            headers=auth["worker"],
        )
        body = {"decision": "nfa", "note": SECRET}
        client.post("/v1/contacts/C-1/decision", json=body, headers=auth["worker"])
        client.post(
            "/v1/contacts/C-1/decision", json={**body, "reasons": ["x"]}, headers=auth["worker"]
        )
        client.get("/v1/contacts/C-1", headers=auth["worker"])
    assert too_long.status_code == 422 and SECRET not in too_long.text
    assert "POST /v1/contacts/score 200" in caplog.text  # the access lines are there
    assert SECRET not in caplog.text
