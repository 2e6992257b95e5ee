"""The inbox: open work read across contacts, decisions and completions; claims owned here.

Services never commit: the request's unit of work does.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from math import ceil
from typing import Any

from sqlalchemy import bindparam, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from config.settings import Settings
from data.workdays import (
    ASSESSMENT_DECISIONS,
    LONDON,
    add_working_days,
    london_date,
    working_days_between,
)
from service.audit import service as audit
from service.auth.schemas import Caller, Role
from service.auth.service import active_user
from service.auth.teams import in_team, require_team, team_filter
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact, StoredAssessment
from service.db import utcnow
from service.decisions.tables import DecisionRecord
from service.errors import Conflict, InvalidField, NotFound
from service.inbox.schemas import ClaimOut, InboxItem, InboxKind, InboxPage
from service.inbox.tables import InboxClaim

# Who may hold a contact: the people who decide on contacts.
HOLDERS = (Role.DUTY_WORKER, Role.TEAM_LEADER)


@dataclass(frozen=True)
class InboxFilters:
    """Which open work to list."""

    team: str | None = None
    kind: InboxKind | None = None
    assigned_to: str | None = None
    overdue: bool | None = None


@dataclass(frozen=True)
class DueRules:
    """How many working days after receipt a decision and an assessment are due."""

    decision_working_days: int
    assessment_working_days: int

    @classmethod
    def of(cls, settings: Settings) -> DueRules:
        """The rules the settings give."""
        return cls(settings.decision_due_working_days, settings.assessment_due_working_days)


def list_inbox(
    session: Session,
    filters: InboxFilters,
    *,
    by: Caller,
    today: date,
    rules: DueRules,
    limit: int,
    cursor: str | None,
) -> InboxPage:
    """One page of open work, by due day, then time received (never by band).

    Each kind of work is a stream already in due order: a decision or an assessment falls due a
    fixed number of working days after receipt, so ordering by time received orders by due day
    (and held-open work is ordered by ``review_by``). The streams are read from the database in
    chunks, starting where the cursor's due day can first be reached, and merged, so a page costs
    about its own size whatever the length of the inbox. Only ``by``'s teams' work is listed.
    """
    after = parse_cursor(cursor) if cursor is not None else None
    kinds = [k for k in KIND_ORDER if filters.kind in (None, k)]
    streams = [
        stream(session, kind, filters, by=by, today=today, rules=rules, after=after)
        for kind in kinds
    ]
    entries = list(islice(heapq.merge(*streams, key=lambda entry: entry[0]), limit + 1))
    page = [to_item(row, kind, due=key[0], today=today) for key, kind, row in entries[:limit]]
    more = len(entries) > limit
    return InboxPage(items=page, next=make_cursor(page[-1]) if more else None)


KIND_ORDER: tuple[InboxKind, ...] = ("awaiting_decision", "review_due", "assessment_open")
CHUNK = 200


def stream(
    session: Session,
    kind: InboxKind,
    filters: InboxFilters,
    *,
    by: Caller,
    today: date,
    rules: DueRules,
    after: tuple[date, datetime, str] | None,
) -> Iterator[tuple[tuple[date, datetime, str], InboxKind, Any]]:
    """The open work of one kind of ``by``'s teams, in the inbox's order, after the cursor."""
    query = kind_query(kind, filters, today=today, rules=rules, after=after)
    query = query.where(team_filter(by, Contact.team_id))
    position: tuple[Any, ...] | None = None
    while True:
        chunk_query = query if position is None else query.where(after_position(kind, position))
        rows = session.execute(chunk_query.limit(CHUNK)).all()
        for row in rows:
            due = due_day(kind, row.received_at, row.review_by, rules)
            key = (due, row.received_at, row.contact_id)
            if after is None or key > after:
                yield key, kind, row
        if len(rows) < CHUNK:
            return
        last = rows[-1]
        position = (
            (last.review_by, last.received_at, last.contact_id)
            if kind == "review_due"
            else (last.received_at, last.contact_id)
        )


def after_position(kind: InboxKind, position: tuple[Any, ...]) -> Any:
    """Rows after ``position`` in a stream's order (values bound with their columns' types)."""
    columns = order_columns(kind)
    values = [bindparam(None, v, type_=c.type) for c, v in zip(columns, position, strict=True)]
    return tuple_(*columns) > tuple_(*values)


def order_columns(kind: InboxKind) -> tuple[Any, ...]:
    """The columns a stream is ordered by."""
    if kind == "review_due":
        return (DecisionRecord.review_by, Contact.received_at, Contact.contact_id)
    return (Contact.received_at, Contact.contact_id)


def kind_query(
    kind: InboxKind,
    filters: InboxFilters,
    *,
    today: date,
    rules: DueRules,
    after: tuple[date, datetime, str] | None,
) -> Any:
    """Open work of one kind, in stream order, narrowed by the filters, the cursor and today.

    No decision yet: awaiting a decision. An assessment or strategy discussion stays open until
    its assessment is completed, whatever its ``review_by``; any other decision held open with a
    ``review_by`` comes back on that day.
    """
    other = aliased(DecisionRecord)  # the contact's decisions, apart from the one selected
    latest = (
        select(func.max(other.seq)).where(other.contact_id == Contact.contact_id).scalar_subquery()
    )
    undecided = kind == "awaiting_decision"
    query = (
        select(
            Contact.contact_id,
            Contact.team_id,
            Contact.received_at,
            StoredAssessment.band,
            (literal(None) if undecided else DecisionRecord.decision).label("decision"),
            (literal(None) if undecided else DecisionRecord.review_by).label("review_by"),
            InboxClaim.claimed_by,
        )
        .outerjoin(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .outerjoin(InboxClaim, InboxClaim.contact_id == Contact.contact_id)
        .order_by(*order_columns(kind))
    )
    if undecided:
        decided = select(other.seq).where(other.contact_id == Contact.contact_id)
        query = query.where(~decided.exists())
    else:
        completed = select(AssessmentCompletion.contact_id).where(
            AssessmentCompletion.contact_id == Contact.contact_id
        )
        query = query.join(DecisionRecord, DecisionRecord.seq == latest)
        if kind == "assessment_open":
            query = query.where(
                DecisionRecord.decision.in_(ASSESSMENT_DECISIONS), ~completed.exists()
            )
        else:
            query = query.where(
                DecisionRecord.decision.not_in(ASSESSMENT_DECISIONS),
                DecisionRecord.review_by.is_not(None),
                DecisionRecord.review_by <= today,
            )
    if filters.team is not None:
        query = query.where(Contact.team_id == filters.team)
    if filters.assigned_to is not None:
        query = query.where(InboxClaim.claimed_by == filters.assigned_to)
    # Due before today (overdue) or not, and due no earlier than the cursor's day.
    if kind == "review_due":
        if filters.overdue is not None:
            query = query.where(
                DecisionRecord.review_by < today
                if filters.overdue
                else DecisionRecord.review_by >= today
            )
        if after is not None:
            query = query.where(DecisionRecord.review_by >= after[0])
        return query
    days = (
        rules.assessment_working_days if kind == "assessment_open" else rules.decision_working_days
    )
    if filters.overdue is not None:
        first_not_overdue = london_midnight(first_received_day_due_by(today, days))
        query = query.where(
            Contact.received_at < first_not_overdue
            if filters.overdue
            else Contact.received_at >= first_not_overdue
        )
    if after is not None:
        query = query.where(
            Contact.received_at >= london_midnight(first_received_day_due_by(after[0], days))
        )
    return query


@lru_cache(maxsize=1024)
def first_received_day_due_by(day: date, working_days: int) -> date:
    """The earliest receipt day whose due day is ``day`` or later (due days never go back)."""
    # n working days span at most 1.4 n calendar days plus a run of bank holidays.
    low, high = day - timedelta(days=ceil(1.4 * working_days) + 10), day
    while low < high:
        middle = low + (high - low) // 2
        if working_days_after(middle, working_days) >= day:
            high = middle
        else:
            low = middle + timedelta(days=1)
    return low


def london_midnight(day: date) -> datetime:
    """The first instant of a London calendar day."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON)


def due_day(
    kind: InboxKind, received_at: datetime, review_by: date | None, rules: DueRules
) -> date:
    """The working day the contact's next step is due."""
    if kind == "review_due":
        assert review_by is not None
        return review_by
    days = (
        rules.assessment_working_days if kind == "assessment_open" else rules.decision_working_days
    )
    return working_days_after(london_date(received_at), days)


def to_item(row: Any, kind: InboxKind, *, due: date, today: date) -> InboxItem:
    """The inbox entry of one queried row."""
    return InboxItem(
        contact_id=row.contact_id,
        kind=kind,
        team_id=row.team_id,
        received_at=row.received_at,
        due_on=due,
        overdue=due < today,
        working_days_overdue=max(working_days_late(due, today), 0),
        claimed_by=row.claimed_by,
        band=row.band,
        decision=row.decision,
    )


@lru_cache(maxsize=8192)
def working_days_after(day: date, working_days: int) -> date:
    """``add_working_days``, remembered: a team's inbox has many contacts received each day."""
    return add_working_days(day, working_days)


@lru_cache(maxsize=8192)
def working_days_late(due: date, today: date) -> int:
    """Working days from ``due`` to ``today``, remembered (many items share a due day)."""
    return working_days_between(due, today)


CURSOR_SEPARATOR = "~"


def make_cursor(item: InboxItem) -> str:
    """The cursor of the page after ``item``: its due day, time received and id."""
    parts = (item.due_on.isoformat(), item.received_at.isoformat(), item.contact_id)
    return CURSOR_SEPARATOR.join(parts)


def parse_cursor(cursor: str) -> tuple[date, datetime, str]:
    """The position a page's ``next`` cursor names."""
    parts = cursor.split(CURSOR_SEPARATOR)
    try:
        if len(parts) != 3:
            raise ValueError(cursor)
        due, received = date.fromisoformat(parts[0]), datetime.fromisoformat(parts[1])
        if received.tzinfo is None:
            raise ValueError(cursor)
    except ValueError:
        raise InvalidField(["query", "cursor"], "is not a cursor this API gave") from None
    return due, received, parts[2]


# --- who has what --------------------------------------------------------------------------


def claim(session: Session, contact_id: str, *, by: Caller) -> ClaimOut:
    """Take a contact for yourself; Conflict naming the holder if someone else has it.

    The claim is one insert that does nothing on conflict, so of two claims at once exactly one
    wins on every database; claiming what you already hold changes nothing.
    """
    require_contact(session, contact_id, by=by)
    row = {"contact_id": contact_id, "claimed_by": by.name, "claimed_at": utcnow()}
    statement = upsert(session, row, replace=False).returning(InboxClaim.contact_id)
    inserted = session.execute(statement).scalar() is not None
    claim_row = session.get(InboxClaim, contact_id, populate_existing=True)
    assert claim_row is not None  # inserted now, or held by someone
    if not inserted and claim_row.claimed_by != by.name:
        raise Conflict(f"Contact {contact_id} is already claimed by {claim_row.claimed_by}.")
    if inserted:
        audit.append(session, by, "inbox.claimed", "contact", contact_id)
    return to_claim(claim_row)


def assign(session: Session, contact_id: str, assignee: str, *, by: Caller) -> ClaimOut:
    """Give a contact to an active duty worker or team leader of its team (taking it from its
    holder)."""
    team_id = require_contact(session, contact_id, by=by)
    user = active_user(session, assignee)
    if user is None or Role(user.role) not in HOLDERS or not in_team(session, assignee, team_id):
        msg = f"must name an active duty worker or team leader of team {team_id}"
        raise InvalidField(["body", "assignee"], msg, "invalid_assignee")
    previous = holder(session, contact_id, lock=True)
    row = {
        "contact_id": contact_id,
        "claimed_by": assignee,
        "claimed_at": utcnow(),
        "assigned_by": by.name,
    }
    session.execute(upsert(session, row, replace=True))
    details = {"assignee": assignee, "previous": previous}
    audit.append(session, by, "inbox.assigned", "contact", contact_id, details)
    claim_row = session.get(InboxClaim, contact_id, populate_existing=True)
    assert claim_row is not None
    return to_claim(claim_row)


def release(session: Session, contact_id: str, *, by: Caller) -> ClaimOut:
    """Give a contact back to the team: its holder may, and so may a team leader."""
    require_contact(session, contact_id, by=by)
    claim_row = session.scalars(
        select(InboxClaim).where(InboxClaim.contact_id == contact_id).with_for_update()
    ).first()
    if claim_row is None:
        raise Conflict(f"Contact {contact_id} is not claimed by anyone.")
    if claim_row.claimed_by != by.name and by.role != Role.TEAM_LEADER:
        raise Conflict(
            f"Contact {contact_id} is claimed by {claim_row.claimed_by}; "
            "only they or a team leader can release it."
        )
    previous = claim_row.claimed_by
    session.delete(claim_row)
    session.flush()
    audit.append(session, by, "inbox.released", "contact", contact_id, {"previous": previous})
    return ClaimOut(contact_id=contact_id, claimed_by=None, claimed_at=None, assigned_by=None)


def holder(session: Session, contact_id: str, *, lock: bool = False) -> str | None:
    """Who has the contact now, if anyone."""
    query = select(InboxClaim.claimed_by).where(InboxClaim.contact_id == contact_id)
    return session.scalar(query.with_for_update() if lock else query)


def require_contact(session: Session, contact_id: str, *, by: Caller) -> str | None:
    """The contact's team; NotFound unless it is stored and of ``by``'s teams."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    require_team(by, contact.team_id, f"No contact {contact_id}.")
    return contact.team_id


def upsert(session: Session, row: dict[str, Any], *, replace: bool) -> Any:
    """An insert of a claim that does nothing (or replaces the holder) on conflict."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(InboxClaim).values(**row)
    if replace:
        changes = {k: statement.excluded[k] for k in ("claimed_by", "claimed_at", "assigned_by")}
        return statement.on_conflict_do_update(index_elements=["contact_id"], set_=changes)
    return statement.on_conflict_do_nothing(index_elements=["contact_id"])


def to_claim(row: InboxClaim) -> ClaimOut:
    """The API shape of a claim."""
    return ClaimOut(
        contact_id=row.contact_id,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        assigned_by=row.assigned_by,
    )
