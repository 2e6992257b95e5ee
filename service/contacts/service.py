"""Contacts and their assessments: score with the champion, store, read back.

This domain owns the contacts and assessments tables: other domains read a contact or its
assessment through these functions. Scoring is idempotent by ``contact_id``: the same canonical
body gives back the stored assessment, a different one is a conflict. A changed record is a new
revision (``contact_revisions``, each with its own assessment); ``contacts`` and ``assessments``
hold the latest, except ``contacts.received_at``, which keeps the first receipt. The model runs
outside any transaction, once per request; the write transaction that stores the result is short.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.settings import Settings
from models.assess import assess_records
from models.registry import LoadedModel
from narrative import Reader
from service.audit import service as audit
from service.auth.schemas import Caller
from service.auth.teams import record_break_glass, require_team, require_team_given
from service.contacts.canonical import Canonical, canonicalise
from service.contacts.schemas import ContactIn
from service.contacts.tables import Contact, ContactRevision, StoredAssessment
from service.db import Database, utcnow
from service.errors import Conflict, InvalidField, NotFound
from service.prebuilt import Prebuilt, json_text, pipelined
from service.unit_of_work import in_connection

# A contact already stored (or stored meanwhile by a concurrent request) fails the first attempt;
# the next ones re-read and answer it as a replay.
STORE_ATTEMPTS = 3


def score_contacts(
    db: Database,
    loaded: LoadedModel,
    contacts: list[ContactIn],
    *,
    by: Caller,
    settings: Settings,
    narrative: Reader | None = None,
    batch: bool = True,
) -> list[dict[str, Any]]:
    """Assess and store new contacts, replay stored ones; all or nothing, in request order."""
    items = prepare(contacts, settings, by=by, batch=batch)
    assessed = assess_contacts(loaded, items, settings, narrative=narrative)
    return save_scored(db, items, assessed, by=by)


def prepare(
    contacts: list[ContactIn], settings: Settings, *, by: Caller, batch: bool = False
) -> list[Canonical]:
    """The contacts in canonical form, once the batch is known to be acceptable (each with a
    team when ``by`` is a duty worker or team leader)."""
    items = [canonicalise(c) for c in contacts]
    check_batch(items, settings.max_batch)
    for index, contact in enumerate(contacts):
        loc: list[str | int] = ["body", "team_id"]
        if batch:
            loc = ["body", "contacts", index, "team_id"]
        require_team_given(by, contact.team_id, loc)
    return items


def save_scored(
    db: Database, items: list[Canonical], assessments: list[dict[str, Any]], *, by: Caller
) -> list[dict[str, Any]]:
    """Store assessed contacts, each attempt its own unit of work; the answers in request order.

    Optimistic first: new contacts are the common case, and storing one already stored fails
    on its primary key; only then are the stored ones read (and answered as replays). The
    assessments are made once, before, whatever the number of attempts.
    """
    for attempt in range(STORE_ATTEMPTS):
        try:
            return in_connection(db, store_scored, items, assessments, by=by, replay=attempt > 0)
        except IntegrityError:
            continue
    raise Conflict("These contacts were being stored by another request at the same time; retry.")


def store_scored(
    connection: Connection,
    items: list[Canonical],
    assessments: list[dict[str, Any]],
    *,
    by: Caller,
    replay: bool,
) -> list[dict[str, Any]]:
    """Store the new contacts with their assessments (no commit); ``replay``: read stored first."""
    stored = stored_assessments(connection, [i.contact_id for i in items]) if replay else {}
    refuse_conflicts(items, stored)
    fresh = [i for i in items if i.contact_id not in stored]
    new = [a for a in assessments if a["contact_id"] not in stored]
    store(connection, fresh, new, [i for i in items if i.contact_id in stored], by=by)
    results = {**{k: v for k, (_, v) in stored.items()}, **{a["contact_id"]: a for a in new}}
    return [{**results[i.contact_id], "warnings": i.warnings} for i in items]


def check_batch(items: list[Canonical], most: int) -> None:
    """Refuse too many contacts, or one contact_id twice, in one request."""
    if len(items) > most:
        raise InvalidField(["body", "contacts"], f"at most {most} contacts per request")
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.contact_id in seen:
            loc: list[str | int] = ["body", "contacts", index, "contact_id"]
            raise InvalidField(loc, "repeats an earlier contact_id in this request")
        seen.add(item.contact_id)


def stored_assessments(
    connection: Connection, ids: list[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """For each stored contact among ``ids``: its body hash and its assessment."""
    rows = connection.execute(_STORED, {"ids": ids})
    # For mypy: _STORED is text() SQL: its rows are untyped
    return {contact_id: (sha, assessment) for contact_id, sha, assessment in rows}  # type: ignore[misc]


_STORED = (
    select(Contact.contact_id, Contact.body_sha256, StoredAssessment.assessment)
    .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
    .where(Contact.contact_id.in_(bindparam("ids", expanding=True)))
)


def refuse_conflicts(items: list[Canonical], stored: dict[str, tuple[str, Any]]) -> None:
    """409 naming every contact already stored with a different body."""
    clashes = [
        i.contact_id
        for i in items
        if i.contact_id in stored and stored[i.contact_id][0] != i.sha256
    ]
    if clashes:
        raise Conflict(
            f"Already scored with a different body: {', '.join(clashes)}. "
            "A changed record goes to POST /v1/contacts/{contact_id}/revisions."
        )


def assess_contacts(
    loaded: LoadedModel,
    items: list[Canonical],
    settings: Settings,
    *,
    narrative: Reader | None = None,
) -> list[dict[str, Any]]:
    """The champion's assessments of the contacts, with the model and the substantive risk, and
    with ``narrative`` (the process's sentence model) each contact's narrative check."""
    records = assess_records(
        loaded.model,
        [i.body for i in items],
        surface_threshold=settings.surface_share_threshold,
        rare_cell_rows=settings.rare_cell_rows,
        defaulted=[i.defaulted for i in items],
        narrative=narrative,
    )
    model = {"name": loaded.name, "version": loaded.version, "run_id": loaded.run_id}
    # In the API's own shape (a UTC time as "...Z"; limits are built in it), so the JSON
    # stored is the answer as the response model would write it, and is sent as it is.
    assessed_at = utcnow().isoformat().replace("+00:00", "Z")
    return [
        {
            "contact_id": i.contact_id,
            "model": model,
            **r,
            "assessed_at": assessed_at,
            "warnings": i.warnings,
        }
        for i, r in zip(items, records, strict=True)
    ]


def runs_sentence_model(items: list[Canonical], narrative: Reader | None) -> bool:
    """Whether assessing ``items`` runs the sentence model (tens of milliseconds per narrative)."""
    if narrative is None or not narrative.available:
        return False
    return any(i.body.get("narrative") for i in items)


def store(
    connection: Connection,
    fresh: list[Canonical],
    assessments: list[dict[str, Any]],
    replayed: list[Canonical],
    *,
    by: Caller,
) -> None:
    """Store new contacts with their assessments and audit every score (no commit)."""
    new = [NewContact(i, a, by) for i, a in zip(fresh, assessments, strict=True)]
    store_new(connection, new, replayed=[(i, by) for i in replayed])


@dataclass(frozen=True)
class NewContact:
    """A contact to store with its assessment, for the caller who sent it."""

    item: Canonical
    assessment: dict[str, Any]
    by: Caller


def store_new(
    connection: Connection,
    new: list[NewContact],
    *,
    replayed: list[tuple[Canonical, Caller]] | None = None,
    encoded: dict[int, Any] | None = None,
) -> None:
    """Store new contacts (of one request or several) with their assessments, each created by
    its own caller, and audit every score and replay in one append (no commit). ``encoded``:
    where each assessment's JSON, as stored, is kept by the assessment's id."""
    # In contact_id order, whoever sent them: concurrent transactions insert in the same order.
    new = sorted(new, key=lambda n: n.item.contact_id)
    now = utcnow()
    entries = [(n.by, score_entry(n.item, n.assessment)) for n in new] + [
        (
            by,
            audit.Entry(
                "contact.score_replayed", "contact", i.contact_id, {"body_sha256": i.sha256}
            ),
        )
        for i, by in replayed or []
    ]
    # On PostgreSQL the inserts go with the audit head's read in one round trip, the entries
    # with the head's move in another (a duplicate contact_id raises IntegrityError at the read).
    with pipelined(connection):
        # A Core connection and plain INSERTs, not ORM objects: this runs on every request.
        if new:
            _INSERT_CONTACTS.execute(connection, [contact_row(n.item, n.by, now) for n in new])
            # Each assessment is stored twice (latest and first revision): serialised once.
            encoded = {} if encoded is None else encoded
            rows = [assessment_row(n.assessment, now) for n in new]
            _INSERT_ASSESSMENTS.execute(connection, rows, encoded=encoded)
            revisions = [revision_row(n.item, n.assessment, 1, n.by, now) for n in new]
            _INSERT_REVISIONS.execute(connection, revisions, encoded=encoded)
        audit.append_each(connection, entries)


def save_new(db: Database, new: list[NewContact]) -> list[str]:
    """Store the new contacts of several requests in one unit of work; each one's answer as
    JSON text (the assessment as stored, where the database was given it as text).

    No retry and no replay: a contact_id already stored (or twice among them) raises
    IntegrityError and stores nothing, and the caller answers each request alone
    (:func:`save_scored`)."""
    encoded: dict[int, Any] = {}
    in_connection(db, store_new, new, encoded=encoded)
    # A fresh assessment carries its request's warnings already: it is the answer as it is.
    answers = []
    for n in new:
        text = json_text(encoded, n.assessment)
        answers.append(text if text is not None else json.dumps(n.assessment))
    return answers


# Run on the driver (service.prebuilt): these run on every scored contact.
# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_CONTACTS = Prebuilt(Contact.__table__.insert())  # type: ignore[attr-defined]
# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_ASSESSMENTS = Prebuilt(StoredAssessment.__table__.insert())  # type: ignore[attr-defined]
# For mypy: a mapped class's __table__ is a Table at run time
_INSERT_REVISIONS = Prebuilt(ContactRevision.__table__.insert())  # type: ignore[attr-defined]


def contact_row(item: Canonical, by: Caller, now: datetime) -> dict[str, Any]:
    """The table row of a canonical contact."""
    return {
        "contact_id": item.contact_id,
        "body": item.text,
        "body_sha256": item.sha256,
        "received_at": item.received_at,
        "child_age_years": item.body["child_age_years"],
        "referral_source": item.body["referral_source"],
        "team_id": item.body["team_id"],
        "created_by": by.name,
        "created_at": now,
    }


def assessment_row(a: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The table row of an assessment, with the model that gave it."""
    return {
        "contact_id": a["contact_id"],
        "model_name": a["model"]["name"],
        "model_version": a["model"]["version"],
        "model_run_id": a["model"]["run_id"],
        "probability": a["risk"]["probability"],
        "band": a["risk"]["band"],
        "bands": a["risk"]["bands"],
        "surface_share": a["surface_reliance"]["share"],
        "surface_flagged": a["surface_reliance"]["flagged"],
        "substantive_probability": a["substantive_risk"]["probability"],
        "substantive_band": a["substantive_risk"]["band"],
        "assessment": a,
        "assessed_at": now,
    }


def revision_row(
    item: Canonical, a: dict[str, Any], revision: int, by: Caller, now: datetime
) -> dict[str, Any]:
    """The table row of one revision of a contact, with its assessment."""
    return {
        "contact_id": item.contact_id,
        "revision": revision,
        "body": item.text,
        "body_sha256": item.sha256,
        "received_at": item.received_at,
        "assessment": a,
        "model_name": a["model"]["name"],
        "model_version": a["model"]["version"],
        "model_run_id": a["model"]["run_id"],
        "created_by": by.name,
        "created_at": now,
    }


def score_entry(item: Canonical, a: dict[str, Any]) -> audit.Entry:
    """What the audit trail keeps of a score (no narrative: the body's hash stands for it)."""
    details = {
        "body_sha256": item.sha256,
        "model_name": a["model"]["name"],
        "model_run_id": a["model"]["run_id"],
        "probability": a["risk"]["probability"],
        "band": a["risk"]["band"],
        "substantive_band": a["substantive_risk"]["band"],
        "surface_flagged": a["surface_reliance"]["flagged"],
    }
    return audit.Entry("contact.scored", "contact", item.contact_id, details, a["model"]["version"])


def get_contact(
    session: Session, contact_id: str, *, by: Caller, break_glass: str | None = None
) -> dict[str, Any]:
    """A stored contact of ``by``'s teams, its (latest) assessment and its revisions, or
    NotFound; the viewing is audited (no commit). With a ``break_glass`` reason, a contact of
    any team, the read recorded with the reason."""
    contact, assessment = contact_and_assessment(session, contact_id)
    if break_glass is None:
        require_team(by, contact.team_id, f"No contact {contact_id}.")
    else:
        record_break_glass(session, by, contact_id, contact.team_id, break_glass)
    audit.append(
        session, by, "contact.viewed", "contact", contact_id, model_version=assessment.model_version
    )
    return {
        "contact": json_body(contact),
        "assessment": assessment.assessment,
        "revisions": list_revisions(session, contact_id),
    }


def contact_and_assessment(session: Session, contact_id: str) -> tuple[Contact, StoredAssessment]:
    """A stored contact and its assessment, or NotFound."""
    row = session.execute(
        select(Contact, StoredAssessment)
        .join(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .where(Contact.contact_id == contact_id)
    ).first()
    if row is None:
        raise NotFound(f"No contact {contact_id}.")
    return row[0], row[1]


def json_body(contact: Contact) -> dict[str, Any]:
    """The stored canonical body."""
    return json.loads(contact.body)


# --- revisions -------------------------------------------------------------------------------


def save_revision(
    db: Database, item: Canonical, assessment: dict[str, Any], *, by: Caller
) -> dict[str, Any]:
    """Store a changed record of a stored contact as its next revision (each attempt its own unit
    of work); the same record as the latest answers the latest. Two revisions at once clash on
    the revision number: the loser re-reads and goes after."""
    for _ in range(STORE_ATTEMPTS):
        try:
            return in_connection(db, store_revision, item, assessment, by=by)
        except IntegrityError:
            continue
    raise Conflict("This contact was being revised by another request at the same time; retry.")


def store_revision(
    connection: Connection, item: Canonical, assessment: dict[str, Any], *, by: Caller
) -> dict[str, Any]:
    """Append a revision and make it the contact's current record and assessment (no commit).

    ``contacts.received_at`` is left alone: due dates run from the first receipt.
    """
    latest = connection.execute(_LATEST_REVISION, {"contact_id": item.contact_id}).first()
    if latest is None:
        raise NotFound(f"No contact {item.contact_id}.")
    team_id = connection.scalar(
        select(Contact.team_id).where(Contact.contact_id == item.contact_id)
    )
    # The stored contact must be of the caller's teams; the revision may move it to another.
    require_team(by, team_id, f"No contact {item.contact_id}.")
    number, sha, stored = int(latest[0]), str(latest[1]), dict(latest[2])
    if sha == item.sha256:
        details = {"body_sha256": item.sha256, "revision": number}
        entry = audit.Entry("contact.revision_replayed", "contact", item.contact_id, details)
        audit.append_all(connection, by, [entry])
        return {**stored, "revision": number, "warnings": item.warnings}
    number += 1
    now = utcnow()
    _INSERT_REVISIONS.execute(connection, [revision_row(item, assessment, number, by, now)])
    contact = contact_row(item, by, now)
    connection.execute(_UPDATE_CONTACT, new_values(item.contact_id, contact, _REVISED_FIELDS))
    row = assessment_row(assessment, now)
    connection.execute(_UPDATE_ASSESSMENT, new_values(item.contact_id, row, _ASSESSMENT_FIELDS))
    entry = score_entry(item, assessment)
    entry = audit.Entry(
        "contact.revised",
        entry.entity,
        entry.entity_id,
        {**entry.details, "revision": number},
        entry.model_version,
    )
    audit.append_all(connection, by, [entry])
    return {**assessment, "revision": number}


# What a revision changes in ``contacts``: not its id, first receipt, creator or creation time.
_REVISED_FIELDS = ("body", "body_sha256", "child_age_years", "referral_source", "team_id")
_TEAM = select(Contact.team_id).where(Contact.contact_id == bindparam("contact_id"))
_LATEST_REVISION = (
    select(ContactRevision.revision, ContactRevision.body_sha256, ContactRevision.assessment)
    .where(ContactRevision.contact_id == bindparam("contact_id"))
    .order_by(ContactRevision.revision.desc())
    .limit(1)
)
_UPDATE_CONTACT = (
    update(Contact.__table__)  # type: ignore[arg-type]
    .where(Contact.__table__.c.contact_id == bindparam("id"))
    .values({f: bindparam(f"new_{f}") for f in _REVISED_FIELDS})
)
_ASSESSMENT_FIELDS = [c.name for c in StoredAssessment.__table__.c if c.name != "contact_id"]
_UPDATE_ASSESSMENT = (
    update(StoredAssessment.__table__)  # type: ignore[arg-type]
    .where(StoredAssessment.__table__.c.contact_id == bindparam("id"))
    .values({f: bindparam(f"new_{f}") for f in _ASSESSMENT_FIELDS})
)


def new_values(contact_id: str, row: dict[str, Any], fields: Any) -> dict[str, Any]:
    """The parameters of an UPDATE of ``fields`` of a contact's row."""
    return {"id": contact_id, **{f"new_{f}": row[f] for f in fields}}


def list_revisions(session: Session, contact_id: str) -> list[dict[str, Any]]:
    """A contact's revisions, oldest first, each with its estimate and what it changed."""
    rows = session.execute(
        select(ContactRevision)
        .where(ContactRevision.contact_id == contact_id)
        .order_by(ContactRevision.revision)
    ).scalars()
    out, before = [], None
    for row in rows:
        body = json.loads(row.body)
        out.append(
            {
                "revision": row.revision,
                "received_at": row.received_at,
                "created_at": row.created_at,
                "created_by": row.created_by,
                "probability": row.assessment["risk"]["probability"],
                "band": row.assessment["risk"]["band"],
                "changed_fields": changed_fields(before, body) if before is not None else [],
            }
        )
        before = body
    return out


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields a revision changed, old and new; a narrative's text is never repeated."""
    changes = []
    for field in new:  # every canonical body has every field, in the contract's order
        if old.get(field) == new[field]:
            continue
        if field == "narrative":
            changes.append({"field": field, "old": None, "new": None})
        else:
            changes.append({"field": field, "old": old.get(field), "new": new[field]})
    return changes
