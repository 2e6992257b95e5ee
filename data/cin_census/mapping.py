"""Merge returns and map each referral to one contract row (plus its history fields)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from data.cin_census import outcomes
from data.cin_census.records import Child, Problem, Referral

# A referral before birth by more than a pregnancy cannot be a pre-birth referral.
PRE_BIRTH_DAYS = 280
MAX_AGE = 17


@dataclass
class MergedChild:
    """One child (``LAchildID`` within one ``LEA``) over every return read."""

    latest: Child  # characteristics from the latest return
    referrals: dict[date, Referral] = field(default_factory=dict)


@dataclass
class Merged:
    """Every child read, the referrals merged across returns, and the latest census date per LEA."""

    children: dict[tuple[str, str], MergedChild] = field(default_factory=dict)
    observed_until: dict[str, date] = field(default_factory=dict)
    referrals_read: int = 0
    merged: int = 0


def merge(children: Iterable[Child]) -> Merged:
    """Merge children across returns: the same child and referral date is one referral, the
    later return's (by census date; on a tie, the later read) values winning."""
    result = Merged()
    for child in children:
        key = (child.lea, child.la_child_id)
        seen = result.observed_until.get(child.lea)
        if seen is None or child.reference_date > seen:
            result.observed_until[child.lea] = child.reference_date
        entry = result.children.get(key)
        if entry is None:
            entry = result.children[key] = MergedChild(child)
        elif child.reference_date >= entry.latest.reference_date:
            entry.latest = child
        for referral in child.referrals:
            result.referrals_read += 1
            earlier = entry.referrals.get(referral.referral_date)
            if earlier is None:
                entry.referrals[referral.referral_date] = referral
                continue
            result.merged += 1
            # a return's reader stamps reference_date on every referral it yields
            if referral.reference_date >= earlier.reference_date:  # type: ignore[operator]
                entry.referrals[referral.referral_date] = referral
        child.referrals = []  # the merged copy holds them; free the return's list
    return result


def pseudonym(key: bytes, lea: str, la_child_id: str, referral_date: date) -> str:
    """A stable, keyed pseudonym (HMAC-SHA256, 32 hex characters) of LEA + child + date."""
    message = f"{lea}|{la_child_id}|{referral_date.isoformat()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def rows(merged: Merged, *, key: bytes, problems: list[Problem]) -> list[dict[str, Any]]:
    """Contract rows, one per merged referral; a referral that cannot be one is a problem."""
    out: list[dict[str, Any]] = []
    for (lea, child_id), entry in merged.children.items():
        child = entry.latest
        ordered = sorted(entry.referrals.values(), key=lambda r: r.referral_date)
        needs = outcomes.need_dates(ordered)
        assessed = outcomes.assessed_dates(ordered)
        dates = [r.referral_date for r in ordered]
        observed_until = merged.observed_until[lea]
        for referral in ordered:
            day = referral.referral_date
            age = _age(child, referral, problems)
            if age is None:
                continue
            out.append(
                {
                    "contact_id": pseudonym(key, lea, child_id, day),
                    "received_at": day,
                    "child_age_years": age,
                    "referral_source": referral.source,
                    "concerns": "",
                    "prior_contacts_12m": outcomes.prior_referrals_12m(day, dates),
                    "previous_cp_plan": outcomes.had_cp_plan_before(day, ordered),
                    "early_help_open": False,
                    "child_sex": child.sex,
                    "child_ethnicity": child.ethnicity,
                    "child_disability": child.disability,
                    "team_id": lea or None,
                    "decision": outcomes.decision(referral),
                    "outcome_need_12m": outcomes.outcome_need_12m(
                        day, needs=needs, assessed=assessed, observed_until=observed_until
                    ),
                }
            )
    return out


def _age(child: Child, referral: Referral, problems: list[Problem]) -> int | None:
    """Whole years at the referral; 0 for an unborn child; None (named, skipped) if impossible."""
    day = referral.referral_date

    def skip(element: str, value: str, what: str) -> None:
        problems.append(
            Problem(
                referral.file,
                referral.line,
                child.la_child_id,
                element,
                value,
                what,
                "referral skipped",
            )
        )

    if child.birth is None:
        if child.expected_birth is not None:
            return 0  # unborn (or born since, with the return not yet updated): age 0
        skip("PersonBirthDate", "", "no birth date nor expected birth date")
        return None
    age = outcomes.age_in_years(child.birth, day)
    if age < 0:
        if (child.birth - day).days > PRE_BIRTH_DAYS:
            skip(
                "CINreferralDate",
                day.isoformat(),
                f"referral more than {PRE_BIRTH_DAYS} days before the child's birth",
            )
            return None
        problems.append(
            Problem(
                referral.file,
                referral.line,
                child.la_child_id,
                "CINreferralDate",
                day.isoformat(),
                "referral before the child's birth",
                "kept as a pre-birth referral: age 0",
            )
        )
        return 0
    if age > MAX_AGE:
        skip("PersonBirthDate", child.birth.isoformat(), "age 18 or more at the referral")
        return None
    return age
