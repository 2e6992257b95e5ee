"""`triage timeliness`: decisions and assessments in time, with the reasons when late."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer


def timeliness(
    data: Path | None = typer.Option(
        None, "--data", help="Report on this extract (.csv or .parquet) instead of the store."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON report."),
    html: Path | None = typer.Option(None, "--html", help="Also write an HTML page here."),
    with_notes: bool = typer.Option(
        False, "--with-notes", help="Include late notes (free text: for team leaders only)."
    ),
    as_at: str | None = typer.Option(
        None, "--as-at", help="Count 'overdue now' as at this day (YYYY-MM-DD); default today."
    ),
) -> None:
    """Report decisions and assessments in time by team and month, with every late one's reasons.

    Reads the service's store (contacts, decisions, completed assessments) unless --data names an
    extract. See docs/timeliness.md for the rules and the report's fields.
    """
    from config.settings import get_settings
    from data.workdays import FixedClock, SystemClock
    from timeliness import TimelinessOptions, timeliness_report
    from timeliness.html import write_html

    try:
        clock = FixedClock(date.fromisoformat(as_at)) if as_at else SystemClock()
    except ValueError as error:
        raise typer.BadParameter("must be a date like 2025-03-31", param_hint="--as-at") from error
    settings = get_settings()
    options = TimelinessOptions(
        decision_due_working_days=settings.decision_due_working_days,
        assessment_due_working_days=settings.assessment_due_working_days,
        with_notes=with_notes,
    )
    if data is not None:
        from data.io import read_contacts

        report = timeliness_report(read_contacts(data), clock=clock, options=options)
    else:
        report = _from_store(settings, clock, with_notes)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if html is not None:
        write_html(report, html)
    assessments = report["overall"]["assessments"]
    share = assessments["in_time_share"]
    typer.echo(
        f"Wrote {out}: {assessments['recorded']:,} assessments recorded, "
        + (f"{share:.1%} in time" if share is not None else "none to judge")
        + f"; {assessments['late']:,} late."
    )


def _from_store(settings: Any, clock: Any, with_notes: bool) -> dict[str, Any]:
    """The report over the service's store: the same function as the route and the page."""
    from cli.service_cmd import _open
    from service.timeliness.service import store_report

    db = _open(settings)
    try:
        with db.read() as session:
            return store_report(session, settings, clock=clock, with_notes=with_notes)
    finally:
        db.dispose()
