"""Reasons when late: required when late, refused when on time, counted by code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from data.codes import AssessmentOutcome, LateReason
from data.lateness import LateReasonsError, check_late_reasons, is_late, outcome_implies_need

DUE = date(2024, 4, 2)


def test_late_without_reasons_is_refused_naming_late_reasons():
    with pytest.raises(LateReasonsError, match=r"^late_reasons: recorded after its due day"):
        check_late_reasons(DUE, date(2024, 4, 3), [])
    assert LateReasonsError.field == "late_reasons"


def test_reasons_on_time_are_refused():
    with pytest.raises(LateReasonsError, match=r"^late_reasons: recorded on time"):
        check_late_reasons(DUE, DUE, ["team_capacity"])


def test_late_with_reasons_gives_them_in_order_without_repeats():
    given = "holiday_period; team_capacity;holiday_period"
    reasons = check_late_reasons(DUE, date(2024, 4, 9), given)
    assert reasons == (LateReason.HOLIDAY_PERIOD, LateReason.TEAM_CAPACITY)


def test_an_instant_is_judged_by_its_london_day():
    # 23:30 UTC on 2 Apr 2024 is 00:30 on 3 Apr in London (BST): a day late.
    late_evening = datetime(2024, 4, 2, 23, 30, tzinfo=UTC)
    assert is_late(DUE, late_evening)
    with pytest.raises(LateReasonsError):
        check_late_reasons(DUE, late_evening, None)


def test_on_time_without_reasons_is_fine():
    assert check_late_reasons(DUE, date(2024, 3, 28), None) == ()
    assert not is_late(DUE, DUE) and is_late(DUE, date(2024, 4, 3))


def test_an_unknown_reason_is_refused_naming_it():
    with pytest.raises(LateReasonsError, match="'too_busy' is not a late reason code"):
        check_late_reasons(DUE, date(2024, 4, 3), ["too_busy"])


def test_every_reason_has_a_plain_english_label():
    assert len(LateReason) == 10
    assert all(r.label and r.label != r.value for r in LateReason)


def test_only_plans_enquiries_and_care_imply_need():
    implied = {o.value for o in AssessmentOutcome if outcome_implies_need(o)}
    assert implied == {"child_in_need_plan", "child_protection_enquiry", "looked_after"}
    assert not outcome_implies_need("nfa")
