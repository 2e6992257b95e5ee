"""Route: the monitoring report of the service's own store (data teams and team leaders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from service.auth.schemas import Caller, Role
from service.deps import DatabaseDep, SettingsDep, require_roles
from service.monitoring.schemas import MonitoringReport
from service.reports.deps import RefresherDep
from service.reports.schemas import report_responses
from service.reports.service import stored_report

router = APIRouter(prefix="/monitoring", tags=["monitoring"])
# Who may read the report and ask for it to be recomputed.
Reader = Annotated[Caller, Depends(require_roles(Role.DATA_TEAM, Role.TEAM_LEADER))]
REFRESH = "Recompute over the whole store now (within TRIAGE_REPORT_REFRESH_SECONDS) and store it."


@router.get(
    "/report",
    response_model=MonitoringReport,
    summary="The latest stored monitoring report: drift, decisions, workload, performance, alerts",
    responses=report_responses(),
)
def report(
    caller: Reader,
    db: DatabaseDep,
    settings: SettingsDep,
    refresher: RefresherDep,
    refresh: Annotated[bool, Query(description=REFRESH)] = False,
) -> Response:
    """Every stored contact against the champion's reference profile, as last stored."""
    served = stored_report(db, "monitoring", settings, refresher, by=caller.name, refresh=refresh)
    return Response(served.as_json(), media_type="application/json")
