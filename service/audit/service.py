"""Append to the audit chain inside the caller's transaction, and verify the whole chain."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from service.audit.chain import canonical_json, entry_hash
from service.audit.tables import GENESIS_HASH, AuditEvent, AuditHead
from service.db import AUDIT_KEY_OPTION, utcnow
from service.prebuilt import Prebuilt


class Caller(Protocol):
    """Who did it, as the chain records them (``service.auth.schemas.Caller`` is one).

    A protocol, not an import: ``auth`` writes to the chain, so the chain imports nothing of it.
    """

    @property
    def name(self) -> str: ...

    @property
    def request_id(self) -> str | None: ...


VERIFY_BATCH = 1000


@dataclass(frozen=True)
class Entry:
    """One thing to record: what was done to which entity, with which model."""

    action: str
    entity: str
    entity_id: str
    details: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None


def append(
    session: Session,
    by: Caller,
    action: str,
    entity: str,
    entity_id: str,
    details: dict[str, Any] | None = None,
    *,
    model_version: str | None = None,
) -> None:
    """Add one entry after the chain's head, in the same transaction as the change it records."""
    append_all(session, by, [Entry(action, entity, entity_id, details or {}, model_version)])


# Plain statements built once and run on the driver (service.prebuilt), not ORM objects:
# appending runs on every request. Locking the head row serialises appends across processes
# (SQLite already serialises writes).
_READ_HEAD = Prebuilt(
    select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
)
_MOVE_HEAD = Prebuilt(
    # For mypy: a mapped class's __table__ is a Table at run time
    AuditHead.__table__.update()  # type: ignore[attr-defined]
    .where(AuditHead.__table__.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_EVENTS = Prebuilt(AuditEvent.__table__.insert())  # type: ignore[attr-defined]


def chain_key(session: Session | Connection) -> bytes:
    """The chain's HMAC key, carried by the transaction's connection (``service.db``)."""
    connection = session.connection() if isinstance(session, Session) else session
    key = connection.get_execution_options().get(AUDIT_KEY_OPTION)
    if not key:
        raise RuntimeError("this connection carries no audit key: open it with open_database")
    return key


def append_all(session: Session | Connection, by: Caller, entries: list[Entry]) -> None:
    """Add entries in order after the chain's head (one lock for all of them), in the
    transaction of ``session`` (an ORM session or a Core connection)."""
    append_each(session, [(by, entry) for entry in entries])


def append_each(session: Session | Connection, entries: Sequence[tuple[Caller, Entry]]) -> None:
    """:func:`append_all` for entries of several callers (requests stored together), each
    recorded with its own actor and request id: one head read, one insert, one head move."""
    key = chain_key(session)
    if isinstance(session, Session):
        session.flush()  # what an ORM session's own execute would have flushed first
        connection = session.connection()
    else:
        connection = session
    head = _READ_HEAD.first(connection, {})
    if head is None:
        raise RuntimeError("the audit chain has no head row (run the migrations)")
    seq, prev_hash = head
    rows, at = [], utcnow()
    for by, entry in entries:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor": by.name,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "model_version": entry.model_version,
            "request_id": by.request_id,
            "details": canonical_json(entry.details),
            "prev_hash": prev_hash,
        }
        prev_hash = entry_hash(key, **fields)
        rows.append({**fields, "hash": prev_hash})
    _INSERT_EVENTS.execute(connection, rows)
    _MOVE_HEAD.execute(connection, [{"new_seq": seq, "new_hash": prev_hash}])


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the chain: how many entries, and the first broken one."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    reason: str | None = None

    def describe(self) -> str:
        """One line for people."""
        if self.ok:
            return f"{self.checked} entries verified"
        where = f"entry {self.first_broken_seq}"
        if self.action is not None:
            where += f" ({self.action} {self.entity} {self.entity_id})"
        return f"audit chain broken at {where}: {self.reason}"


def verify(session: Session) -> VerifyResult:
    """Recompute every hash in order; report the first entry that does not fit the chain."""
    key = chain_key(session)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=VERIFY_BATCH)
    with closing(session.scalars(query)) as events:  # a server-side cursor on PostgreSQL
        for event in events:
            problem = _problem(key, event, expected_seq, prev_hash)
            if problem is not None:
                return _broken(event, problem, checked)
            expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev_hash:
        reason = "the chain's head does not match its last entry (entries removed at the end?)"
        return VerifyResult(False, checked, checked + 1, reason=reason)
    return VerifyResult(True, checked)


def _problem(key: bytes, event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"expected entry {expected_seq} here (entries removed?)"
    if event.prev_hash != prev_hash:
        return "its previous hash does not match the entry before it"
    recomputed = entry_hash(
        key,
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        action=event.action,
        entity=event.entity,
        entity_id=event.entity_id,
        model_version=event.model_version,
        request_id=event.request_id,
        details=event.details,
        prev_hash=event.prev_hash,
    )
    if recomputed != event.hash:
        return "its contents do not match its hash (the entry was altered)"
    return None


def _broken(event: AuditEvent, reason: str, checked: int) -> VerifyResult:
    return VerifyResult(
        False, checked, event.seq, event.action, event.entity, event.entity_id, reason
    )


def champion_changed(session: Session, event: dict[str, Any], *, by: Caller) -> None:
    """Append a change of champion to the chain, with the model file's SHA-256 and the gates
    the service's trust record holds (no commit; ``service.model_trust`` records both)."""
    keys = ("action", "previous", "reason", "forced", "run_id", "gates", "artifact_sha256")
    details = {k: event.get(k) for k in keys}
    append(
        session,
        by,
        "model.champion_changed",
        "model",
        f"{event['model']}:{event['version']}",
        details,
        model_version=str(event["version"]),
    )
