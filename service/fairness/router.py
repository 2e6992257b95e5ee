"""Route: the fairness audit of the service's own decisions (team leaders and data teams)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from service.auth.schemas import Caller, Role
from service.deps import ReadSessionDep, SettingsDep, require_roles
from service.fairness import service
from service.fairness.schemas import FairnessReport
from service.schemas import AUTHENTICATED, error_responses

router = APIRouter(prefix="/fairness", tags=["fairness"])
Reader = Annotated[Caller, Depends(require_roles(Role.TEAM_LEADER, Role.DATA_TEAM))]


@router.get(
    "/report",
    response_model=FairnessReport,
    summary="Audit the stored decisions for systematic bias at the same estimated risk",
    responses=error_responses(*AUTHENTICATED),
)
def report(caller: Reader, session: ReadSessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Decisions, model and workload audits of every scored contact with a decision."""
    return service.fairness_report(session, min_n=settings.fairness_min_n)
