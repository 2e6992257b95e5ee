"""The inbox: open work read across contacts, decisions and completions; claims owned here.

Services never commit: the request's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config.settings import Settings
from data.workdays import (
    ASSESSMENT_DECISIONS,
    add_working_days,
    london_date,
    working_days_between,
)
from service.audit import service as audit
from service.auth.schemas import Caller, Role
from service.auth.service import active_user
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
    today: date,
    rules: DueRules,
    limit: int,
    cursor: str | None,
) -> InboxPage:
    """One page of open work, by due day, then time received (never by band)."""
    after = parse_cursor(cursor) if cursor is not None else None
    items = [
        item
        for row in session.execute(open_work_query(filters, today)).all()
        if (item := to_item(row, today=today, rules=rules)) is not None
        and (filters.kind is None or item.kind == filters.kind)
        and (filters.overdue is None or item.overdue == filters.overdue)
    ]
    items.sort(key=order_key)
    if after is not None:
        items = [item for item in items if order_key(item) > after]
    page = items[:limit]
    more = len(items) > limit
    return InboxPage(items=page, next=make_cursor(page[-1]) if more else None)


def open_work_query(filters: InboxFilters, today: date) -> Any:
    """Contacts with no decision, held open until today or earlier, or in an open assessment."""
    latest = (
        select(DecisionRecord.contact_id, func.max(DecisionRecord.seq).label("seq"))
        .group_by(DecisionRecord.contact_id)
        .subquery()
    )
    query = (
        select(
            Contact.contact_id,
            Contact.team_id,
            Contact.received_at,
            StoredAssessment.band,
            DecisionRecord.decision,
            DecisionRecord.review_by,
            AssessmentCompletion.contact_id.label("completed"),
            InboxClaim.claimed_by,
        )
        .outerjoin(StoredAssessment, StoredAssessment.contact_id == Contact.contact_id)
        .outerjoin(latest, latest.c.contact_id == Contact.contact_id)
        .outerjoin(DecisionRecord, DecisionRecord.seq == latest.c.seq)
        .outerjoin(AssessmentCompletion, AssessmentCompletion.contact_id == Contact.contact_id)
        .outerjoin(InboxClaim, InboxClaim.contact_id == Contact.contact_id)
        .where(
            or_(
                DecisionRecord.seq.is_(None),
                and_(
                    DecisionRecord.decision.in_(ASSESSMENT_DECISIONS),
                    AssessmentCompletion.contact_id.is_(None),
                ),
                and_(DecisionRecord.review_by.is_not(None), DecisionRecord.review_by <= today),
            )
        )
    )
    if filters.team is not None:
        query = query.where(Contact.team_id == filters.team)
    if filters.assigned_to is not None:
        query = query.where(InboxClaim.claimed_by == filters.assigned_to)
    return query


def kind_of(
    decision: str | None, review_by: date | None, completed: bool, *, today: date
) -> InboxKind | None:
    """What a contact waits for, or None when nothing is due from the front door.

    An assessment stays open until completed, whatever its ``review_by``; any other decision
    held open comes back on its ``review_by`` day.
    """
    if decision is None:
        return "awaiting_decision"
    if decision in ASSESSMENT_DECISIONS:
        return None if completed else "assessment_open"
    if review_by is not None and review_by <= today:
        return "review_due"
    return None


def to_item(row: Any, *, today: date, rules: DueRules) -> InboxItem | None:
    """The inbox entry of one queried row (None if nothing is due)."""
    kind = kind_of(row.decision, row.review_by, row.completed is not None, today=today)
    if kind is None:
        return None
    received = london_date(row.received_at)
    if kind == "review_due":
        due = row.review_by
    elif kind == "assessment_open":
        due = working_days_after(received, rules.assessment_working_days)
    else:
        due = working_days_after(received, rules.decision_working_days)
    late = max(working_days_between(due, today), 0) if due < today else 0
    return InboxItem(
        contact_id=row.contact_id,
        kind=kind,
        team_id=row.team_id,
        received_at=row.received_at,
        due_on=due,
        overdue=due < today,
        working_days_overdue=late,
        claimed_by=row.claimed_by,
        band=row.band,
        decision=row.decision,
    )


@lru_cache(maxsize=8192)
def working_days_after(day: date, working_days: int) -> date:
    """``add_working_days``, remembered: a team's inbox has many contacts received each day."""
    return add_working_days(day, working_days)


def order_key(item: InboxItem) -> tuple[str, str, str]:
    """Due day, then time received, then id: the inbox's order and its cursor."""
    return (item.due_on.isoformat(), item.received_at.isoformat(), item.contact_id)


CURSOR_SEPARATOR = "~"


def make_cursor(item: InboxItem) -> str:
    """The cursor of the page after ``item``."""
    return CURSOR_SEPARATOR.join(order_key(item))


def parse_cursor(cursor: str) -> tuple[str, str, str]:
    """The position a page's ``next`` cursor names."""
    parts = cursor.split(CURSOR_SEPARATOR)
    try:
        if len(parts) != 3:
            raise ValueError(cursor)
        date.fromisoformat(parts[0])
        datetime.fromisoformat(parts[1])
    except ValueError:
        raise InvalidField(["query", "cursor"], "is not a cursor this API gave") from None
    return parts[0], parts[1], parts[2]


# --- who has what --------------------------------------------------------------------------


def claim(session: Session, contact_id: str, *, by: Caller) -> ClaimOut:
    """Take a contact for yourself; Conflict naming the holder if someone else has it.

    The claim is one insert that does nothing on conflict, so of two claims at once exactly one
    wins on every database; claiming what you already hold changes nothing.
    """
    require_contact(session, contact_id)
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
    """Give a contact to an active duty worker or team leader (taking it from its holder)."""
    require_contact(session, contact_id)
    user = active_user(session, assignee)
    if user is None or Role(user.role) not in HOLDERS:
        msg = "must name an active duty worker or team leader"
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
    require_contact(session, contact_id)
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


def require_contact(session: Session, contact_id: str) -> None:
    """NotFound unless the contact is stored."""
    if session.get(Contact, contact_id) is None:
        raise NotFound(f"No contact {contact_id}.")


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
