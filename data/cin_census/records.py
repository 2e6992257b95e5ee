"""What a census return holds, as plain records, and the problems found while reading it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Problem:
    """One thing wrong in a return: where, what, and what the import did about it."""

    file: str
    line: int
    la_child_id: str
    element: str
    value: str
    problem: str
    action: str


@dataclass(slots=True)
class Assessment:
    """One assessment of an episode (N00159, N00160, N00181)."""

    start: date | None
    authorised: date | None
    factors: tuple[str, ...]


@dataclass(slots=True)
class Referral:
    """One episode of need (``CINdetails``), as one return recorded it."""

    file: str
    line: int
    referral_date: date
    source: str | None
    nfa: bool | None
    closure: date | None
    assessments: list[Assessment] = field(default_factory=list)
    cin_plan_starts: list[date] = field(default_factory=list)
    s47_starts: list[date] = field(default_factory=list)
    cp_plan_starts: list[date] = field(default_factory=list)
    reference_date: date | None = None  # of the return that recorded it (later wins on merge)


@dataclass(slots=True)
class Child:
    """One ``Child`` of one return, with its episodes."""

    file: str
    line: int
    lea: str
    la_child_id: str
    reference_date: date
    birth: date | None
    expected_birth: date | None
    sex: str | None
    ethnicity: str | None
    disability: str | None
    referrals: list[Referral] = field(default_factory=list)
