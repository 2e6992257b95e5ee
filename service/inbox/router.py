"""Routes of the inbox (duty workers and team leaders; assigning is for team leaders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service.deps import ClockDep, Leader, ReadSessionDep, SessionDep, SettingsDep, Worker
from service.inbox import service
from service.inbox.schemas import AssignIn, ClaimOut, InboxKind, InboxPage
from service.schemas import AUTHENTICATED, JSON_BODY, NO_NUL, error_responses

router = APIRouter(prefix="/inbox", tags=["inbox"])
ContactIdPath = Annotated[str, Path(max_length=64, pattern=NO_NUL)]


@router.get(
    "",
    response_model=InboxPage,
    summary="The team's open work by due day: awaiting decision, review due, assessment open",
    responses=error_responses(*AUTHENTICATED, 422),
)
def list_inbox(
    caller: Worker,
    session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    team: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    kind: InboxKind | None = None,
    assigned_to: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next` from the previous page.")
    ] = None,
) -> InboxPage:
    """What is waiting, what is due and who has it; ordered by due day then time received.
    The band is shown for information and never changes the order."""
    filters = service.InboxFilters(team=team, kind=kind, assigned_to=assigned_to, overdue=overdue)
    rules = service.DueRules.of(settings)
    return service.list_inbox(
        session, filters, by=caller, today=clock.today(), rules=rules, limit=limit, cursor=cursor
    )


@router.post(
    "/{contact_id}/claim",
    response_model=ClaimOut,
    summary="Claim a contact for yourself",
    responses=error_responses(*AUTHENTICATED, 404, 409, 422),
)
def claim(caller: Worker, session: SessionDep, contact_id: ContactIdPath) -> ClaimOut:
    """Take the contact so nobody duplicates the work; 409 naming who has it otherwise."""
    return service.claim(session, contact_id, by=caller)


@router.post(
    "/{contact_id}/assign",
    response_model=ClaimOut,
    summary="Assign a contact to a duty worker or team leader",
    responses=error_responses(*AUTHENTICATED, *JSON_BODY, 404),
)
def assign(
    caller: Leader, session: SessionDep, contact_id: ContactIdPath, body: AssignIn
) -> ClaimOut:
    """Give the contact to an active duty worker or team leader (422 naming `assignee` else)."""
    return service.assign(session, contact_id, body.assignee, by=caller)


@router.post(
    "/{contact_id}/release",
    response_model=ClaimOut,
    summary="Release a claimed contact back to the team",
    responses=error_responses(*AUTHENTICATED, 404, 409, 422),
)
def release(caller: Worker, session: SessionDep, contact_id: ContactIdPath) -> ClaimOut:
    """Give the contact back: its holder may, and so may a team leader; 409 otherwise."""
    return service.release(session, contact_id, by=caller)
