"""Bearer tokens and roles on every route; the `triage users` commands."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from service.auth.tables import User

runner = CliRunner()
CONTACT = {
    "contact_id": "C-1",
    "received_at": "2024-05-01T09:30:00Z",
    "child_age_years": 6,
    "referral_source": "2A",
    "concerns": [],
    "prior_contacts_12m": 0,
    "previous_cp_plan": False,
}
WORKERS = {"worker", "leader"}
READERS = {"leader", "data"}
# Every /v1 route, with a body where it takes one, and the users allowed on it (api.md);
# test_every_v1_route_of_the_app_is_listed_here fails when a route is missing.
ROUTES = [
    ("POST", "/v1/contacts/score", CONTACT, WORKERS),
    ("POST", "/v1/contacts/score/batch", {"contacts": [CONTACT]}, WORKERS),
    ("GET", "/v1/contacts/C-1", None, WORKERS),
    ("POST", "/v1/contacts/C-1/revisions", CONTACT, WORKERS),
    ("POST", "/v1/contacts/C-1/decision", {"decision": "nfa"}, WORKERS),
    ("POST", "/v1/contacts/C-1/break-glass", {"reason": "urgent: police at the door"}, WORKERS),
    (
        "POST",
        "/v1/contacts/C-1/assessment",
        {"completed_on": "2024-05-01", "outcome": "nfa"},
        WORKERS,
    ),
    ("POST", "/v1/contacts/C-1/outcome", {"outcome_need_12m": True}, {"data"}),
    ("GET", "/v1/inbox", None, WORKERS),
    ("POST", "/v1/inbox/C-1/claim", None, WORKERS),
    ("POST", "/v1/inbox/C-1/assign", {"assignee": "worker"}, {"leader"}),
    ("POST", "/v1/inbox/C-1/release", None, WORKERS),
    ("GET", "/v1/reviews", None, {"leader"}),
    ("GET", "/v1/reviews/R-1", None, {"leader"}),
    ("POST", "/v1/reviews/R-1/claim", None, {"leader"}),
    ("POST", "/v1/reviews/R-1/assign", {"assignee": "leader"}, {"leader"}),
    ("POST", "/v1/reviews/R-1", {"outcome": "upheld", "note": "x"}, {"leader"}),
    ("GET", "/v1/audit/verify", None, {"admin"}),
    ("GET", "/v1/fairness/report", None, READERS),
    ("GET", "/v1/timeliness/report", None, READERS),
    # Listed with the timeliness route: the inbox's routes were missing from this table.
    ("GET", "/v1/monitoring/report", None, READERS),
    ("GET", "/v1/me", None, {"worker", "leader", "data", "admin"}),
]


def api_routes(routes, prefix=""):
    """(method, path template) of every JSON route of the app, through included routers."""
    for route in routes:
        if hasattr(route, "original_router"):  # a router included lazily
            inner = prefix + route.include_context.prefix
            yield from api_routes(route.original_router.routes, inner)
        elif isinstance(route, APIRoute):
            yield from ((m, prefix + route.path) for m in route.methods)


def test_every_v1_route_of_the_app_is_listed_here(app):
    served = {(m, p) for m, p in api_routes(app.routes) if p.startswith("/v1/")}
    assert len(served) >= len(ROUTES)
    for method, template in served:
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        listed = [r for r in ROUTES if r[0] == method and re.fullmatch(pattern, r[1])]
        assert listed, f"{method} {template} has no role test: add it to ROUTES"


@pytest.mark.parametrize(("method", "path", "body", "users"), ROUTES)
def test_every_v1_route_needs_a_valid_token(client, auth, method, path, body, users):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert response.json()["type"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body", "users"), ROUTES)
def test_roles_not_allowed_on_a_route_get_403(client, auth, method, path, body, users):
    for user in set(auth) - users - {"worker2", "leader2"}:
        response = client.request(method, path, json=body, headers=auth[user])
        assert response.status_code == 403, (path, user)
        assert response.json()["type"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body", "users"), ROUTES)
def test_roles_allowed_on_a_route_get_past_authorisation(client, auth, method, path, body, users):
    for user in users:
        response = client.request(method, path, json=body, headers=auth[user])
        assert response.status_code not in (401, 403), (path, user, response.text)


def test_me_names_the_tokens_user(client, auth):
    assert client.get("/v1/me", headers=auth["data"]).json() == {
        "name": "data",
        "role": "data_team",
        "teams": [],
    }
    assert client.get("/v1/me", headers=auth["worker"]).json()["teams"] == sorted(
        ["north", "south", "T1", "T2", "T3", "T4"]
    )


def test_the_users_commands_add_list_and_revoke(client, app, settings):
    added = runner.invoke(
        cli, ["users", "add", "sam", "--role", "team_leader", "--team", "north", "--team", "east"]
    )
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=headers).json() == {
        "name": "sam",
        "role": "team_leader",
        "teams": ["east", "north"],
    }
    with app.state.db.read() as session:
        [user] = session.scalars(select(User).where(User.name == "sam"))
    assert user.token_hash == hashlib.sha256(token.encode()).hexdigest()  # the hash, not the token
    listed = runner.invoke(cli, ["users", "list"])
    assert listed.exit_code == 0 and "sam\tteam_leader\teast,north\tactive" in listed.stdout
    assert token not in listed.stdout
    revoked = runner.invoke(cli, ["users", "revoke", "sam"])
    assert revoked.exit_code == 0
    assert client.get("/v1/me", headers=headers).status_code == 401
    assert "sam\tteam_leader\teast,north\trevoked" in runner.invoke(cli, ["users", "list"]).stdout


def test_user_names_are_unique_forever_and_roles_checked(client, settings):
    assert runner.invoke(cli, ["users", "add", "sam", "--role", "admin"]).exit_code == 0
    assert runner.invoke(cli, ["users", "revoke", "sam"]).exit_code == 0
    again = runner.invoke(cli, ["users", "add", "sam", "--role", "admin"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(cli, ["users", "add", "kim", "--role", "boss"]).exit_code == 2
    assert runner.invoke(cli, ["users", "add", "no spaces", "--role", "admin"]).exit_code == 1
    assert runner.invoke(cli, ["users", "revoke", "nobody"]).exit_code == 1
