"""Route: the monitoring report of the service's own store (data teams and team leaders)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from service.auth.schemas import Caller, Role
from service.deps import ReadSessionDep, SettingsDep, require_roles
from service.monitoring import service
from service.monitoring.schemas import MonitoringReport
from service.schemas import AUTHENTICATED, error_responses

router = APIRouter(prefix="/monitoring", tags=["monitoring"])
Reader = Annotated[Caller, Depends(require_roles(Role.DATA_TEAM, Role.TEAM_LEADER))]


@router.get(
    "/report",
    response_model=MonitoringReport,
    summary="Drift, decision patterns, workload and performance by month, with alerts",
    responses=error_responses(*AUTHENTICATED, 503),
)
def report(caller: Reader, session: ReadSessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Monitor every stored contact against the champion's reference profile."""
    return service.monitoring_report(session, settings)
