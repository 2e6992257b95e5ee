"""Teams and separation of duties (SECURITY.md): duty workers and team leaders see and act on
their own teams' work only (404 elsewhere), a break-glass read is recorded and reported, and
whoever made a decision cannot claim, be given or resolve its review."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings
from service.audit.tables import AuditEvent
from service.auth.schemas import Caller, Role
from service.auth.service import add_user
from service.auth.tables import BreakGlassRead
from service.auth.teams import user_teams
from service.db import create_engine_for
from service.migrate import upgrade_engine

runner = CliRunner()
ADMIN = Caller("cli:test", Role.ADMIN)
# One team each: ann and lee work in north, bob and sue in south.
PEOPLE = {
    "ann": (Role.DUTY_WORKER, ["north"]),
    "bob": (Role.DUTY_WORKER, ["south"]),
    "lee": (Role.TEAM_LEADER, ["north"]),
    "lin": (Role.TEAM_LEADER, ["north"]),
    "sue": (Role.TEAM_LEADER, ["south"]),
}
NFA = {"decision": "nfa", "reasons": ["concerns_not_substantiated"], "note": "checked"}
URGENT = {"reason": "Police at the door out of hours; the south team is closed."}


@pytest.fixture
def people(app, client):
    """Authorization headers of one-team users (the fixture's ``auth`` users see every team)."""
    headers = {}
    for name, (role, teams) in PEOPLE.items():
        with app.state.db.write.begin() as session:
            token = add_user(session, name, role, by=ADMIN, teams=teams)
        headers[name] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture
def south(client, people, contact, high_risk):
    """A south contact, flagged by bob's NFA: its review id."""
    body = contact("S-1", team_id="south", **high_risk)
    assert client.post("/v1/contacts/score", json=body, headers=people["bob"]).status_code == 200
    decided = client.post("/v1/contacts/S-1/decision", json=NFA, headers=people["bob"])
    assert decided.status_code == 200, decided.text
    return decided.json()["review_id"]


def not_found(response) -> bool:
    return response.status_code == 404 and response.json()["type"] == "not_found"


# --- teams -----------------------------------------------------------------------------------


def test_a_worker_gets_404_for_another_teams_contact_on_every_route(client, people, south, contact):
    ann = people["ann"]
    assert not_found(client.get("/v1/contacts/S-1", headers=ann))
    assert not_found(client.post("/v1/contacts/S-1/decision", json=NFA, headers=ann))
    completion = {"completed_on": "2024-05-01", "outcome": "nfa"}
    assert not_found(client.post("/v1/contacts/S-1/assessment", json=completion, headers=ann))
    revision = contact("S-1", team_id="south", prior_contacts_12m=2)
    assert not_found(client.post("/v1/contacts/S-1/revisions", json=revision, headers=ann))
    assert not_found(client.post("/v1/inbox/S-1/claim", headers=ann))
    assert not_found(client.post("/v1/inbox/S-1/release", headers=ann))
    lee = people["lee"]
    assert not_found(client.post("/v1/inbox/S-1/assign", json={"assignee": "ann"}, headers=lee))
    # The same answer as for a contact that does not exist: existence is not confirmed.
    missing = client.get("/v1/contacts/S-404", headers=ann).json()["detail"]
    assert client.get("/v1/contacts/S-1", headers=ann).json()["detail"] == missing.replace(
        "S-404", "S-1"
    )
    # bob, of south, still reads it.
    assert client.get("/v1/contacts/S-1", headers=people["bob"]).status_code == 200


def test_a_worker_sees_none_of_another_teams_work_in_the_inbox_or_queue(
    client, people, south, contact
):
    north = contact("N-1", team_id="north")
    assert client.post("/v1/contacts/score", json=north, headers=people["ann"]).status_code == 200
    waiting = contact("S-2", team_id="south")  # S-1 is decided; S-2 waits for a decision
    assert client.post("/v1/contacts/score", json=waiting, headers=people["bob"]).status_code == 200
    ann_inbox = client.get("/v1/inbox", headers=people["ann"]).json()["items"]
    assert [i["contact_id"] for i in ann_inbox] == ["N-1"]
    asked = client.get("/v1/inbox", params={"team": "south"}, headers=people["ann"])
    assert asked.json()["items"] == []  # asking for the other team shows nothing either
    bob_inbox = client.get("/v1/inbox", headers=people["bob"]).json()["items"]
    assert [i["contact_id"] for i in bob_inbox] == ["S-2"]
    assert client.get("/v1/reviews", headers=people["lee"]).json()["items"] == []
    assert [i["review_id"] for i in client.get("/v1/reviews", headers=people["sue"]).json()[
        "items"
    ]] == [south]  # fmt: skip


def test_a_leader_gets_404_for_another_teams_review(client, people, south):
    lee = people["lee"]
    assert not_found(client.get(f"/v1/reviews/{south}", headers=lee))
    assert not_found(client.post(f"/v1/reviews/{south}/claim", headers=lee))
    assign = client.post(f"/v1/reviews/{south}/assign", json={"assignee": "lee"}, headers=lee)
    assert not_found(assign)
    resolve = {"outcome": "upheld", "note": "fine"}
    assert not_found(client.post(f"/v1/reviews/{south}", json=resolve, headers=lee))
    # And a south review cannot be given to a north leader.
    given = client.post(
        f"/v1/reviews/{south}/assign", json={"assignee": "lee"}, headers=people["sue"]
    )
    assert given.status_code == 422 and given.json()["detail"][0]["loc"] == ["body", "assignee"]


def test_a_contact_is_assigned_only_to_someone_of_its_team(client, people, contact):
    assert (
        client.post(
            "/v1/contacts/score", json=contact("N-1", team_id="north"), headers=people["ann"]
        ).status_code
        == 200
    )
    lee = people["lee"]
    refused = client.post("/v1/inbox/N-1/assign", json={"assignee": "bob"}, headers=lee)
    assert refused.status_code == 422 and "team north" in refused.json()["detail"][0]["msg"]
    given = client.post("/v1/inbox/N-1/assign", json={"assignee": "ann"}, headers=lee)
    assert given.status_code == 200 and given.json()["claimed_by"] == "ann"


def test_a_worker_must_give_a_contacts_team(client, people, contact):
    body = contact("N-1")
    del body["team_id"]
    refused = client.post("/v1/contacts/score", json=body, headers=people["ann"])
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "team_id"] and "north" in error["msg"]
    batch = client.post(
        "/v1/contacts/score/batch", json={"contacts": [body]}, headers=people["ann"]
    )
    assert batch.json()["detail"][0]["loc"] == ["body", "contacts", 0, "team_id"]


def test_data_team_and_admin_keep_their_scope(client, auth, people, south):
    # The data team records outcomes on any team's contact; the queue filter is theirs to use.
    outcome = client.post(
        "/v1/contacts/S-1/outcome", json={"outcome_need_12m": True}, headers=auth["data"]
    )
    assert outcome.status_code == 200, outcome.text
    assert client.get("/v1/me", headers=auth["admin"]).json()["teams"] == []


# --- break-glass -----------------------------------------------------------------------------


def test_a_break_glass_read_needs_a_reason_and_is_recorded_and_audited(app, client, people, south):
    ann = people["ann"]
    short = client.post("/v1/contacts/S-1/break-glass", json={"reason": "urgent"}, headers=ann)
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "reason"]
    read = client.post("/v1/contacts/S-1/break-glass", json=URGENT, headers=ann)
    assert read.status_code == 200, read.text
    assert read.json()["contact"]["contact_id"] == "S-1" and read.json()["decisions"]
    # It opens this one read, not the team: the next plain read is still 404.
    assert not_found(client.get("/v1/contacts/S-1", headers=ann))
    with app.state.db.read() as session:
        [kept] = session.scalars(select(BreakGlassRead))
        [entry] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contact.break_glass")
        )
    assert (kept.read_by, kept.contact_id, kept.team_id, kept.reason) == (
        "ann",
        "S-1",
        "south",
        URGENT["reason"],
    )
    details = json.loads(entry.details)
    assert entry.actor == "ann" and entry.entity_id == "S-1"
    assert details["team_id"] == "south" and details["own_team"] is False
    assert URGENT["reason"] not in entry.details  # the audit holds its fingerprint only
    assert not_found(client.post("/v1/contacts/S-404/break-glass", json=URGENT, headers=ann))


def test_break_glass_reads_are_in_the_monitoring_report(app, client, people, south, settings):
    from service.monitoring.service import monitoring_report

    client.post("/v1/contacts/S-1/break-glass", json=URGENT, headers=people["ann"])
    with app.state.db.read() as session:
        report = monitoring_report(session, settings)
    [read] = report["access"]["break_glass"]
    assert (read["read_by"], read["contact_id"], read["team_id"]) == ("ann", "S-1", "south")
    assert URGENT["reason"] not in json.dumps(report)


# --- users, the command line and the migration -------------------------------------------------


def test_the_cli_needs_a_team_for_workers_and_changes_teams(app, client, settings):
    none = runner.invoke(cli, ["users", "add", "amy", "--role", "duty_worker"])
    assert none.exit_code == 1 and "teams" in none.output
    extra = runner.invoke(cli, ["users", "add", "dee", "--role", "data_team", "--team", "north"])
    assert extra.exit_code == 1
    made = runner.invoke(cli, ["users", "add", "amy", "--role", "duty_worker", "--team", "north"])
    assert made.exit_code == 0, made.output
    changed = runner.invoke(cli, ["users", "teams", "amy", "--team", "south", "--team", "east"])
    assert changed.exit_code == 0 and "east" in changed.output
    with app.state.db.read() as session:
        assert user_teams(session, "amy") == {"south", "east"}
        entries = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.teams").order_by(AuditEvent.seq)
        )
        audited = [json.loads(entry.details)["teams"] for entry in entries]
    assert audited == [["north"], ["south", "east"]]  # on adding, then on changing


def test_existing_workers_and_leaders_get_every_team_of_the_store(database_url, tmp_path):
    engine = create_engine_for(Settings(home=tmp_path, database_url=database_url))
    try:
        upgrade_engine(engine, "0600")
        with engine.begin() as connection:
            for name, role in (("ann", "duty_worker"), ("lee", "team_leader"), ("dee", "admin")):
                connection.execute(
                    text(
                        "INSERT INTO users (name, role, token_hash, created_at, expires_at) "
                        "VALUES (:name, :role, :digest, '2024-01-01 00:00:00', "
                        "'2099-01-01 00:00:00')"
                    ),
                    {"name": name, "role": role, "digest": name * 8},
                )
            for contact_id, team in (("C-1", "north"), ("C-2", "south"), ("C-3", None)):
                connection.execute(
                    text(
                        "INSERT INTO contacts (contact_id, body, body_sha256, received_at, "
                        "child_age_years, referral_source, team_id, created_by, created_at) "
                        "VALUES (:id, '{}', :sha, '2024-05-01 08:00:00', 4, '2A', :team, "
                        "'ann', '2024-05-01 08:00:00')"
                    ),
                    {"id": contact_id, "sha": "a" * 64, "team": team},
                )
        upgrade_engine(engine)
        with engine.connect() as connection:
            assert user_teams(connection, "ann") == {"north", "south"}
            assert user_teams(connection, "lee") == {"north", "south"}
            assert user_teams(connection, "dee") == frozenset()
    finally:
        engine.dispose()


# --- separation of duties --------------------------------------------------------------------


@pytest.fixture
def own(client, people, contact, high_risk):
    """A north contact flagged by lee's own NFA: its review id."""
    body = contact("N-1", team_id="north", **high_risk)
    assert client.post("/v1/contacts/score", json=body, headers=people["lee"]).status_code == 200
    decided = client.post("/v1/contacts/N-1/decision", json=NFA, headers=people["lee"])
    assert decided.status_code == 200 and decided.json()["review_id"], decided.text
    return decided.json()["review_id"]


def separation(response) -> bool:
    body = response.json()
    return (
        response.status_code == 409
        and body["type"] == "separation_of_duties"
        and "separation of duties" in body["detail"]
    )


def test_a_leader_cannot_claim_be_given_or_resolve_their_own_decisions_review(client, people, own):
    lee, lin = people["lee"], people["lin"]
    assert separation(client.post(f"/v1/reviews/{own}/claim", headers=lee))
    resolve = {"outcome": "upheld", "note": "my own call was right"}
    assert separation(client.post(f"/v1/reviews/{own}", json=resolve, headers=lee))
    overturn = {"outcome": "overturned", "note": "x", "decision": "assessment"}
    assert separation(client.post(f"/v1/reviews/{own}", json=overturn, headers=lee))
    to_self = client.post(f"/v1/reviews/{own}/assign", json={"assignee": "lee"}, headers=lee)
    assert separation(to_self)
    by_other = client.post(f"/v1/reviews/{own}/assign", json={"assignee": "lee"}, headers=lin)
    assert separation(by_other)
    # Nothing changed; another leader of the team takes it and resolves it.
    item = client.get(f"/v1/reviews/{own}", headers=lin).json()
    assert item["assigned_to"] is None and item["status"] == "open"
    given = client.post(f"/v1/reviews/{own}/assign", json={"assignee": "lin"}, headers=lee)
    assert given.status_code == 200 and given.json()["assigned_to"] == "lin"
    done = client.post(f"/v1/reviews/{own}", json=resolve, headers=lin)
    assert done.status_code == 200 and done.json()["resolved_by"] == "lin"


def test_the_queue_shows_a_leaders_own_decision_as_needing_another_leader(client, people, own):
    [mine] = client.get("/v1/reviews", headers=people["lee"]).json()["items"]
    [theirs] = client.get("/v1/reviews", headers=people["lin"]).json()["items"]
    assert mine["review_id"] == theirs["review_id"] == own
    assert mine["needs_another_leader"] is True and theirs["needs_another_leader"] is False


def test_the_queue_page_says_needs_another_team_leader(app, started, people, own, south):
    with started(app, base_url="http://localhost", follow_redirects=False) as browser:
        login = browser.get("/ui/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        token = people["lee"]["Authorization"].removeprefix("Bearer ")
        signed_in = browser.post("/ui/login", data={"csrf_token": csrf, "token": token})
        assert signed_in.status_code == 303
        page = browser.get("/ui/reviews")
        assert page.status_code == 200 and "Needs another team leader" in page.text
        review = browser.get(f"/ui/reviews/{own}")
        assert "Needs another team leader" in review.text
        assert 'action="/ui/reviews/' + own + '/claim"' not in review.text
        # And another team's contact page is not found.
        assert browser.get("/ui/contacts/S-1").status_code == 404
