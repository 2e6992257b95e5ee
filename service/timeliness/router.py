"""Route: the timeliness report over the store (team leaders and data teams)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from data.workdays import FixedClock
from service.auth.schemas import Caller, Role
from service.deps import ClockDep, ReadSessionDep, SettingsDep, require_roles
from service.schemas import AUTHENTICATED, NO_NUL, error_responses
from service.timeliness.schemas import TimelinessReport
from service.timeliness.service import store_report

router = APIRouter(prefix="/timeliness", tags=["timeliness"])
Reader = Annotated[Caller, Depends(require_roles(Role.TEAM_LEADER, Role.DATA_TEAM))]


@router.get(
    "/report",
    response_model=TimelinessReport,
    summary="Decisions and assessments in time by team and month, with why the late ones were late",
    responses=error_responses(*AUTHENTICATED, 422),
)
def report(
    caller: Reader,
    session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    team: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    as_at: Annotated[
        date | None, Query(description="Count 'overdue now' as at this day; default today.")
    ] = None,
) -> TimelinessReport:
    """Computed over the whole store now. Late notes (free text) go to team leaders only."""
    found = store_report(
        session,
        settings,
        clock=FixedClock(as_at) if as_at else clock,
        team=team,
        with_notes=caller.role == Role.TEAM_LEADER,
        by=caller,
    )
    return TimelinessReport.model_validate({**found, "team": team})
