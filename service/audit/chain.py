"""The hash chain's arithmetic, pure: canonical JSON and each entry's hash.

``hash = sha256(canonical JSON of every other field, including prev_hash)``, so changing any
field of any entry, removing one or reordering them breaks the chain from that entry on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(text: str) -> dict[str, Any]:
    """What the trail keeps of free text: its SHA-256 and length, never the text."""
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "length": len(text)}


def entry_hash(
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
) -> str:
    """The hash of one entry from its fields and its predecessor's hash."""
    fields = {
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
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()
