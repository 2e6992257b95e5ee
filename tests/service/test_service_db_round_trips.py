"""PostgreSQL's per-request costs outside the domains: the pool and the token lookup.

Round trips are counted on the wire: libpq's trace of every connection the engines open within
the block (every exchange ends with the server's ReadyForQuery), so nothing the driver sends is
missed, whether it came through SQLAlchemy or a prebuilt statement, pool_pre_ping included.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from config.settings import Settings
from service import db as db_module
from service.auth.lookups import lookup_tokens
from service.auth.schemas import Caller, Role
from service.contacts.canonical import canonicalise
from service.contacts.schemas import ContactIn
from service.contacts.service import NewContact, assess_contacts, save_new
from service.db import DatabaseClosed, open_database
from service.migrate import upgrade_engine


class Wire:
    """What the traced connections sent and received since :meth:`mark`, as libpq traces it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.connections: list[Any] = []  # the psycopg connections traced into ``fd``
        self.start = 0
        self.kept: str | None = None  # the text, once the trace file is gone

    def trace(self, connection: Any) -> None:
        from psycopg import pq

        connection.pgconn.trace(self.fd)
        connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        if connection not in self.connections:
            self.connections.append(connection)

    def flush(self) -> None:
        """Stop tracing (libpq buffers its trace and writes it out then)."""
        for connection in self.connections:
            if not connection.closed:
                connection.pgconn.untrace()

    def mark(self) -> None:
        """Count from here on."""
        self.flush()
        self.start = os.fstat(self.fd).st_size
        for connection in self.connections:
            if not connection.closed:
                self.trace(connection)

    @property
    def text(self) -> str:
        if self.kept is not None:
            return self.kept
        size = os.fstat(self.fd).st_size
        return os.pread(self.fd, size - self.start, self.start).decode()

    def round_trips(self) -> int:
        return self.text.count("\tReadyForQuery")

    def executions(self) -> int:
        """Statements run: simple queries and extended protocol's Execute messages (a statement
        parsed once and run for each of several rows counts once per row)."""
        return len(re.findall(r"^F\t\d+\t(?:Query|Execute)\t", self.text, re.MULTILINE))

    def waits(self) -> int:
        """Round trips as the client waits for them: each turn from sending to receiving. In
        a pipeline a statement's rows are waited for without a ReadyForQuery."""
        senders = [line[0] for line in self.text.splitlines() if line[:2] in ("F\t", "B\t")]
        return sum(1 for a, b in itertools.pairwise(senders) if (a, b) == ("F", "B"))

    def queries(self) -> list[str]:
        """The statements sent, simple (``Query "SQL"``) and extended (``Parse "name" "SQL"``)."""
        return [m.group(1) for m in SENT.finditer(self.text)]


# A client's message carrying a statement in libpq's trace (F, length, type, contents; the
# statement may span lines)
SENT = re.compile(
    r'^F\t\d+\t(?:Query\t "|Parse\t "[^"]*" ")(.*?)"[ \d]*$', re.MULTILINE | re.DOTALL
)


@contextmanager
def traced(*engines: Engine) -> Iterator[Wire]:
    """Empty the ``engines``' pools and trace every connection they open within the block
    (from just after it is opened: its checkouts, pings and statements)."""
    with tempfile.TemporaryFile() as trace:
        wire = Wire(trace.fileno())

        def start(dbapi_connection: Any, _record: Any) -> None:
            wire.trace(dbapi_connection)

        for engine in engines:
            engine.dispose()  # connections opened before the block would go untraced
            event.listen(engine, "connect", start)
        try:
            yield wire
        finally:
            for engine in engines:
                event.remove(engine, "connect", start)
            wire.flush()
            wire.kept = wire.text


@pytest.fixture(params=["postgresql"])
def backend(request) -> str:
    """PostgreSQL only (these are its round trips): the conftest's backend without SQLite."""
    request.getfixturevalue("postgres_admin_url")  # started (or skipped) only when needed
    return request.param


@pytest.fixture
def pg(backend):
    """The PostgreSQL run (the module's ``backend`` has no other)."""
    assert backend == "postgresql"


def test_an_authenticated_request_looks_its_token_up_in_one_round_trip(pg, app, client, auth):
    db = app.state.db
    with traced(db.engine, db.lookup_engine) as wire:
        assert client.get("/v1/me", headers=auth["worker"]).status_code == 200  # opens them
        wire.mark()  # the next request finds its connections in the pool, as under load
        response = client.get("/v1/me", headers=auth["worker"])
    assert response.status_code == 200
    # One statement, outside any transaction: no BEGIN, ROLLBACK or ping around it.
    assert wire.round_trips() == 1, wire.text
    [query] = wire.queries()
    assert "FROM users" in query and "user_teams" in query


def test_a_scored_contact_sends_no_ping_and_its_lookup_no_transaction(
    pg, app, client, auth, contact
):
    db = app.state.db
    headers = auth["worker"]
    with traced(db.lookup_engine) as lookups, traced(db.engine) as writes:
        assert client.post("/v1/contacts/score", json=contact("C-0"), headers=headers).is_success
        lookups.mark()
        writes.mark()
        response = client.post("/v1/contacts/score", json=contact("C-1"), headers=headers)
    assert response.status_code == 200, response.text
    assert lookups.round_trips() == 1, lookups.text
    # pool_pre_ping sent an empty statement on every checkout; the writes' first exchange is
    # now their transaction's.
    assert ";" not in writes.queries(), writes.text
    assert writes.queries()[0] == "BEGIN", writes.text


def test_a_group_of_scores_is_one_statement_per_table_in_three_round_trips(
    pg, app, client, auth, contact
):
    """Storing a group of new contacts sends the same eight statements whatever its size (one
    INSERT per table, the rows as arrays), in three round trips: the inserts with the audit
    head's read (pipelined), the audit entries with the head's move, then COMMIT."""
    client.get("/v1/me", headers=auth["worker"])  # the app started, its champion loaded
    db, settings = app.state.db, app.state.settings
    by = Caller("worker", Role.DUTY_WORKER, "req-1", frozenset({"T1"}))
    wanted = [
        "BEGIN",
        "INSERT INTO contacts",
        "INSERT INTO assessments",
        "INSERT INTO contact_revisions",
        "SELECT audit_head.seq",
        "INSERT INTO audit_events",
        "UPDATE audit_head",
        "COMMIT",
    ]
    for size in (2, 7):
        items = [canonicalise(ContactIn(**contact(f"G{size}-{i}"))) for i in range(size)]
        assessed = assess_contacts(app.state.champion, items, settings)
        new = [NewContact(i, a, by) for i, a in zip(items, assessed, strict=True)]
        with traced(db.engine) as writes:
            answers = save_new(db, new)
        sent = [" ".join(q.split()[:3]) for q in writes.queries()]
        assert len(sent) == len(wanted), sent
        assert all(s.startswith(w) for s, w in zip(sent, wanted, strict=True)), sent
        assert writes.executions() == len(wanted), writes.text
        assert writes.round_trips() == 3, writes.text
        assert [json.loads(a) for a in answers] == assessed
    with db.read.begin() as session:
        stored = session.scalar(text("SELECT count(*) FROM contact_revisions WHERE revision = 1"))
    assert stored == 9


def terminate_every_connection(database_url: str) -> None:
    """Have the server end every session of the test database (as a restart would)."""
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    assert ended > 0


def test_requests_after_the_server_ended_every_connection_succeed(
    pg, app, client, auth, contact, database_url
):
    headers = auth["worker"]
    assert client.post("/v1/contacts/score", json=contact("C-1"), headers=headers).is_success
    terminate_every_connection(database_url)
    # The pooled connections were told and closed; the pool sees it without a round trip and
    # opens new ones, so the very next requests work.
    assert client.get("/v1/me", headers=headers).status_code == 200
    response = client.post("/v1/contacts/score", json=contact("C-2"), headers=headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def pg_db(pg, database_url, tmp_path):
    db = open_database(Settings(home=tmp_path, database_url=database_url, db_pool_size=1))
    upgrade_engine(db.engine)
    yield db
    db.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_idle_for_a_while_is_pinged_a_recent_one_not(pg_db, monkeypatch):
    pings = []
    monkeypatch.setattr(db_module, "ping", lambda c: pings.append(c) or c.execute(";"))
    backend_pid(pg_db.engine)
    backend_pid(pg_db.engine)
    assert pings == []
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    backend_pid(pg_db.engine)
    assert len(pings) == 1


def test_a_silently_dead_idle_connection_is_replaced_after_its_ping_fails(pg_db, monkeypatch):
    before = backend_pid(pg_db.engine)

    def no_answer(_connection: Any) -> None:
        raise OSError("no answer")

    monkeypatch.setattr(db_module, "ping", no_answer)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg_db.engine.connect() as connection:  # the pool opened a new one: not pinged yet
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != before


def test_the_token_lookup_tries_once_more_on_a_connection_lost_after_its_check(
    pg_db, database_url, monkeypatch
):
    backend_pid(pg_db.lookup_engine)  # a pooled lookup connection, idle
    # The server ends it between the pool's check and the statement: the check sees nothing.
    monkeypatch.setattr(db_module, "server_has_spoken", lambda _socket: False)
    terminate_every_connection(database_url)
    assert lookup_tokens(pg_db, ["no such token"])[0].holder is None  # answered, not raised


def test_disposing_of_the_database_closes_the_lookup_pool_too(pg, database_url, tmp_path):
    db = open_database(Settings(home=tmp_path, database_url=database_url, db_pool_size=4))
    upgrade_engine(db.engine)
    assert db.lookup_engine.pool is not db.engine.pool
    assert db.lookup_engine.pool.size() == 2  # half the writes' pool: one round trip each
    lookup_tokens(db, ["no such token"])
    assert db.lookup_engine.pool.checkedin() == 1
    db.dispose()
    assert db.lookup_engine.pool.checkedin() == 0
    with pytest.raises(DatabaseClosed):
        lookup_tokens(db, ["no such token"])


def test_an_idle_socket_is_quiet_until_the_other_end_speaks_or_hangs_up():
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not db_module.server_has_spoken(ours.fileno())
        theirs.send(b"E")  # e.g. PostgreSQL's "terminating connection" error
        assert db_module.server_has_spoken(ours.fileno())
        ours.recv(1)
        theirs.close()  # end of file
        assert db_module.server_has_spoken(ours.fileno())


def test_a_lone_decision_reads_in_one_statement_and_writes_pipelined(
    pg, app, client, auth, contact
):
    db = app.state.db
    headers = auth["worker"]
    body = {"decision": "assessment", "note": "Seen by school."}
    for contact_id in ("C-0", "C-1"):
        scored = client.post("/v1/contacts/score", json=contact(contact_id), headers=headers)
        assert scored.status_code == 200, scored.text
    with traced(db.lookup_engine) as lookups, traced(db.engine) as writes:
        first = client.post("/v1/contacts/C-0/decision", json=body, headers=headers)
        assert first.status_code == 200, first.text
        lookups.mark()
        writes.mark()
        response = client.post("/v1/contacts/C-1/decision", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert not response.json()["flagged_for_review"]
    assert lookups.round_trips() == 1, lookups.text
    # BEGIN; the read; the INSERT with the audit head's read; the entry with the head's move;
    # COMMIT (it was 9 with a statement each: three reads, not one, and the INSERT alone).
    assert writes.waits() == 5, writes.text
    reads = [q for q in writes.queries() if q.startswith("SELECT")]
    assert len(reads) == 2, reads  # the facts, the audit head
