"""Crash safety: decisions posted continuously while `triage serve` is killed with SIGKILL.

Client threads post decisions on stored contacts, each with a note naming the attempt, while the
server's process group is killed at a random moment and restarted on the same database, three
times. Afterwards every decision that was answered 200 is stored as answered, and nothing is
half-written: each stored decision is one the clients sent, has its audit entry, and a flagged
one has its review with its flags; the audit chain verifies. A decision whose request got no
answer may or may not be stored, but if it is, it is whole.
"""

from __future__ import annotations

import json
import os
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from server_process import free_port, kill, start, stop
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app as cli
from service.audit.chain import fingerprint
from service.audit.tables import AuditEvent
from service.decisions.tables import DecisionRecord
from service.reviews.tables import Review, ReviewFlag

runner = CliRunner()
KILLS = 3
THREADS = 4
CONTACTS = 6  # half of them high risk, so an NFA on them is flagged and opens a review
# Answers each round collects before the kill may come: every round kills mid-stream.
ANSWERS_BEFORE_KILL = 30
DECISIONS = ("nfa", "assessment", "signpost", "nfa", "early_help")
SEED = 20240501


@dataclass
class Ledger:
    """What the clients sent and what the server answered, by note (notes are unique)."""

    sent: dict[str, tuple[str, str]] = field(default_factory=dict)  # note: (contact, decision)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)  # note: the 200 body
    unanswered: set[str] = field(default_factory=set)  # the connection dropped
    refused: list[str] = field(default_factory=list)  # any answer but 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.answered)


def post_decisions(
    base: str, token: str, contacts: list[str], ledger: Ledger, name: str, stop: threading.Event
) -> None:
    """Post decisions until ``stop`` is set or the connection fails (the server was killed)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for seq in range(1_000_000):
            if stop.is_set():
                return
            contact_id = contacts[seq % len(contacts)]
            decision = DECISIONS[seq % len(DECISIONS)]
            note = f"crash-safety {name}-{seq}: {'x' * (seq % 7)}"
            with ledger.lock:
                ledger.sent[note] = (contact_id, decision)
            try:
                response = client.post(
                    f"/v1/contacts/{contact_id}/decision",
                    json={"decision": decision, "reasons": ["other"], "note": note},
                )
            except httpx.TransportError:
                with ledger.lock:
                    ledger.unanswered.add(note)
                return
            with ledger.lock:
                if response.status_code == 200:
                    ledger.answered[note] = response.json()
                else:
                    ledger.refused.append(f"{response.status_code} {response.text}")


def crash_round(
    base: str, token: str, contacts: list[str], ledger: Ledger, round_: int, process: Any, rng
) -> None:
    """Post from several threads, SIGKILL the server mid-stream, wait for the threads."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=post_decisions, args=(base, token, contacts, ledger, f"{round_}.{i}", stop)
        )
        for i in range(THREADS)
    ]
    before = ledger.count()
    for thread in threads:
        thread.start()
    target = before + ANSWERS_BEFORE_KILL + rng.randrange(ANSWERS_BEFORE_KILL)
    while ledger.count() < target and all(t.is_alive() for t in threads):
        stop.wait(0.005)
    kill(process)
    stop.set()
    for thread in threads:
        thread.join()
    assert ledger.count() >= target, f"the clients stopped before the kill: {ledger.refused}"


def stored_decisions(base: str, token: str, contacts: list[str]) -> dict[str, dict[str, Any]]:
    """Every stored decision of the contacts through the API, by note."""
    stored = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for contact_id in contacts:
            response = client.get(f"/v1/contacts/{contact_id}")
            assert response.status_code == 200, response.text
            for decision in response.json()["decisions"]:
                stored[decision["note"]] = {**decision, "contact_id": contact_id}
    return stored


def assert_reviews_reachable(base: str, token: str, stored: dict[str, dict[str, Any]]) -> None:
    """Each flagged stored decision's review answers, about that decision."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for decision in stored.values():
            if decision["flagged_for_review"]:
                review = client.get(f"/v1/reviews/{decision['review_id']}")
                assert review.status_code == 200, review.text
                assert review.json()["decision_id"] == decision["decision_id"]


def assert_whole_in_database(database_uri: str, sent: dict[str, tuple[str, str]]) -> int:
    """Each stored decision was sent, has its audit entry and, if flagged, its review."""
    engine = create_engine(database_uri)
    try:
        with Session(engine) as session:
            decisions = session.scalars(select(DecisionRecord)).all()
            audits = {
                event.entity_id: event
                for event in session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "decision.recorded")
                )
            }
            reviews = {r.decision_id: r for r in session.scalars(select(Review))}
            review_flags: dict[int, set[str]] = {}
            for flag in session.scalars(select(ReviewFlag)):
                review_flags.setdefault(flag.review_seq, set()).add(flag.code)
    finally:
        engine.dispose()
    assert len(audits) == len(decisions), "one decision.recorded entry per stored decision"
    assert len(reviews) == sum(bool(d.flags) for d in decisions), "one review per flagged one"
    for record in decisions:
        assert sent[record.note] == (record.contact_id, record.decision), record.note
        audited = json.loads(audits[record.id].details)
        assert audited["note"] == fingerprint(record.note), record.note
        assert (audited["contact_id"], audited["decision"]) == (record.contact_id, record.decision)
        assert audited["flags"] == [f["code"] for f in record.flags]
        review = reviews.get(record.id)
        if record.flags:
            assert review is not None, f"flagged decision {record.id} has no review"
            assert audited["review_id"] == review.id
            assert review_flags.get(review.seq) == set(audited["flags"])
        else:
            assert review is None and audited["review_id"] is None
    assert len(review_flags) == len(reviews), "no flags of a review that is not stored"
    return len(decisions)


@pytest.mark.slow
def test_every_answered_decision_survives_sigkill_and_nothing_is_half_written(
    settings, tmp_path, contact, high_risk
):
    rng = random.Random(SEED)
    env = {
        **os.environ,
        "TRIAGE_HOME": str(settings.home),
        "TRIAGE_DATABASE_URL": settings.database_uri,
        "TRIAGE_RATE_LIMIT": "0",  # the clients post as fast as the server answers
    }
    worker = runner.invoke(
        cli, ["users", "add", "amy", "--role", "duty_worker", "--team", "north"]
    ).stdout.strip()
    leader = runner.invoke(
        cli, ["users", "add", "sam", "--role", "team_leader", "--team", "north"]
    ).stdout.strip()
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    contacts = [f"C-{i}" for i in range(CONTACTS)]

    process = start(port, env, log)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {worker}"}) as client:
            # Received now, so every decision on them is in time (late ones need late_reasons).
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for i, contact_id in enumerate(contacts):
                body = contact(contact_id, received_at=now, **(high_risk if i % 2 == 0 else {}))
                assert client.post("/v1/contacts/score", json=body).status_code == 200
        ledger = Ledger()
        for round_ in range(KILLS):
            crash_round(base, worker, contacts, ledger, round_, process, rng)
            process = start(port, env, log)  # the same database, after a crash
        stored = stored_decisions(base, worker, contacts)
        assert_reviews_reachable(base, leader, stored)
    finally:
        stop(process)

    assert not ledger.refused, "every request answered was answered 200"
    assert len(ledger.answered) >= KILLS * ANSWERS_BEFORE_KILL
    for note, answer in ledger.answered.items():
        assert note in stored, f"decision {answer['decision_id']} was answered 200 but is lost"
        kept = stored[note]
        assert kept["decision_id"] == answer["decision_id"]
        assert kept["decision"] == answer["decision"] == ledger.sent[note][1]
        assert kept["contact_id"] == answer["contact_id"] == ledger.sent[note][0]
        assert kept["flagged_for_review"] == answer["flagged_for_review"]
        assert kept["review_id"] == answer["review_id"]
    assert set(stored) <= set(ledger.answered) | ledger.unanswered, "only decisions sent"
    assert any(d["flagged_for_review"] for d in stored.values()), "flagged decisions were tested"

    assert assert_whole_in_database(settings.database_uri, ledger.sent) == len(stored)
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.stdout
    assert "Traceback" not in log.read_text()
