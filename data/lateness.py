"""Reasons when late: one rule for when a late decision or assessment must say why.

A record made after its due day needs at least one :class:`~data.codes.LateReason`; a record
made on time must give none, so the statistics of why things are late stay clean.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from data.codes import NEED_OUTCOMES, AssessmentOutcome, LateReason
from data.workdays import london_date

LATE_REASON_SEPARATOR = ";"
MISSING_REASONS = "late_reasons: recorded after its due day ({due}); give at least one reason."
UNWANTED_REASONS = "late_reasons: recorded on time (due {due}); give no reasons when on time."
UNKNOWN_REASON = "late_reasons: {value!r} is not a late reason code (one of {codes})."


class LateReasonsError(ValueError):
    """Late without reasons, reasons for something on time, or an unknown reason code."""

    field = "late_reasons"


def is_late(due_on: date, recorded_on: date | datetime) -> bool:
    """Whether something recorded on ``recorded_on`` (a day, or an instant read as its
    Europe/London day) missed its due day ``due_on``."""
    return london_date(recorded_on) > due_on


def parse_late_reasons(reasons: Iterable[str] | str | None) -> tuple[LateReason, ...]:
    """Late reason codes from a list or a ``;``-joined string, in order, without repeats."""
    if reasons is None:
        return ()
    if isinstance(reasons, str):
        reasons = reasons.split(LATE_REASON_SEPARATOR)
    parsed: dict[LateReason, None] = {}
    for value in reasons:
        text = str(value).strip()
        if not text:
            continue
        try:
            parsed[LateReason(text)] = None
        except ValueError:
            codes = ", ".join(r.value for r in LateReason)
            raise LateReasonsError(UNKNOWN_REASON.format(value=text, codes=codes)) from None
    return tuple(parsed)


def check_late_reasons(
    due_on: date, recorded_on: date | datetime, reasons: Iterable[str] | str | None
) -> tuple[LateReason, ...]:
    """The reasons, checked against lateness; raise :class:`LateReasonsError` if they do not fit.

    Late (``recorded_on`` after ``due_on``) needs at least one reason; on time needs none.
    """
    parsed = parse_late_reasons(reasons)
    late = is_late(due_on, recorded_on)
    if late and not parsed:
        raise LateReasonsError(MISSING_REASONS.format(due=due_on.isoformat()))
    if not late and parsed:
        raise LateReasonsError(UNWANTED_REASONS.format(due=due_on.isoformat()))
    return parsed


def outcome_implies_need(outcome: AssessmentOutcome | str) -> bool:
    """Whether an assessment outcome records the child as in need (``outcome_need_12m`` true)."""
    return AssessmentOutcome(outcome) in NEED_OUTCOMES
