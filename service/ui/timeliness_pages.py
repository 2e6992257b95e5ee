"""The timeliness page: decisions and assessments in time, beside why the late ones were late.

It renders the same report as ``GET /v1/timeliness/report`` (``service.timeliness.service``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from data.workdays import FixedClock
from service.auth.schemas import Role
from service.deps import ClockDep, ReadSessionDep, SettingsDep
from service.timeliness.service import store_report
from service.ui.router import Reader, render

router = APIRouter(prefix="/ui", include_in_schema=False)
KIND_TITLES = {"decisions": "Decisions", "assessments": "Assessments"}


@router.get("/timeliness")
def timeliness_page(
    request: Request,
    caller: Reader,
    db_session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> HTMLResponse:
    """By team and month: in time with its interval, days taken, overdue now and why late."""
    query = request.query_params
    errors: dict[str, str] = {}
    team = (query.get("team") or "").strip()[:64] or None
    as_at = None
    if query.get("as_at"):
        try:
            as_at = date.fromisoformat(query["as_at"])
        except ValueError:
            errors["as_at"] = "As at: enter a date like 2025-03-31"
    report = store_report(
        db_session,
        settings,
        clock=FixedClock(as_at) if as_at else clock,
        team=team,
        with_notes=caller.role == Role.TEAM_LEADER,
        by=caller,
    )
    values = {"team": team or "", "as_at": query.get("as_at", "")}
    return render(
        request,
        "timeliness.html",
        422 if errors else 200,
        report=report,
        values=values,
        errors=errors,
        kinds=KIND_TITLES,
        share=share_text,
        days=days_text,
        why=why_text,
    )


def share_text(block: dict[str, Any]) -> str:
    """The share in time with its interval and count, or a dash when there is nothing to judge."""
    share, (low, high) = block["in_time_share"], block["in_time_ci"]
    if share is None:
        return "–"
    bounds = f" ({low:.0%} to {high:.0%})" if low is not None and high is not None else ""
    return f"{share:.0%}{bounds} of {block['recorded']:,}"


def days_text(value: float | None) -> str:
    """Working days, or a dash."""
    return "–" if value is None else f"{value:g}"


def why_text(block: dict[str, Any], labels: dict[str, str]) -> str:
    """Every late record's reasons, counted, in words."""
    counted = block["late_reasons"].items()
    parts = [f"{labels.get(code, code)}: {count:,}" for code, count in counted]
    if block["late_without_reasons"]:
        parts.append(f"no reason given: {block['late_without_reasons']:,}")
    return "; ".join(parts) or "–"
