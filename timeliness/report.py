"""The timeliness report: decisions and assessments in time, by team and month, beside why the
late ones were late.

Pure: a frame in (an extract, or rows the service reads from its store), a JSON-serialisable
dictionary out. "Now" comes from the injected clock. Every late record's reasons are counted, so a
share in time always stands beside the reasons for the rest. Late notes are free text, included
only when asked for (team leaders see them) and never logged. See docs/timeliness.md.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from data.codes import LateReason
from data.workdays import (
    ASSESSMENT_DECISIONS,
    Clock,
    add_working_days_many,
    london_days,
    working_days_between_many,
)
from fairness.rates import two_sided_p, wilson_interval, z_value
from fairness.workload import MIN_MONTHS, logistic_slope
from reporting import clean

Kind = Literal["decisions", "assessments"]
KINDS: tuple[Kind, ...] = ("decisions", "assessments")
NO_TEAM = "(no team)"
REQUIRED = ("received_at",)
VOLUME_METHOD = (
    "logistic regression of being late on log(month's contacts / team's usual monthly contacts), "
    "each team on its own; odds ratio for a month {step:.0%} busier than usual; Wald CI and p"
)
VOLUME_CAVEAT = (
    "Volume: an association within each team over time. Anything else that changes with busy "
    "months (season, staffing, the kind of contacts) can produce or hide it."
)


@dataclass(frozen=True)
class TimelinessOptions:
    """How the report counts: the due-day rules, the interval level and who reads it."""

    decision_due_working_days: int = 1
    assessment_due_working_days: int = 45
    with_notes: bool = False
    confidence: float = 0.95
    volume_step: float = 1.25  # the volume effect is reported for a month this much busier
    min_n: int = 30  # fewest records for a volume verdict


@dataclass(frozen=True)
class _Records:
    """One kind of record (decisions or assessments), one entry per row, as arrays."""

    kind: Kind
    team: np.ndarray
    month: np.ndarray
    received: np.ndarray  # datetime64[D]
    due: np.ndarray  # datetime64[D]
    recorded: np.ndarray  # datetime64[D], NaT while open
    reasons: np.ndarray  # object: ';'-joined codes or None
    notes: np.ndarray  # object: text or None
    ids: np.ndarray  # object


def timeliness_report(
    frame: pd.DataFrame, *, clock: Clock, options: TimelinessOptions | None = None
) -> dict[str, Any]:
    """Decisions and assessments in time, by team and month, with every late one's reasons."""
    options = options or TimelinessOptions()
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks columns {missing}")
    today = np.datetime64(clock.today(), "D")
    records = {kind: _records(frame, kind, options) for kind in KINDS}
    teams = sorted(set(_teams(frame)))
    volume = _monthly_volume(frame)
    report: dict[str, Any] = {
        "as_at": clock.today().isoformat(),
        "rules": {
            "decision_due_working_days": options.decision_due_working_days,
            "assessment_due_working_days": options.assessment_due_working_days,
            "working_days": "weekdays that are not England and Wales bank holidays",
        },
        "confidence": options.confidence,
        "reason_labels": {r.value: r.label for r in LateReason},
        "overall": {k: _summary(r, np.ones(r.team.size, bool), today, options) for k, r in
                    records.items()},
        "teams": [],
        "volume": _volume_effects(records, volume, options),
        "volume_caveat": VOLUME_CAVEAT,
        "with_notes": options.with_notes,
    }  # fmt: skip
    for team in teams:
        months = sorted({m for r in records.values() for m in r.month[r.team == team]})
        entry: dict[str, Any] = {
            "team_id": team,
            "overall": {k: _summary(r, r.team == team, today, options) for k, r in records.items()},
            "months": [
                {
                    "month": month,
                    "contacts": int(volume.get((team, month), 0)),
                    **{
                        k: _summary(r, (r.team == team) & (r.month == month), today, options)
                        for k, r in records.items()
                    },
                }
                for month in months
            ],
        }
        if options.with_notes:
            entry["late_notes"] = [
                note for r in records.values() for note in _late_notes(r, r.team == team)
            ]
        report["teams"].append(entry)
    return clean(report)


# --- reading the frame --------------------------------------------------------------------------


def _teams(frame: pd.DataFrame) -> np.ndarray:
    if "team_id" not in frame.columns:
        return np.full(len(frame), NO_TEAM, dtype=object)
    return frame["team_id"].astype("string").fillna(NO_TEAM).to_numpy(dtype=object)


def _months(frame: pd.DataFrame) -> np.ndarray:
    days = london_days(frame["received_at"])
    return np.datetime_as_string(days.astype("datetime64[M]"), unit="M").astype(object)


def _column_days(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")
    return london_days(pd.to_datetime(frame[name]))


def _column_text(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[name].astype("string")
    values = values.mask(values.str.strip() == "")
    return values.to_numpy(dtype=object, na_value=None)


def _records(frame: pd.DataFrame, kind: Kind, options: TimelinessOptions) -> _Records:
    """The rows of one kind: every contact for decisions; escalated ones for assessments."""
    received = london_days(frame["received_at"])
    decision = _column_text(frame, "decision")
    if kind == "decisions":
        rows = np.ones(len(frame), dtype=bool)
        due_column, recorded_column = "due_on", "decided_at"
        reasons, notes = "late_reasons", "late_note"
        working_days = options.decision_due_working_days
    else:
        rows = np.isin(decision, list(ASSESSMENT_DECISIONS)) | ~np.isnat(
            _column_days(frame, "assessment_due_on")
        )
        due_column, recorded_column = "assessment_due_on", "assessment_completed_on"
        reasons, notes = "assessment_late_reasons", "assessment_late_note"
        working_days = options.assessment_due_working_days
    due = _column_days(frame, due_column)
    computed = add_working_days_many(received, np.full(len(frame), working_days))
    due = np.where(np.isnat(due), computed, due)  # a stated due day wins (e.g. review_by)
    ids = (
        frame["contact_id"].astype("string").to_numpy(dtype=object)
        if "contact_id" in frame.columns
        else np.arange(len(frame)).astype(str).astype(object)
    )
    return _Records(
        kind=kind,
        team=_teams(frame)[rows],
        month=_months(frame)[rows],
        received=received[rows],
        due=due[rows],
        recorded=_column_days(frame, recorded_column)[rows],
        reasons=_column_text(frame, reasons)[rows],
        notes=_column_text(frame, notes)[rows],
        ids=ids[rows],
    )


def _monthly_volume(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Contacts received by (team, month)."""
    counts = Counter(zip(_teams(frame).tolist(), _months(frame).tolist(), strict=True))
    return dict(counts)


# --- the statistics ---------------------------------------------------------------------------


def _summary(
    records: _Records, rows: np.ndarray, today: np.datetime64, options: TimelinessOptions
) -> dict[str, Any]:
    """In time (count, share, Wilson interval), working days taken, overdue now and reasons."""
    recorded = rows & ~np.isnat(records.recorded)
    open_ = rows & np.isnat(records.recorded)
    late = recorded & (records.recorded > records.due)
    n, k = int(recorded.sum()), int((recorded & ~late).sum())
    lower, upper = wilson_interval(k, n, confidence=options.confidence)
    taken = working_days_between_many(records.received[recorded], records.recorded[recorded])
    overdue = open_ & (records.due < today)
    overdue_by = working_days_between_many(records.due[overdue], np.full(overdue.sum(), today))
    counted = Counter(
        code for joined in records.reasons[late] if joined for code in joined.split(";")
    )
    return {
        "recorded": n,
        "in_time": k,
        "in_time_share": k / n if n else math.nan,
        "in_time_ci": [float(lower), float(upper)],
        "late": int(late.sum()),
        "median_working_days": float(np.median(taken)) if taken.size else math.nan,
        "p90_working_days": float(np.percentile(taken, 90)) if taken.size else math.nan,
        "open": int(open_.sum()),
        "overdue_now": int(overdue.sum()),
        "overdue_median_working_days": float(np.median(overdue_by)) if overdue_by.size else None,
        "late_reasons": {code: counted[code] for code in _reason_order(counted)},
        "late_without_reasons": int((late & _present(records.reasons, negate=True)).sum()),
    }


def _present(values: np.ndarray, *, negate: bool = False) -> np.ndarray:
    """Which entries hold something, as booleans (also for no rows at all)."""
    return np.array([not v if negate else v is not None for v in values], dtype=bool)


def _reason_order(counted: Counter[str]) -> list[str]:
    """Reasons by count, then in the code list's order (unknown codes last)."""
    order = {r.value: i for i, r in enumerate(LateReason)}
    return sorted(counted, key=lambda c: (-counted[c], order.get(c, len(order)), c))


def _late_notes(records: _Records, rows: np.ndarray) -> list[dict[str, Any]]:
    late = rows & ~np.isnat(records.recorded) & (records.recorded > records.due)
    with_note = np.flatnonzero(late & _present(records.notes))
    return [
        {
            "contact_id": records.ids[i],
            "kind": records.kind,
            "due_on": str(records.due[i]),
            "recorded_on": str(records.recorded[i]),
            "late_reasons": (records.reasons[i] or "").split(";") if records.reasons[i] else [],
            "note": records.notes[i],
        }
        for i in with_note
    ]


def _volume_effects(
    records: dict[Kind, _Records],
    volume: dict[tuple[str, str], int],
    options: TimelinessOptions,
) -> list[dict[str, Any]]:
    """Per team and kind: the odds ratio of being late in a month busier than the team's usual."""
    z = z_value(options.confidence)
    scale = math.log(options.volume_step)
    effects = []
    for kind, r in records.items():
        for team in sorted(set(r.team.tolist())):
            months = sorted(m for t, m in volume if t == team)
            counts = np.array([volume[(team, m)] for m in months], dtype=float)
            usual = counts.mean()
            done = (r.team == team) & ~np.isnat(r.recorded)
            late = done & (r.recorded > r.due)
            position = {m: i for i, m in enumerate(months)}
            index = np.array([position[m] for m in r.month[done]], dtype=np.int64)
            totals = np.bincount(index, minlength=len(months)).astype(float)
            events = np.bincount(
                np.array([position[m] for m in r.month[late]], dtype=np.int64),
                minlength=len(months),
            ).astype(float)
            x = np.log(counts / usual)
            slope, se = logistic_slope(events, totals, np.zeros(len(months), np.int64), x)
            months_used = int((totals > 0).sum())
            n = int(totals.sum())
            enough = n >= options.min_n and months_used >= MIN_MONTHS and math.isfinite(se)
            effects.append(
                {
                    "team_id": team,
                    "kind": kind,
                    "n": n,
                    "late": int(events.sum()),
                    "months": months_used,
                    "odds_ratio": math.exp(slope * scale) if math.isfinite(slope) else math.nan,
                    "ci": [
                        math.exp((slope - z * se) * scale) if enough else math.nan,
                        math.exp((slope + z * se) * scale) if enough else math.nan,
                    ],
                    "p_value": float(two_sided_p(slope / se)) if enough else math.nan,
                    "volume_step": options.volume_step,
                    "verdict": _verdict(enough, slope, se, z),
                    "method": VOLUME_METHOD.format(step=options.volume_step - 1),
                }
            )
    return effects


def _verdict(enough: bool, slope: float, se: float, z: float) -> str:
    if not enough:
        return "insufficient_data"
    if slope - z * se > 0:
        return "later_when_busier"
    if slope + z * se < 0:
        return "earlier_when_busier"
    return "no_clear_effect"
