"""Working-day clocks: due dates counted in working days, in Europe/London.

A working day is a weekday that is not an England and Wales bank holiday. Bank holidays come from
the maintained ``holidays`` package, which computes them (Easter, substitute days and the one-off
days it lists, such as a coronation) with no network. Every "now" comes from one injectable
:class:`Clock`, so tests stand on any date and never sleep. See docs/timeliness.md.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data.contract import LONDON as LONDON_NAME

LONDON = ZoneInfo(LONDON_NAME)  # the contract's time zone, as a tzinfo
# England and Wales share one list of bank holidays; `holidays` files it under subdivision ENG.
HOLIDAY_SUBDIVISION = "ENG"
MAX_REVIEW_AHEAD_DAYS = 366  # "more than a year ahead" (a year may have 366 days)
# Decisions that open an assessment, whose clock then runs (Working Together 2023).
ASSESSMENT_DECISIONS = frozenset({"assessment", "strategy_discussion"})


class Clock(Protocol):
    """Where "now" comes from: the system in production, a fixed instant in tests."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in Europe/London."""
        ...

    def today(self) -> date:
        """Today's date in Europe/London."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant in Europe/London."""
        return datetime.now(LONDON)

    def today(self) -> date:
        """Today's date in Europe/London."""
        return self.now().date()


class FixedClock:
    """A clock that stands still at one instant (tests, reports run "as at" a date)."""

    def __init__(self, at: datetime | date) -> None:
        if not isinstance(at, datetime):
            at = datetime(at.year, at.month, at.day, 9, 0, tzinfo=LONDON)
        elif at.tzinfo is None:
            at = at.replace(tzinfo=LONDON)
        self._at = at.astimezone(LONDON)

    def now(self) -> datetime:
        """The fixed instant in Europe/London."""
        return self._at

    def today(self) -> date:
        """The fixed instant's date in Europe/London."""
        return self._at.date()


class ReviewByError(ValueError):
    """A ``review_by`` date that is in the past or more than a year ahead."""

    field = "review_by"


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in ``year``."""
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv=HOLIDAY_SUBDIVISION, years=year))


def london_date(moment: datetime | date) -> date:
    """The Europe/London calendar date of an instant (a naive datetime is taken as London time)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(LONDON).date()
    return moment


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a weekday that is not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        remaining -= is_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier).

    Received on Monday, decided on Tuesday: 1. Due on Monday, still open on Wednesday: 2 (overdue).
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def decision_due_on(received: datetime | date, *, working_days: int = 1) -> date:
    """The day a contact's decision is due: ``working_days`` working days after it was received."""
    return add_working_days(london_date(received), _at_least_one(working_days))


def assessment_due_on(received: datetime | date, *, working_days: int = 45) -> date:
    """The day an assessment is due: ``working_days`` working days after the contact's receipt."""
    return add_working_days(london_date(received), _at_least_one(working_days))


def due_on(
    received: datetime | date,
    *,
    decision: str | None = None,
    review_by: date | None = None,
    decision_working_days: int = 1,
    assessment_working_days: int = 45,
) -> date:
    """When the next thing on a contact is due: its ``review_by`` when held open, the assessment's
    due day after ``assessment`` or ``strategy_discussion``, else the decision's due day."""
    if review_by is not None:
        return review_by
    if decision in ASSESSMENT_DECISIONS:
        return assessment_due_on(received, working_days=assessment_working_days)
    return decision_due_on(received, working_days=decision_working_days)


# --- many at once: numpy's business-day functions with the same holidays ----------------------


def holiday_days(first_year: int, last_year: int) -> np.ndarray:
    """England and Wales bank holidays from ``first_year`` to ``last_year`` as ``datetime64[D]``."""
    days = sorted(d for year in range(first_year, last_year + 1) for d in bank_holidays(year))
    return np.array(days, dtype="datetime64[D]")


def london_days(stamps: pd.Series) -> np.ndarray:
    """Each timestamp's Europe/London calendar day as ``datetime64[D]`` (naive ones are London)."""
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(LONDON).dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def add_working_days_many(starts: np.ndarray, days: np.ndarray) -> np.ndarray:
    """:func:`add_working_days` for arrays of ``datetime64[D]`` starts and day counts."""
    starts = np.asarray(starts, dtype="datetime64[D]")
    days = np.asarray(days, dtype=np.int64)
    if starts.size == 0:
        return starts.copy()
    if (days < 0).any():
        raise ValueError("days must be 0 or more")
    holidays = _holidays_around(starts, days.max())
    # Rolling a weekend or holiday start back to the working day before counts from it, so the
    # start itself never counts, as in the scalar version.
    moved = np.busday_offset(starts, days, roll="backward", holidays=holidays)
    return np.where(days == 0, starts, moved)


def working_days_between_many(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """:func:`working_days_between` for ``datetime64[D]`` arrays (NaT gives ``MISSING_COUNT``)."""
    starts = np.asarray(starts, dtype="datetime64[D]")
    ends = np.asarray(ends, dtype="datetime64[D]")
    out = np.full(np.broadcast(starts, ends).shape, MISSING_COUNT, dtype=np.int64)
    known = ~np.isnat(starts) & ~np.isnat(ends)
    if not known.any():
        return out
    s, e = np.broadcast_to(starts, out.shape)[known], np.broadcast_to(ends, out.shape)[known]
    low, high = np.minimum(s, e), np.maximum(s, e)
    holidays = holiday_days(_year(low.min()), _year(high.max()))
    one = np.timedelta64(1, "D")
    count = np.busday_count(low + one, high + one, holidays=holidays)
    out[known] = np.where(e < s, -count, count)
    return out


MISSING_COUNT = -(1 << 62)  # the count where a date is missing (callers mask these rows)


def _year(day: np.datetime64) -> int:
    return int(str(day)[:4])


def _holidays_around(starts: np.ndarray, most_days: int) -> np.ndarray:
    known = starts[~np.isnat(starts)]
    if known.size == 0:
        return np.array([], dtype="datetime64[D]")
    # Enough years ahead to hold the longest count (about 250 working days a year).
    return holiday_days(_year(known.min()) - 1, _year(known.max()) + 2 + most_days // 240)


def check_review_by(review_by: date, *, today: date) -> date:
    """Return ``review_by`` if from today to a year ahead, else raise :class:`ReviewByError`."""
    if review_by < today:
        raise ReviewByError(
            f"review_by {review_by.isoformat()} is in the past (today is {today.isoformat()})."
        )
    if (review_by - today).days > MAX_REVIEW_AHEAD_DAYS:
        raise ReviewByError(
            f"review_by {review_by.isoformat()} is more than a year ahead; "
            "hold a contact open for a year at most."
        )
    return review_by


def _at_least_one(working_days: int) -> int:
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    return working_days
