"""Stored free text against the trail: every note and contact body must still match the
fingerprint (SHA-256) its audit entry holds, so an edited note is found even though the chain
itself never holds the text.

Reads the tables of the domains that store text (decisions, reviews, completions, contacts);
writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.tables import AuditEvent
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact, ContactRevision
from service.decisions.tables import DecisionRecord
from service.reviews.tables import Review

BATCH = 1000
MISSING = "{what} has no fingerprint in the audit trail"
CHANGED = "{what} does not match the fingerprint in its audit entry (edited after it was recorded)"
# The entries that fingerprint stored text (notes, late notes, contact bodies).
TEXT_ACTIONS = (
    "decision.recorded",
    "review.resolved",
    "assessment.completed",
    "contact.scored",
    "contact.revised",
)

Key = tuple[str, str, Any]


def sha(text: str | None) -> str | None:
    """The SHA-256 of a stored text (None for none), as :func:`~service.audit.chain.fingerprint`."""
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def _print(details: dict[str, Any], name: str) -> str | None:
    value = details.get(name)
    return value["sha256"] if isinstance(value, dict) else None


def expected(session: Session) -> dict[Key, str | None]:
    """Every stored text's fingerprint as the trail holds it (the latest entry wins)."""
    found: dict[Key, str | None] = {}
    query = (
        select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.details)
        .where(AuditEvent.action.in_(TEXT_ACTIONS))
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=BATCH)
    )
    with closing(session.execute(query)) as rows:
        for action, entity_id, text in rows:
            details = json.loads(text)
            if action == "decision.recorded":
                found["decision", entity_id, "note"] = _print(details, "note")
                found["decision", entity_id, "late note"] = _print(details, "late_note")
            elif action == "review.resolved":
                found["review", entity_id, "note"] = _print(details, "note")
            elif action == "assessment.completed":
                found["completion", entity_id, "note"] = _print(details, "note")
                found["completion", entity_id, "late note"] = _print(details, "late_note")
            else:  # a contact's body: revision 1 when scored, then each revision
                revision = int(details.get("revision", 1))
                found["revision", entity_id, revision] = details.get("body_sha256")
    return found


def _stored(session: Session) -> Iterator[tuple[Key, str | None]]:
    """Every stored text's own SHA-256, keyed as :func:`expected` keys the trail's."""
    for d in session.execute(
        select(DecisionRecord.id, DecisionRecord.note, DecisionRecord.late_note)
    ).yield_per(BATCH):
        yield ("decision", d.id, "note"), sha(d.note)
        yield ("decision", d.id, "late note"), sha(d.late_note)
    for r in session.execute(
        select(Review.id, Review.note).where(Review.status == "resolved")
    ).yield_per(BATCH):
        yield ("review", r.id, "note"), sha(r.note)
    completions = select(
        AssessmentCompletion.contact_id, AssessmentCompletion.note, AssessmentCompletion.late_note
    )
    for c in session.execute(completions).yield_per(BATCH):
        yield ("completion", c.contact_id, "note"), sha(c.note)
        yield ("completion", c.contact_id, "late note"), sha(c.late_note)
    revisions = select(ContactRevision.contact_id, ContactRevision.revision, ContactRevision.body)
    for v in session.execute(revisions).yield_per(BATCH):
        yield ("revision", v.contact_id, v.revision), sha(v.body)


def problems(session: Session, *, limit: int = 20) -> list[str]:
    """Stored notes and contact bodies that do not match the trail (at most ``limit``)."""
    trail = expected(session)
    latest: dict[str, tuple[int, str | None]] = {}
    for (kind, entity_id, part), value in trail.items():
        if kind == "revision" and part >= latest.get(entity_id, (0, None))[0]:
            latest[entity_id] = (part, value)
    found: list[str] = []
    for key, value in _stored(session):
        if key not in trail and value is None:
            continue  # no text stored, none audited
        what = _name(key)
        if key not in trail:
            found.append(MISSING.format(what=what))
        elif trail[key] != value:
            found.append(CHANGED.format(what=what))
        if len(found) >= limit:
            return found
    for c in session.execute(select(Contact.contact_id, Contact.body)).yield_per(BATCH):
        if sha(c.body) != latest.get(c.contact_id, (0, None))[1]:
            found.append(CHANGED.format(what=f"contact {c.contact_id}'s body"))
        if len(found) >= limit:
            break
    return found


def _name(key: Key) -> str:
    kind, entity_id, part = key
    if kind == "revision":
        return f"contact {entity_id}'s body (revision {part})"
    if kind == "completion":
        return f"the completion of contact {entity_id}'s {part}"
    return f"{kind} {entity_id}'s {part}"
