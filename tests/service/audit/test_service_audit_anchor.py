"""The audit anchor: an HMAC-keyed chain, a signed head kept elsewhere, and stored notes and
contact bodies checked against their audited fingerprints (`triage audit head|verify`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import InsecureSettings, Settings, audit_key, insecure_settings
from data.workdays import FixedClock
from service.audit.chain import canonical_json, entry_hash, legacy_entry_hash
from service.audit.service import chain_key, verify
from service.audit.tables import GENESIS_HASH, AuditEvent, AuditHead
from service.db import create_engine_for, open_database
from service.migrate import upgrade_engine

runner = CliRunner()
NOTE = "NOTE-a41c: seen at school"


def act(client, auth, contact, high_risk) -> str:
    """Score, decide (flagged, with a note), then resolve the review with a note."""
    client.post("/v1/contacts/score", json=contact("C-1", **high_risk), headers=auth["worker"])
    decision = {"decision": "nfa", "reasons": ["other"], "note": NOTE}
    answer = client.post("/v1/contacts/C-1/decision", json=decision, headers=auth["worker"])
    review_id = answer.json()["review_id"]
    client.post(f"/v1/reviews/{review_id}/claim", headers=auth["leader"])
    resolve = {"outcome": "upheld", "note": NOTE}
    assert client.post(f"/v1/reviews/{review_id}", json=resolve, headers=auth["leader"]).is_success
    return review_id


def head(tmp_path) -> Path:
    path = tmp_path / "head.json"
    written = runner.invoke(cli, ["audit", "head", "--out", str(path)])
    assert written.exit_code == 0, written.output
    return path


def verify_with(path: Path):
    return runner.invoke(cli, ["audit", "verify", "--head", str(path)])


def test_a_clean_store_passes_against_its_head(client, auth, contact, high_risk, tmp_path):
    act(client, auth, contact, high_risk)
    path = head(tmp_path)
    kept = json.loads(path.read_text())
    assert set(kept) == {"seq", "hash", "at", "signature"} and kept["seq"] > 0
    client.get("/v1/contacts/C-1", headers=auth["worker"])  # the chain grows after the head
    result = verify_with(path)
    assert result.exit_code == 0, result.output
    assert "every stored note and body matches" in result.stdout


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE decisions SET note = 'nothing to see'",
        "UPDATE reviews SET note = 'nothing to see'",
        "UPDATE contacts SET body = '{}'",
        "UPDATE contact_revisions SET body = '{}'",
    ],
)
def test_an_edited_note_or_body_fails(client, app, auth, contact, high_risk, tmp_path, edit):
    act(client, auth, contact, high_risk)
    path = head(tmp_path)
    with app.state.db.engine.begin() as connection:
        connection.execute(text(edit))
    result = verify_with(path)
    assert result.exit_code == 1
    assert "does not match the fingerprint in its audit entry" in result.output
    with app.state.db.read() as session:
        assert verify(session).ok  # the chain alone cannot see it


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE assessment_completions SET note = 'nothing to see'",
        "UPDATE assessment_completions SET late_note = 'nothing to see'",
        "UPDATE decisions SET late_note = 'nothing to see'",
    ],
)
def test_an_edited_completion_or_late_note_fails(client, app, auth, contact, tmp_path, edit):
    # Decided and completed late, each with a late note, so every note column holds text.
    client.post("/v1/contacts/score", json=contact("C-2"), headers=auth["worker"])
    app.state.clock = FixedClock(date(2024, 5, 7))  # the decision was due on 2 May
    late = {"late_reasons": ["other"], "late_note": NOTE}
    decision = {"decision": "assessment", "reasons": ["other"], **late}
    decided = client.post("/v1/contacts/C-2/decision", json=decision, headers=auth["worker"])
    assert decided.status_code == 200, decided.text
    app.state.clock = FixedClock(date(2024, 7, 10))  # the assessment was due on 5 July
    done = {"completed_on": "2024-07-09", "outcome": "nfa", "note": NOTE, **late}
    completed = client.post("/v1/contacts/C-2/assessment", json=done, headers=auth["worker"])
    assert completed.status_code == 200, completed.text
    path = head(tmp_path)
    assert verify_with(path).exit_code == 0
    with app.state.db.engine.begin() as connection:
        connection.execute(text(edit))
    result = verify_with(path)
    assert result.exit_code == 1
    assert "does not match the fingerprint in its audit entry" in result.output


def test_a_chain_rewritten_with_the_key_fails_against_the_head(
    client, app, auth, contact, high_risk, tmp_path
):
    act(client, auth, contact, high_risk)
    path = head(tmp_path)
    with app.state.db.write.begin() as session:  # someone holding the key rewrites history
        key = chain_key(session)
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        prev = GENESIS_HASH
        for event in events:
            if event.action == "decision.recorded":
                event.actor = "someone else"
            event.prev_hash = prev
            event.hash = prev = entry_hash(key, **_fields(event))
        session.get(AuditHead, 1).hash = prev
    with app.state.db.read() as session:
        assert verify(session).ok  # consistent again: only the anchor can tell
    result = verify_with(path)
    assert result.exit_code == 1 and "the chain was rewritten" in result.output


def test_an_entry_altered_without_the_key_breaks_the_chain(client, app, auth, contact, high_risk):
    act(client, auth, contact, high_risk)
    with app.state.db.write.begin() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        event.actor = "someone else"
        event.hash = legacy_entry_hash(**_fields(event))  # recomputed, but without the key
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "altered" in result.output


def test_a_head_file_newer_than_the_chain_fails(client, app, auth, contact, high_risk, tmp_path):
    act(client, auth, contact, high_risk)
    client.get("/v1/contacts/C-1", headers=auth["worker"])  # a last entry holding no text
    path = head(tmp_path)
    with app.state.db.engine.begin() as connection:  # the database restored to an older state
        last = connection.execute(text("SELECT MAX(seq) FROM audit_events")).scalar_one()
        previous = connection.execute(
            text("SELECT hash FROM audit_events WHERE seq = :seq"), {"seq": last - 1}
        ).scalar_one()
        connection.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
        connection.execute(
            text("UPDATE audit_head SET seq = :seq, hash = :hash"),
            {"seq": last - 1, "hash": previous},
        )
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # consistent on its own
    result = verify_with(path)
    assert result.exit_code == 1
    assert f"the chain ends at entry {last - 1}, before the head file's entry {last}" in (
        result.output
    )


def test_an_edited_head_file_fails(client, auth, contact, high_risk, tmp_path):
    act(client, auth, contact, high_risk)
    path = head(tmp_path)
    kept = json.loads(path.read_text())
    kept["seq"] -= 1
    path.write_text(json.dumps(kept))
    result = verify_with(path)
    assert result.exit_code == 1 and "signature does not match" in result.output


def test_an_existing_chain_is_re_anchored_once_and_recorded(database_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=database_url)
    engine = create_engine_for(settings)
    try:
        upgrade_engine(engine, "0700")
        with engine.begin() as connection:
            _legacy_chain(connection, entries=3)
        upgrade_engine(engine)
    finally:
        engine.dispose()
    db = open_database(settings)
    try:
        with db.read() as session:
            assert verify(session).ok
            trail = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [e.action for e in trail] == ["test.old"] * 3 + ["audit.reanchored"]
        assert json.loads(trail[-1].details)["entries"] == 3
        assert all(e.hash != legacy_entry_hash(**_fields(e)) for e in trail)
    finally:
        db.dispose()


def test_a_broken_existing_chain_is_not_re_anchored(database_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=database_url)
    engine = create_engine_for(settings)
    try:
        upgrade_engine(engine, "0700")
        with engine.begin() as connection:
            _legacy_chain(connection, entries=3)
            connection.execute(text("UPDATE audit_events SET actor = 'x' WHERE seq = 2"))
        with pytest.raises(RuntimeError, match="broken at entry 2"):
            upgrade_engine(engine)
    finally:
        engine.dispose()


def test_outside_development_the_audit_key_has_no_default(tmp_path):
    with pytest.raises(InsecureSettings, match="TRIAGE_AUDIT_KEY is unset"):
        audit_key(Settings(home=tmp_path, environment="production"))
    problems = insecure_settings(Settings(home=tmp_path, environment="production"))
    assert any(p.startswith("TRIAGE_AUDIT_KEY is unset") for p in problems)
    strong = "Zq8-audit-key-kept-in-a-vault-91xW"
    assert audit_key(Settings(home=tmp_path, environment="production", audit_key=strong)) == (
        strong.encode()
    )


def _fields(event: AuditEvent) -> dict:
    names = ("seq", "at", "actor", "action", "entity", "entity_id", "model_version")
    return {
        **{name: getattr(event, name) for name in names},
        "request_id": event.request_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def _legacy_chain(connection, *, entries: int) -> None:
    """Entries hashed as before the HMAC (unkeyed SHA-256), and the head after them."""
    prev = GENESIS_HASH
    for seq in range(1, entries + 1):
        fields = {
            "seq": seq,
            "at": datetime(2026, 1, seq, tzinfo=UTC),
            "actor": "ada",
            "action": "test.old",
            "entity": "test",
            "entity_id": str(seq),
            "model_version": None,
            "request_id": None,
            "details": canonical_json({}),
            "prev_hash": prev,
        }
        prev = legacy_entry_hash(**fields)
        connection.execute(AuditEvent.__table__.insert(), [{**fields, "hash": prev}])
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": entries, "h": prev})
