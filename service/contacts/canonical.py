"""One canonical form per contact: legacy codes mapped, concerns ordered, times in UTC.

Two requests describe the same contact exactly when their canonical bodies are equal, which is
what idempotent scoring compares; the model reads the canonical bodies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from data.codes import LEGACY_CONCERNS, Concern
from data.contract import LONDON
from models.limits import DEFAULTABLE
from service.audit.chain import canonical_json
from service.contacts.schemas import ContactIn

_ORDER = {c.value: i for i, c in enumerate(Concern)}


@dataclass(frozen=True)
class Canonical:
    """A contact's canonical body, its JSON text and hash, and what was read differently."""

    body: dict[str, Any]
    text: str
    sha256: str
    received_at: datetime
    warnings: list[str]
    # Model inputs the request left out (read as their defaults), for the assessment's limits.
    defaulted: tuple[str, ...] = ()

    @property
    def contact_id(self) -> str:
        return self.body["contact_id"]


def canonicalise(contact: ContactIn) -> Canonical:
    """The canonical form of a validated contact."""
    received_at, time_warnings = to_utc(contact.received_at)
    concerns, concern_warnings = normalise_concerns(contact.concerns)
    body = contact.model_dump(mode="json")
    body.update(received_at=received_at.isoformat(timespec="microseconds"), concerns=concerns)
    text = canonical_json(body)
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    defaulted = tuple(f for f in DEFAULTABLE if f not in contact.model_fields_set)
    return Canonical(body, text, sha256, received_at, time_warnings + concern_warnings, defaulted)


def normalise_concerns(codes: list[str]) -> tuple[list[str], list[str]]:
    """Legacy codes read as their successors; codes in the contract's order."""
    warnings = [
        f"concerns: {code} is a legacy code, read as {LEGACY_CONCERNS[code].value}"
        for code in codes
        if code in LEGACY_CONCERNS
    ]
    read = {LEGACY_CONCERNS[c].value if c in LEGACY_CONCERNS else c for c in codes}
    return sorted(read, key=_ORDER.__getitem__), warnings


def to_utc(stamp: datetime) -> tuple[datetime, list[str]]:
    """A timestamp in UTC; a naive one is read as Europe/London, as in the files."""
    if stamp.tzinfo is not None:
        return stamp.astimezone(UTC), []
    london = ZoneInfo(LONDON)
    first = stamp.replace(tzinfo=london, fold=0)
    if first.utcoffset() == stamp.replace(tzinfo=london, fold=1).utcoffset():
        return first.astimezone(UTC), []
    if first.astimezone(UTC).astimezone(london).replace(tzinfo=None) == stamp:
        warning = (
            "received_at is ambiguous in Europe/London (the hour repeated when clocks went "
            "back); read as the first occurrence (BST)"
        )
    else:
        warning = (
            "received_at does not exist in Europe/London (clocks went forward); "
            "read as one hour later"
        )
    return first.astimezone(UTC), [warning]
