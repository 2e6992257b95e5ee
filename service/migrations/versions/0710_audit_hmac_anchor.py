"""The audit chain keyed by an HMAC (TRIAGE_AUDIT_KEY): the existing chain re-anchored once.

Every entry's hash was an unkeyed SHA-256, which anyone able to write to the database could
recompute. The chain is first checked as it stands (a broken chain is refused, not laundered),
then every hash is recomputed as an HMAC under the key, and the re-anchoring is recorded as an
entry of its own (``audit.reanchored``, with the old head's hash). On PostgreSQL, every role but
the table's owner loses UPDATE, DELETE and TRUNCATE on the entries: the trail is append-only.

Revision ID: 0710
Revises: 0700
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.audit.chain import canonical_json, entry_hash, legacy_entry_hash

revision = "0710"
down_revision = "0700"
branch_labels = None
depends_on = None

BATCH = 1000
FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "model_version",
    "request_id",
    "details",
    "prev_hash",
)
GENESIS_HASH = "0" * 64
BROKEN = (
    "The audit chain is broken at entry {seq} ({reason}); it is not re-anchored under "
    "TRIAGE_AUDIT_KEY. Investigate it (`triage audit verify` of the previous version) first."
)


def upgrade() -> None:
    from service.db import AUDIT_KEY_OPTION, UTCDateTime, utcnow

    bind = op.get_bind()
    key = bind.get_execution_options()[AUDIT_KEY_OPTION]
    events = sa.table(
        "audit_events",
        *(sa.column(name) for name in FIELDS if name != "at"),
        sa.column("at", UTCDateTime()),
        sa.column("hash"),
    )
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    old_prev, new_prev, seq = GENESIS_HASH, GENESIS_HASH, 0
    while True:
        rows = bind.execute(
            sa.select(events).where(events.c.seq > seq).order_by(events.c.seq).limit(BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            fields = {name: getattr(row, name) for name in FIELDS}
            if row.seq != seq + 1 or row.prev_hash != old_prev:
                raise RuntimeError(BROKEN.format(seq=row.seq, reason="entries missing"))
            if legacy_entry_hash(**fields) != row.hash:
                raise RuntimeError(BROKEN.format(seq=row.seq, reason="an entry was altered"))
            new_hash = entry_hash(key, **{**fields, "prev_hash": new_prev})
            updates.append({"s": row.seq, "p": new_prev, "h": new_hash})
            old_prev, new_prev, seq = row.hash, new_hash, row.seq
        _rewrite(bind, events, updates)
    if bind.dialect.name == "postgresql":
        _append_only(bind)
    if seq == 0:
        return  # an empty chain: nothing to re-anchor
    stored = bind.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
    if stored.seq != seq or stored.hash != old_prev:
        raise RuntimeError(BROKEN.format(seq=seq + 1, reason="entries removed at the end"))
    entry = {
        "seq": seq + 1,
        "at": utcnow(),
        "actor": "migration",
        "action": "audit.reanchored",
        "entity": "audit",
        "entity_id": "chain",
        "model_version": None,
        "request_id": None,
        "details": canonical_json({"entries": seq, "unkeyed_head": old_prev}),
        "prev_hash": new_prev,
    }
    entry["hash"] = entry_hash(key, **entry)
    bind.execute(events.insert(), [entry])
    bind.execute(head.update().where(head.c.id == 1).values(seq=seq + 1, hash=entry["hash"]))


def _rewrite(bind: sa.Connection, events: sa.TableClause, updates: list[dict]) -> None:
    """Store each entry's new hash and its predecessor's."""
    statement = (
        events.update()
        .where(events.c.seq == sa.bindparam("s"))
        .values(hash=sa.bindparam("h"), prev_hash=sa.bindparam("p"))
    )
    bind.execute(statement, updates)


def _append_only(bind: sa.Connection) -> None:
    """Take UPDATE, DELETE and TRUNCATE on the entries from every role but their owner."""
    grantees: list[str] = list(
        bind.execute(
            sa.text(
                "SELECT DISTINCT grantee FROM information_schema.role_table_grants "
                "WHERE table_name = 'audit_events' AND privilege_type IN ('UPDATE', 'DELETE', "
                "'TRUNCATE') AND grantee <> (SELECT tableowner FROM pg_tables "
                "WHERE tablename = 'audit_events' AND schemaname = current_schema())"
            )
        ).scalars()
    )
    for grantee in grantees:
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM "{grantee}"')


def downgrade() -> None:
    raise NotImplementedError("the chain cannot be given back its unkeyed hashes")
