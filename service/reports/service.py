"""Compute, store and serve the fairness and monitoring reports of the service's own store.

A report is computed by a job (``triage reports record``) or, within a time limit, by a request
that asks for ``?refresh=true``; every computation is stored as a new row with the watermark of
the rows it covers, and the routes serve the latest. Nothing stored is ever overwritten.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session, defer

from config.settings import Settings
from service.contacts.tables import Contact
from service.db import Database, utcnow
from service.decisions.tables import DecisionRecord
from service.errors import ReportNotReady
from service.reports.refresh import Refresher
from service.reports.tables import StoredReport

Kind = Literal["fairness", "monitoring"]
KINDS: tuple[Kind, ...] = ("fairness", "monitoring")
Refresh = Literal["recomputed", "timed_out", "first_computed"]
NOT_READY = (
    "No {kind} report is stored yet and computing one took longer than {seconds:g} s; it is "
    "still being computed: try again shortly, or have the data team run "
    "`triage reports record --kind {kind}`."
)
TIMED_OUT = (
    "The refresh took longer than {seconds:g} s: this is the latest stored report. The new one "
    "is stored when it is done."
)


@dataclass(frozen=True)
class Watermark:
    """The rows a report covers: how many contacts, the last one's time, the last decision."""

    contacts: int
    last_contact_at: datetime | None
    last_decision_seq: int


def watermark(session: Session) -> Watermark:
    """The store's watermark now (taken before a computation, so newer rows are never missed)."""
    contacts, last = session.execute(select(func.count(), func.max(Contact.created_at))).one()
    seq = session.scalar(select(func.coalesce(func.max(DecisionRecord.seq), 0)))
    return Watermark(int(contacts), last, int(seq or 0))


def _fairness(session: Session, settings: Settings) -> dict[str, Any]:
    from service.fairness.service import fairness_report
    from service.timeliness.service import options_for

    rules = options_for(settings, with_notes=False)
    return fairness_report(session, min_n=settings.fairness_min_n, rules=rules)


def _monitoring(session: Session, settings: Settings) -> dict[str, Any]:
    from service.monitoring.service import monitoring_report

    return monitoring_report(session, settings)


# The one function that computes each kind of report (the routes, the pages and the job).
COMPUTE: dict[str, Callable[[Session, Settings], dict[str, Any]]] = {
    "fairness": _fairness,
    "monitoring": _monitoring,
}


def record(
    session: Session,
    kind: Kind,
    report: dict[str, Any],
    mark: Watermark,
    *,
    computed_by: str,
    seconds: float,
) -> StoredReport:
    """Add a computed report to the history (the caller commits)."""
    row = StoredReport(
        kind=kind,
        computed_at=utcnow(),
        computed_by=computed_by[:128],
        seconds=round(seconds, 3),
        contacts=mark.contacts,
        last_contact_at=mark.last_contact_at,
        last_decision_seq=mark.last_decision_seq,
        report=report,
    )
    session.add(row)
    session.flush()
    return row


def compute_and_store(db: Database, kind: Kind, settings: Settings, *, computed_by: str) -> int:
    """Compute a report over the whole store, store it as a new row and return its id."""
    started = time.monotonic()
    with db.read() as session:
        mark = watermark(session)
        report = COMPUTE[kind](session, settings)
    seconds = time.monotonic() - started
    with db.write.begin() as session:  # the job's unit of work
        row = record(session, kind, report, mark, computed_by=computed_by, seconds=seconds)
        return row.id


def latest(session: Session, kind: Kind) -> StoredReport | None:
    """The most recently stored report of ``kind``, if any (its body is read only on access)."""
    query = (
        select(StoredReport)
        .options(defer(StoredReport.report))
        .where(StoredReport.kind == kind)
        .order_by(StoredReport.id.desc())
    )
    return session.scalars(query.limit(1)).first()


def report_text(session: Session, report_id: int) -> str:
    """A stored report's JSON exactly as stored (serving it needs no parsing)."""
    query = select(cast(StoredReport.report, Text)).where(StoredReport.id == report_id)
    return session.execute(query).scalar_one()


def history(session: Session, kind: Kind) -> list[StoredReport]:
    """Every stored report of ``kind``, oldest first."""
    query = select(StoredReport).where(StoredReport.kind == kind).order_by(StoredReport.id)
    return list(session.scalars(query))


def newer_rows(session: Session, row: StoredReport) -> dict[str, int]:
    """Contacts and decisions stored since the report's watermark (two cheap index reads)."""
    contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
    decisions = session.scalar(
        select(func.count()).where(DecisionRecord.seq > row.last_decision_seq)
    )
    return {"contacts": max(0, contacts - row.contacts), "decisions": int(decisions or 0)}


@dataclass(frozen=True)
class Served:
    """A stored report as served: its JSON text as stored, and what it says about itself."""

    text: str
    stored: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The report with its ``stored`` key, for the pages."""
        return {**json.loads(self.text), "stored": self.stored}

    def as_json(self) -> bytes:
        """The response body: ``stored`` spliced into the stored text, which is not re-parsed."""
        head = json.dumps({"stored": self.stored}, default=_iso, separators=(",", ":"))
        rest = self.text.strip()[1:].lstrip()
        return (head if rest == "}" else f"{head[:-1]},{rest}").encode()


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def served(
    session: Session, row: StoredReport, *, refresh: Refresh | None = None, note: str | None = None
) -> Served:
    """The stored report with what it covers, how old it is and what is newer."""
    newer = newer_rows(session, row)
    stored = {
        "id": row.id,
        "computed_at": row.computed_at,
        "computed_by": row.computed_by,
        "age_seconds": round((utcnow() - row.computed_at).total_seconds(), 3),
        "compute_seconds": row.seconds,
        "watermark": {
            "contacts": row.contacts,
            "last_contact_at": row.last_contact_at,
            "last_decision_seq": row.last_decision_seq,
        },
        "newer": newer,
        "up_to_date": not any(newer.values()),
        "refresh": refresh,
        "note": note,
    }
    return Served(report_text(session, row.id), stored)


def stored_report(
    db: Database,
    kind: Kind,
    settings: Settings,
    refresher: Refresher,
    *,
    by: str,
    refresh: bool = False,
) -> Served:
    """The latest stored report; computed first (within the time limit) if asked or if none.

    A computation that outlasts ``settings.report_refresh_seconds`` goes on in its worker
    thread and stores its report when done; the request answers the latest stored one with a
    note (or ReportNotReady when none is stored yet).
    """
    with db.read() as session:
        current = latest(session, kind)
        if current is not None and not refresh:
            return served(session, current)
    why = "refresh" if current is not None else "first request"
    future: Future[int] = refresher.start(
        kind, lambda: compute_and_store(db, kind, settings, computed_by=f"{by} ({why})")
    )
    limit = settings.report_refresh_seconds
    try:
        future.result(timeout=limit)
    except TimeoutError:
        if current is None:
            raise ReportNotReady(NOT_READY.format(kind=kind, seconds=limit)) from None
        with db.read() as session:
            return served(
                session, current, refresh="timed_out", note=TIMED_OUT.format(seconds=limit)
            )
    with db.read() as session:
        row = latest(session, kind)
        assert row is not None  # just stored
        return served(session, row, refresh="recomputed" if current else "first_computed")
