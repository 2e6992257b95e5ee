"""The census's outcome label and history fields for one referral, from the child's episodes.

Pure functions of dates: see docs/cin-census.md for each rule and why.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from data.cin_census.records import Referral

NO_FACTORS = "21"


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day (29 Feb + 12 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_in_years(born: date, on: date) -> int:
    """Whole years from ``born`` to ``on`` (negative when ``on`` is before ``born``)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def need_dates(referrals: Iterable[Referral]) -> list[date]:
    """Dates the child was found in need: a CIN plan, a section 47 enquiry or a CP plan started,
    or an assessment was authorised with a factor other than 21 (no factors identified)."""
    found: list[date] = []
    for referral in referrals:
        found += referral.cin_plan_starts + referral.s47_starts + referral.cp_plan_starts
        found += [
            a.authorised
            for a in referral.assessments
            if a.authorised is not None and any(f != NO_FACTORS for f in a.factors)
        ]
    return found


def assessed_dates(referrals: Iterable[Referral]) -> list[date]:
    """Start dates of assessments that were completed (authorised): someone looked."""
    return [
        a.start
        for referral in referrals
        for a in referral.assessments
        if a.start is not None and a.authorised is not None
    ]


def outcome_need_12m(
    referral_date: date, *, needs: list[date], assessed: list[date], observed_until: date
) -> bool | None:
    """True: need found within 12 months; False: none, the 12 months fully observed and the
    child assessed in them; None: not observed (selective labels)."""
    end = add_months(referral_date, 12)
    if any(referral_date <= day <= end for day in needs):
        return True
    if end > observed_until:
        return None
    if any(referral_date <= day <= end for day in assessed):
        return False
    return None


def prior_referrals_12m(referral_date: date, earlier_dates: Iterable[date]) -> int:
    """The child's referrals in the 12 months before ``referral_date`` (not counting it)."""
    start = add_months(referral_date, -12)
    return sum(1 for day in earlier_dates if start <= day < referral_date)


def had_cp_plan_before(referral_date: date, referrals: Iterable[Referral]) -> bool:
    """Whether any child protection plan started before ``referral_date``."""
    return any(day < referral_date for r in referrals for day in r.cp_plan_starts)


def decision(referral: Referral) -> str | None:
    """The front-door decision the episode shows: NFA, else s47 (strategy discussion), else
    assessment, else unknown."""
    if referral.nfa:
        return "nfa"
    if referral.s47_starts:
        return "strategy_discussion"
    if referral.assessments:
        return "assessment"
    return None
