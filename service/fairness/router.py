"""Route: the fairness audit of the service's own decisions (team leaders and data teams)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from service.auth.schemas import Caller, Role
from service.deps import DatabaseDep, SettingsDep, require_roles
from service.fairness.schemas import FairnessReport
from service.reports.deps import RefresherDep
from service.reports.schemas import report_responses
from service.reports.service import stored_report

router = APIRouter(prefix="/fairness", tags=["fairness"])
# Who may read the report and ask for it to be recomputed.
Reader = Annotated[Caller, Depends(require_roles(Role.TEAM_LEADER, Role.DATA_TEAM))]
REFRESH = "Recompute over the whole store now (within TRIAGE_REPORT_REFRESH_SECONDS) and store it."


@router.get(
    "/report",
    response_model=FairnessReport,
    summary="The latest stored fairness audit of the decisions, how old it is and what it covers",
    responses=report_responses(),
)
def report(
    caller: Reader,
    db: DatabaseDep,
    settings: SettingsDep,
    refresher: RefresherDep,
    refresh: Annotated[bool, Query(description=REFRESH)] = False,
) -> Response:
    """Decisions, model and workload audits of every scored contact with a decision, as stored."""
    served = stored_report(db, "fairness", settings, refresher, by=caller.name, refresh=refresh)
    return Response(served.as_json(), media_type="application/json")
