"""The inbox page: where duty workers and team leaders land after signing in.

It calls the same inbox service as ``GET /v1/inbox`` and the claim and release routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from data.workdays import LONDON
from service.auth.schemas import Caller
from service.contacts.schemas import CONTACT_ID_PATTERN
from service.deps import ClockDep, ReadSessionDep, SessionDep, SettingsDep
from service.errors import Conflict, InvalidField, NotFound
from service.inbox import service as inbox
from service.inbox.schemas import InboxItem
from service.ui.router import Form, PageError, Worker, render, see_other

router = APIRouter(prefix="/ui", include_in_schema=False)
KINDS = {
    "awaiting_decision": "Awaiting a decision",
    "review_due": "Held open: review due",
    "assessment_open": "Assessment open",
}
PAGE_SIZE = 200


@router.get("/inbox")
def inbox_page(
    request: Request,
    caller: Worker,
    db_session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> HTMLResponse:
    """Overdue and due-today work first, who has what, and one click to claim and open."""
    query = request.query_params
    errors: dict[str, str] = {}
    kind = query.get("kind") or None
    if kind is not None and kind not in KINDS:
        errors["kind"] = "Kind: choose one of the list"
        kind = None
    team = (query.get("team") or "").strip()[:64] or None
    mine = query.get("mine") == "1"
    filters = inbox.InboxFilters(
        team=team,
        kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
        assigned_to=caller.name if mine else None,
    )
    rules = inbox.DueRules.of(settings)
    today = clock.today()
    try:
        found = inbox.list_inbox(
            db_session,
            filters,
            by=caller,
            today=today,
            rules=rules,
            limit=PAGE_SIZE,
            cursor=cursor(query),
        )
    except InvalidField:
        found = inbox.list_inbox(
            db_session, filters, by=caller, today=today, rules=rules, limit=PAGE_SIZE, cursor=None
        )
    groups = grouped(found.items, today)
    values = {"kind": kind, "team": team or "", "mine": mine}
    return render(
        request,
        "inbox.html",
        422 if errors else 200,
        groups=groups,
        page=found,
        values=values,
        errors=errors,
        kinds=KINDS,
        today=today,
        clock_text=clock_text,
        received_text=received_text,
    )


def cursor(query: Any) -> str | None:
    """The page cursor asked for, if any."""
    return query.get("cursor") or None


def grouped(items: list[InboxItem], today: date) -> list[tuple[str, list[InboxItem]]]:
    """The items under "Overdue", "Due today" and "Due later", in the inbox's order."""
    sections: dict[str, list[InboxItem]] = {"Overdue": [], "Due today": [], "Due later": []}
    for item in items:
        if item.overdue:
            sections["Overdue"].append(item)
        elif item.due_on == today:
            sections["Due today"].append(item)
        else:
            sections["Due later"].append(item)
    return [(title, found) for title, found in sections.items() if found]


def clock_text(item: InboxItem, today: date) -> str:
    """The clock in words: "due today", "2 working days overdue", "due Thu 9 May 2024"."""
    if item.overdue:
        days = item.working_days_overdue
        return f"{days} working day{'' if days == 1 else 's'} overdue"
    if item.due_on == today:
        return "due today"
    return f"due {item.due_on.strftime('%a')} {item.due_on.day} {item.due_on.strftime('%b %Y')}"


def received_text(item: InboxItem) -> str:
    """When the contact came in, in London time: "1 May 2024 09:30"."""
    at = item.received_at.astimezone(LONDON)
    return f"{at.day} {at.strftime('%b %Y %H:%M')}"


@router.post("/inbox/{contact_id}/claim")
def claim_and_open(
    contact_id: str, caller: Worker, form: Form, db_session: SessionDep
) -> RedirectResponse:
    """Claim the contact and open it (409 page naming who has it)."""
    change_claim(inbox.claim, db_session, contact_id, caller, "Someone else has this contact")
    return see_other(f"/ui/contacts/{contact_id}")


@router.post("/inbox/{contact_id}/release")
def release(
    contact_id: str, caller: Worker, form: Form, db_session: SessionDep
) -> RedirectResponse:
    """Give the contact back to the team, then back to the inbox."""
    change_claim(inbox.release, db_session, contact_id, caller, "You cannot release this contact")
    return see_other("/ui/inbox")


def change_claim(
    change: Callable[..., Any], db_session: Any, contact_id: str, caller: Caller, refused: str
) -> None:
    """Claim or release through the inbox service; its refusals as error pages (404, 409)."""
    if not re.fullmatch(CONTACT_ID_PATTERN, contact_id):
        raise PageError(404, "Contact not found", "No such contact.")
    try:
        change(db_session, contact_id, by=caller)
    except NotFound as error:
        raise PageError(404, "Contact not found", str(error.detail)) from error
    except Conflict as error:
        raise PageError(409, refused, str(error.detail)) from error
