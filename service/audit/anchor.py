"""The audit anchor: the chain's signed head, kept outside the database, and checks against it.

``triage audit head --out FILE`` writes the head (sequence, hash, time, HMAC signature) for the
authority to keep elsewhere, for example from a daily job. ``triage audit verify --head FILE``
then notices what the chain alone cannot: a chain rewritten by someone holding the key, or a
database restored to an older state (its head older than the file).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.audit.chain import head_signature_ok, signed_head
from service.audit.service import chain_key
from service.audit.tables import GENESIS_HASH, AuditEvent, AuditHead
from service.db import utcnow

FORGED = "the head file's signature does not match (another key, or the file was edited)"
OLDER = (
    "the chain ends at entry {seq}, before the head file's entry {kept}: entries were removed "
    "or the database was restored from an older copy"
)
REWRITTEN = "entry {kept} no longer has the hash the head file holds: the chain was rewritten"


def head_record(session: Session) -> dict[str, Any]:
    """The chain's head now, signed: what ``triage audit head`` writes."""
    head = session.get(AuditHead, 1)
    seq, hash_ = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    return signed_head(chain_key(session), seq=seq, hash=hash_, at=utcnow())


def head_problem(session: Session, kept: dict[str, Any]) -> str | None:
    """Why the chain does not extend the head file ``kept``, or None when it does."""
    if not head_signature_ok(chain_key(session), kept):
        return FORGED
    head = session.get(AuditHead, 1)
    seq = head.seq if head is not None else 0
    if seq < int(kept["seq"]):
        return OLDER.format(seq=seq, kept=kept["seq"])
    if int(kept["seq"]) == 0:
        return None if kept["hash"] == GENESIS_HASH else REWRITTEN.format(kept=0)
    event = session.get(AuditEvent, int(kept["seq"]))
    if event is None or event.hash != kept["hash"]:
        return REWRITTEN.format(kept=kept["seq"])
    return None
