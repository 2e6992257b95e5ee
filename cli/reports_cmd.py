"""`triage reports record`: compute the service's fairness and monitoring reports and store them.

The routes and pages serve the latest stored report; run this on a schedule (docs/deployment.md).
"""

from __future__ import annotations

import getpass
import socket
import time
from enum import StrEnum

import typer


class ReportKind(StrEnum):
    """The reports the service stores."""

    fairness = "fairness"
    monitoring = "monitoring"


def record(
    kind: list[ReportKind] | None = typer.Option(
        None, "--kind", help="Which report to compute (repeatable; default: both)."
    ),
) -> None:
    """Compute reports over the whole service store and add them to the stored history.

    Each report is stored with the time, the rows it covers and who ran it; nothing stored is
    ever overwritten. Exits 1 if any report could not be computed (e.g. no champion model).
    """
    from cli.service_cmd import _open
    from config import get_settings
    from service.errors import DomainError
    from service.reports.service import compute_and_store, watermark

    settings = get_settings()
    kinds = list(dict.fromkeys(kind or list(ReportKind)))
    by = f"triage reports record ({_who()})"
    db = _open(settings)
    failed = 0
    try:
        with db.read() as session:
            mark = watermark(session)
        for step, each in enumerate(kinds, start=1):
            typer.echo(
                f"[{step}/{len(kinds)}] Computing the {each.value} report over "
                f"{mark.contacts:,} contacts ..."
            )
            started = time.monotonic()
            try:
                report_id = compute_and_store(db, each.value, settings, computed_by=by)
            except DomainError as error:
                failed += 1
                typer.echo(f"Error: the {each.value} report: {error.detail}", err=True)
                continue
            typer.echo(f"      stored as report {report_id} in {time.monotonic() - started:.1f} s.")
    finally:
        db.dispose()
    if failed:
        raise typer.Exit(1)


def _who() -> str:
    """The user and host running the job, for the stored report's ``computed_by``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
