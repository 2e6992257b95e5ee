"""Working-day clocks: due days around bank holidays, counted independently."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import Settings
from data.workdays import (
    LONDON,
    MISSING_COUNT,
    FixedClock,
    ReviewByError,
    SystemClock,
    add_working_days,
    add_working_days_many,
    assessment_due_on,
    check_review_by,
    decision_due_on,
    due_on,
    is_working_day,
    london_days,
    working_days_between,
    working_days_between_many,
)

# An independent list of England and Wales bank holidays, straight from the package.
HOLIDAYS = np.array(
    sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2015, 2032))),
    dtype="datetime64[D]",
)


def busdays_after(start: date, end: date) -> int:
    """Working days in (start, end], counted by numpy."""
    return int(
        np.busday_count(start + timedelta(days=1), end + timedelta(days=1), holidays=HOLIDAYS)
    )


def test_received_friday_before_christmas_is_due_the_wednesday_after():
    assert decision_due_on(date(2023, 12, 22)) == date(2023, 12, 27)


def test_received_thursday_before_easter_is_due_the_tuesday_after():
    assert decision_due_on(date(2024, 3, 28)) == date(2024, 4, 2)


def test_due_day_uses_the_london_date_of_an_instant():
    # 23:30 UTC on 22 Dec 2023 is still 22 Dec in London (GMT).
    late_evening = datetime(2023, 12, 22, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert decision_due_on(late_evening) == date(2023, 12, 27)
    # 23:30 UTC on 30 Jun 2024 is 00:30 on 1 Jul in London (BST): received Monday, due Tuesday.
    assert decision_due_on(datetime(2024, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC"))) == date(
        2024, 7, 2
    )


def test_bank_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2024, 3, 29))  # Good Friday
    assert not is_working_day(date(2024, 4, 1))  # Easter Monday
    assert not is_working_day(date(2023, 5, 8))  # the coronation
    assert not is_working_day(date(2022, 12, 27))  # Christmas Day (substitute)
    assert not is_working_day(date(2024, 3, 30))  # Saturday
    assert is_working_day(date(2024, 4, 2))


def test_working_days_between_counts_after_the_start_and_signs_direction():
    assert working_days_between(date(2024, 3, 28), date(2024, 4, 2)) == 1
    assert working_days_between(date(2024, 4, 2), date(2024, 3, 28)) == -1
    assert working_days_between(date(2024, 4, 1), date(2024, 4, 1)) == 0
    assert working_days_between(date(2024, 4, 2), date(2024, 4, 4)) == 2


@settings(max_examples=300, deadline=None)
@given(received=st.dates(date(2016, 1, 1), date(2030, 6, 30)), n=st.integers(1, 60))
def test_due_on_is_a_working_day_exactly_n_working_days_after_receipt(received, n):
    due = assessment_due_on(received, working_days=n)
    assert due.weekday() < 5
    assert np.datetime64(due, "D") not in HOLIDAYS
    assert busdays_after(received, due) == n
    # No earlier day would do: the day before the due day has one working day fewer.
    assert busdays_after(received, due - timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(start=st.dates(date(2016, 1, 1), date(2030, 6, 30)), span=st.integers(-400, 400))
def test_working_days_between_agrees_with_numpy(start, span):
    end = start + timedelta(days=span)
    expected = busdays_after(start, end) if span >= 0 else -busdays_after(end, start)
    assert working_days_between(start, end) == expected


def test_due_on_follows_the_decision_and_review_by():
    received = date(2024, 3, 28)
    assert due_on(received) == date(2024, 4, 2)
    assert due_on(received, decision="assessment", assessment_working_days=7) == date(2024, 4, 10)
    assert due_on(received, decision="strategy_discussion") == assessment_due_on(received)
    assert due_on(received, decision="nfa", review_by=date(2024, 5, 1)) == date(2024, 5, 1)


def test_working_days_below_one_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        decision_due_on(date(2024, 1, 2), working_days=0)


def test_review_by_in_the_past_or_beyond_a_year_is_refused_naming_review_by():
    today = date(2024, 6, 3)
    assert check_review_by(today, today=today) == today
    assert check_review_by(date(2025, 6, 3), today=today) == date(2025, 6, 3)
    with pytest.raises(ReviewByError, match=r"^review_by 2024-06-02 is in the past"):
        check_review_by(date(2024, 6, 2), today=today)
    with pytest.raises(ReviewByError, match=r"^review_by 2025-06-05 is more than a year ahead"):
        check_review_by(date(2025, 6, 5), today=today)
    assert issubclass(ReviewByError, ValueError) and ReviewByError.field == "review_by"


def test_fixed_clock_stands_still_in_london():
    clock = FixedClock(datetime(2024, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert clock.now().tzinfo == LONDON
    assert clock.today() == date(2024, 7, 1)
    assert clock.now() == clock.now()
    assert FixedClock(date(2024, 1, 2)).today() == date(2024, 1, 2)


def test_system_clock_is_in_london():
    now = SystemClock().now()
    assert now.utcoffset() in (timedelta(0), timedelta(hours=1))
    assert SystemClock().today() in (now.date(), now.date() + timedelta(days=1))


def test_settings_hold_the_working_days_and_refuse_below_one(monkeypatch):
    assert Settings().decision_due_working_days == 1
    assert Settings().assessment_due_working_days == 45
    monkeypatch.setenv("TRIAGE_ASSESSMENT_DUE_WORKING_DAYS", "7")
    assert Settings().assessment_due_working_days == 7
    monkeypatch.setenv("TRIAGE_DECISION_DUE_WORKING_DAYS", "0")
    with pytest.raises(ValueError, match="decision_due_working_days"):
        Settings()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.dates(date(2016, 1, 1), date(2030, 6, 30)), st.integers(0, 70)),
        min_size=1,
        max_size=20,
    )
)
def test_array_versions_agree_with_the_scalar_ones(pairs):
    starts = np.array([s for s, _ in pairs], dtype="datetime64[D]")
    days = np.array([n for _, n in pairs])
    due = add_working_days_many(starts, days)
    assert [d.astype(object) for d in due] == [add_working_days(s, n) for s, n in pairs]
    back = working_days_between_many(due, starts)
    assert back.tolist() == [-n for _, n in pairs]


def test_working_days_between_many_marks_missing_dates():
    starts = np.array(["2024-03-28", "NaT"], dtype="datetime64[D]")
    ends = np.array(["2024-04-02", "2024-04-02"], dtype="datetime64[D]")
    assert working_days_between_many(starts, ends).tolist() == [1, MISSING_COUNT]


def test_london_days_reads_utc_instants_as_london_days():
    stamps = pd.Series(pd.to_datetime(["2024-06-30T23:30:00Z", "2023-12-22T23:30:00Z"]))
    assert london_days(stamps).tolist() == [date(2024, 7, 1), date(2023, 12, 22)]
