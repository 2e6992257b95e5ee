"""Routes: the latest stored fairness and monitoring reports (team leaders and data teams).

The reports are computed by the fairness and monitoring services, stored by this domain's job,
and served from here, so the imports run one way: reports -> fairness, monitoring.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from service.auth.schemas import Caller, Role
from service.deps import DatabaseDep, SettingsDep, require_roles
from service.reports.deps import RefresherDep
from service.reports.schemas import FairnessReport, MonitoringReport, report_responses
from service.reports.service import Kind, stored_report

router = APIRouter()
# Who may read the reports and ask for them to be recomputed.
Reader = Annotated[Caller, Depends(require_roles(Role.TEAM_LEADER, Role.DATA_TEAM))]
REFRESH = "Recompute over the whole store now (within TRIAGE_REPORT_REFRESH_SECONDS) and store it."


@router.get(
    "/fairness/report",
    tags=["fairness"],
    response_model=FairnessReport,
    summary="The latest stored fairness audit of the decisions, how old it is and what it covers",
    responses=report_responses(),
)
def fairness_report(
    caller: Reader,
    db: DatabaseDep,
    settings: SettingsDep,
    refresher: RefresherDep,
    refresh: Annotated[bool, Query(description=REFRESH)] = False,
) -> Response:
    """Decisions, model and workload audits of every scored contact with a decision, as stored."""
    return serve("fairness", caller, db, settings, refresher, refresh=refresh)


@router.get(
    "/monitoring/report",
    tags=["monitoring"],
    response_model=MonitoringReport,
    summary="The latest stored monitoring report: drift, decisions, workload, performance, alerts",
    responses=report_responses(),
)
def monitoring_report(
    caller: Reader,
    db: DatabaseDep,
    settings: SettingsDep,
    refresher: RefresherDep,
    refresh: Annotated[bool, Query(description=REFRESH)] = False,
) -> Response:
    """Every stored contact against the champion's reference profile, as last stored."""
    return serve("monitoring", caller, db, settings, refresher, refresh=refresh)


def serve(
    kind: Kind, caller: Caller, db: Any, settings: Any, refresher: Any, *, refresh: bool
) -> Response:
    """The latest stored report of ``kind`` (recomputed first when asked), as its stored JSON."""
    served = stored_report(db, kind, settings, refresher, by=caller.name, refresh=refresh)
    return Response(served.as_json(), media_type="application/json")
