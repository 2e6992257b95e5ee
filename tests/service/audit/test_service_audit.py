"""The audit trail: every action recorded without free text, and tampering detected."""

from __future__ import annotations

from sqlalchemy import select, text
from typer.testing import CliRunner

from cli.main import app as cli
from service.audit.tables import AuditEvent

runner = CliRunner()
SECRET_NOTE = "NOTE-7f3a: mother disclosed"
SECRET_NARRATIVE = "NARRATIVE-91bc: bruising seen"
SETUP = 1  # the settings fixture records the champion (model.champion_changed) first


def events(app) -> list[AuditEvent]:
    with app.state.db.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def act(client, auth, contact, high_risk) -> str:
    """Score, decide (flagged), view, claim and resolve: returns the review id."""
    body = contact("C-1", narrative=SECRET_NARRATIVE, **high_risk)
    client.post(
        "/v1/contacts/score", json=body, headers={**auth["worker"], "X-Request-ID": "req-1"}
    )
    decision = {"decision": "nfa", "reasons": ["other"], "note": SECRET_NOTE}
    review_id = client.post(
        "/v1/contacts/C-1/decision", json=decision, headers=auth["worker"]
    ).json()["review_id"]
    client.get("/v1/contacts/C-1", headers=auth["leader"])
    client.post(f"/v1/reviews/{review_id}/claim", headers=auth["leader"])
    resolve = {"outcome": "overturned", "note": SECRET_NOTE, "decision": "assessment"}
    client.post(f"/v1/reviews/{review_id}", json=resolve, headers=auth["leader"])
    return review_id


def test_every_action_is_recorded_with_who_when_model_and_request(
    client, app, auth, contact, high_risk
):
    review_id = act(client, auth, contact, high_risk)
    trail = [(e.actor, e.action, e.entity) for e in events(app)]
    assert trail[:SETUP] == [("cli:test", "model.champion_changed", "model")]
    # Each user added; duty workers and team leaders with their teams too.
    setup = [
        entry
        for name in auth
        for entry in [("cli:test", "user.added", "user")]
        + ([("cli:test", "user.teams", "user")] if name not in ("data", "admin") else [])
    ]
    users = SETUP + len(setup)
    assert trail[SETUP:users] == setup
    assert trail[users:] == [
        ("worker", "contact.scored", "contact"),
        ("worker", "decision.recorded", "decision"),
        ("leader", "contact.viewed", "contact"),
        ("leader", "review.claimed", "review"),
        ("leader", "decision.recorded", "decision"),
        ("leader", "review.resolved", "review"),
    ]
    scored = events(app)[users]
    assert (
        scored.request_id == "req-1" and scored.model_version == "1" and scored.entity_id == "C-1"
    )
    assert all(e.request_id for e in events(app)[users:])
    assert events(app)[-1].entity_id == review_id
    assert [e.seq for e in events(app)] == list(range(1, len(trail) + 1))


def test_the_trail_holds_no_free_text(client, app, auth, contact, high_risk):
    act(client, auth, contact, high_risk)
    stored = " ".join(e.details for e in events(app))
    assert SECRET_NOTE not in stored and SECRET_NARRATIVE not in stored
    assert '"sha256"' in stored  # notes are fingerprinted instead


def test_verify_passes_on_an_untouched_trail(client, app, auth, contact, high_risk, settings):
    act(client, auth, contact, high_risk)
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{len(events(app))} entries verified" in result.stdout
    body = client.get("/v1/audit/verify", headers=auth["admin"]).json()
    assert body["ok"] is True and body["checked"] == len(events(app))


def test_verify_names_the_first_altered_entry(client, app, auth, contact, high_risk, settings):
    act(client, auth, contact, high_risk)
    # The worker's decision (after the champion's record, the users' entries and the scoring).
    seq = next(e.seq for e in events(app) if e.action == "decision.recorded")
    with app.state.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET actor = 'someone' WHERE seq = :seq"), {"seq": seq}
        )
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {seq} (decision.recorded decision" in result.output
    assert "altered" in result.output
    body = client.get("/v1/audit/verify", headers=auth["admin"]).json()
    assert body["ok"] is False and body["first_broken_seq"] == seq and body["checked"] == seq - 1


def test_verify_notices_removed_entries(client, app, auth, contact, high_risk, settings):
    act(client, auth, contact, high_risk)
    last = len(events(app))
    with app.state.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and f"entry {last}" in result.output
    with app.state.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "entry 4" in result.output and "removed" in result.output


def test_one_session_appending_across_transactions_keeps_the_chain(client, app, auth):
    from service.audit import service as audit
    from service.auth.schemas import Caller, Role

    by = Caller("cli:test", Role.ADMIN)
    with app.state.db.write() as session:
        audit.append(session, by, "test.first", "test", "1")
        session.commit()
        with app.state.db.write() as other:  # another writer moves the head meanwhile
            audit.append(other, by, "test.other", "test", "2")
            other.commit()
        audit.append(session, by, "test.second", "test", "3")
        session.commit()
    with app.state.db.read() as session:
        assert audit.verify(session).ok
