"""The hash chain's arithmetic, pure: canonical JSON, each entry's hash and the signed head.

``hash = HMAC-SHA256(key, canonical JSON of every other field, including prev_hash)``, so
changing any field of any entry, removing one or reordering them breaks the chain from that
entry on, and without the key (TRIAGE_AUDIT_KEY, kept outside the database) nobody can
recompute a rewritten chain. The signed head (:func:`signed_head`), kept elsewhere, anchors it:
a chain rewritten with the key, or rolled back, no longer holds the head's entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(text: str) -> dict[str, Any]:
    """What the trail keeps of free text: its SHA-256 and length, never the text."""
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "length": len(text)}


def entry_hash(key: bytes, **fields: Any) -> str:
    """The HMAC of one entry, keyed by ``key``, from its fields (seq, at, actor, action, entity,
    entity_id, model_version, request_id, details as stored, prev_hash)."""
    return _mac(key, _entry_fields(**fields))


def legacy_entry_hash(**fields: Any) -> str:
    """The unkeyed SHA-256 of an entry, as chains were hashed before the HMAC (migration 0710)."""
    return hashlib.sha256(canonical_json(_entry_fields(**fields)).encode()).hexdigest()


def _mac(key: bytes, value: Any) -> str:
    return hmac.new(key, canonical_json(value).encode(), hashlib.sha256).hexdigest()


def _entry_fields(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    model_version: str | None,
    request_id: str | None,
    details: str,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "model_version": model_version,
        "request_id": request_id,
        "details": details,  # the stored canonical JSON text, as stored
        "prev_hash": prev_hash,
    }


def signed_head(key: bytes, *, seq: int, hash: str, at: datetime) -> dict[str, Any]:
    """The chain's head as a record to keep outside the database: sequence, hash, time, and
    an HMAC over the three."""
    head = {"seq": seq, "hash": hash, "at": at.isoformat(timespec="seconds")}
    return {**head, "signature": _mac(key, head)}


def head_signature_ok(key: bytes, head: dict[str, Any]) -> bool:
    """Whether a head record's signature is the HMAC of its sequence, hash and time."""
    fields = {k: head.get(k) for k in ("seq", "hash", "at")}
    return hmac.compare_digest(str(head.get("signature", "")), _mac(key, fields))
