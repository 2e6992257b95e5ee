"""Load a recent slice of a synthetic extract into an empty store, as if worked at the front door.

Every row goes in through the service's functions (``contacts`` scores and stores, ``decisions``
records with its flag and late rules, ``completions`` closes assessments), each decision and
completion at the synthetic time it was made, so the audit chain and every rule hold. All of it
is recorded by :data:`DEMO_ACTOR`, so the audit trail says which rows are demonstration data.
Each contact keeps its extract's ``team_id``: the users of a team (``triage users add NAME --role
duty_worker --team T1``) see that team's demonstration work and no other team's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from config.settings import Settings
from data.workdays import LONDON, assessment_due_on, decision_due_on, london_date
from models.registry import LoadedModel
from service.auth.schemas import Caller, Role
from service.completions.schemas import CompletionIn
from service.completions.service import complete_assessment
from service.contacts.schemas import ContactIn
from service.contacts.service import score_contacts
from service.contacts.tables import Contact
from service.db import Database
from service.decisions.schemas import DecisionIn
from service.decisions.service import decide
from service.errors import Conflict
from service.reviews.service import QUEUE

DEMO_ACTOR = "demo-seed"
DEMO_NOTE = "Synthetic demonstration data (triage demo seed); not a real child."
HELD_OPEN_WORKING_DAYS = 5  # a more-information decision is reviewed a week later
Progress = Callable[[str, int, int], None]  # stage, done, total


class SeedRefused(Conflict):
    """The store cannot take demonstration data (it holds contacts, or this is production)."""


@dataclass(frozen=True)
class DemoOptions:
    """How much of the extract to load: the last ``months``, ``per_team`` contacts a team."""

    months: int = 3
    per_team: int = 300
    undecided: int = 5  # the newest contacts a team, left for the inbox
    seed: int = 0


@dataclass(frozen=True)
class SeedResult:
    """What was loaded."""

    contacts: int
    decisions: int
    completions: int
    undecided: int
    teams: tuple[str, ...] = ()  # whose users see the rows (the extract's team_id)


def check_can_seed(db: Database, settings: Settings) -> None:
    """Refuse production and a store that already holds contacts (nothing stored is replaced)."""
    if settings.environment == "production":
        raise SeedRefused("Demonstration data is never loaded with TRIAGE_ENVIRONMENT=production.")
    with db.read() as session:
        if session.scalar(select(Contact.contact_id).limit(1)) is not None:
            raise SeedRefused(
                "The store already holds contacts; demonstration data goes only into an empty one."
            )


def demo_slice(frame: pd.DataFrame, *, today: date, options: DemoOptions) -> pd.DataFrame:
    """The last ``options.months`` of the extract, moved by whole weeks to end by ``today``.

    Whole weeks keep each day's weekday; at most ``per_team`` contacts a team, sampled.
    """
    received = pd.to_datetime(frame["received_at"], utc=True)
    last = london_date(received.max().to_pydatetime())
    shift = timedelta(days=7 * ((today - last).days // 7))
    moved = frame.copy()
    for column in ("received_at", "decided_at"):
        # whole seconds: the store keeps microseconds at most
        moved[column] = (pd.to_datetime(moved[column], utc=True) + shift).dt.floor("s")
    for column in ("assessment_completed_on",):
        moved[column] = pd.to_datetime(moved[column]) + shift
    start = pd.Timestamp(today - pd.DateOffset(months=options.months), tz=LONDON)
    moved = moved[moved["received_at"] >= start]
    rng = np.random.default_rng(options.seed)
    picked = [
        team.iloc[np.sort(rng.permutation(len(team))[: options.per_team])]
        for _, team in moved.groupby("team_id", sort=True)
    ]
    return pd.concat(picked).sort_values("received_at", kind="stable")


def seed_demo(
    db: Database,
    loaded: LoadedModel,
    frame: pd.DataFrame,
    *,
    settings: Settings,
    now: datetime,
    options: DemoOptions = DemoOptions(),
    progress: Progress | None = None,
) -> SeedResult:
    """Score the slice, then record its decisions and completions at their synthetic times."""
    check_can_seed(db, settings)
    rows = demo_slice(frame, today=london_date(now), options=options)
    # A duty worker of every team in the slice: team scoping holds for the seed as for anyone,
    # and each row keeps its extract's team, so a user of that team sees it (and no other's).
    by = Caller(DEMO_ACTOR, Role.DUTY_WORKER, teams=frozenset(rows["team_id"].dropna()))
    report = progress or (lambda stage, done, total: None)
    records = rows.to_dict("records")
    for start in range(0, len(records), settings.max_batch):
        batch = records[start : start + settings.max_batch]
        score_contacts(db, loaded, [contact_in(r) for r in batch], by=by, settings=settings)
        report("contacts", start + len(batch), len(records))
    newest = set(rows.groupby("team_id").tail(options.undecided)["contact_id"])
    decisions = completions = 0
    for done, row in enumerate(records, start=1):
        if row["contact_id"] not in newest:
            made = record_history(db, row, by=by, settings=settings, now=now)
            decisions, completions = decisions + made[0], completions + made[1]
        if done % 50 == 0 or done == len(records):
            report("decisions", done, len(records))
    return SeedResult(
        len(records), decisions, completions, len(records) - decisions, tuple(sorted(by.teams))
    )


def record_history(
    db: Database, row: dict, *, by: Caller, settings: Settings, now: datetime
) -> tuple[int, int]:
    """Record one contact's decision and completion if made by ``now``; how many of each."""
    decided_at, late_reasons = decision_time(row, settings)
    if decided_at > now:
        return 0, 0
    completed = 0
    with db.write.begin() as session:
        decide(
            session,
            row["contact_id"],
            decision_in(row, decided_at, late_reasons),
            by=by,
            settings=settings,
            reviews=QUEUE,
            now=decided_at,
        )
        done = completion(row, settings)
        if done is not None and done[0] <= now:
            at, body = done
            complete_assessment(session, row["contact_id"], body, by=by, settings=settings, now=at)
            completed = 1
    return 1, completed


def decision_time(row: dict, settings: Settings) -> tuple[datetime, list[str]]:
    """When the decision was made and its late reasons, fitted to the service's rule.

    Moving the extract by whole weeks can move a bank holiday under a due day; a decision that
    becomes late without drawn reasons is then made on its due day instead.
    """
    received = row["received_at"].to_pydatetime()
    decided = row["decided_at"].to_pydatetime()
    due = decision_due_on(received, working_days=settings.decision_due_working_days)
    reasons = split(row.get("late_reasons"))
    if london_date(decided) <= due:
        return decided, []
    if not reasons:
        return datetime.combine(due, time(16, 0), LONDON), []
    return decided, reasons


def decision_in(row: dict, decided_at: datetime, late_reasons: list[str]) -> DecisionIn:
    """The synthetic decision as a worker would record it."""
    held = row["decision"] == "more_information"
    review_by = london_date(decided_at) + timedelta(days=7) if held else None
    return DecisionIn.model_validate(
        {
            "decision": row["decision"],
            "reasons": ["other"],
            "note": DEMO_NOTE,
            "review_by": review_by,
            "late_reasons": late_reasons,
        }
    )


def completion(row: dict, settings: Settings) -> tuple[datetime, CompletionIn] | None:
    """When the assessment was completed and the completion, or None without one."""
    completed = row.get("assessment_completed_on")
    outcome = row.get("assessment_outcome")
    if completed is None or pd.isna(completed) or outcome is None or pd.isna(outcome):
        return None
    day = completed.date()
    received = row["received_at"].to_pydatetime()
    due = assessment_due_on(received, working_days=settings.assessment_due_working_days)
    reasons = split(row.get("assessment_late_reasons")) if day > due else []
    if day > due and not reasons:
        day = due
    body = CompletionIn.model_validate(
        {"completed_on": day, "outcome": outcome, "note": DEMO_NOTE, "late_reasons": reasons}
    )
    return datetime.combine(day, time(16, 0), LONDON), body


def contact_in(row: dict) -> ContactIn:
    """A row of the extract as the API's contact (context and protected fields included)."""
    return ContactIn.model_validate(
        {
            "contact_id": row["contact_id"],
            "received_at": row["received_at"].to_pydatetime(),
            "child_age_years": int(row["child_age_years"]),
            "referral_source": row["referral_source"],
            "concerns": [c for c in str(row["concerns"]).split(";") if c],
            "prior_contacts_12m": int(row["prior_contacts_12m"]),
            "previous_cp_plan": bool(row["previous_cp_plan"]),
            "early_help_open": bool(row["early_help_open"]),
            "child_sex": row["child_sex"],
            "child_ethnicity": row["child_ethnicity"],
            "child_disability": row["child_disability"],
            "team_id": row["team_id"],
        }
    )


def split(reasons: object) -> list[str]:
    """``"a;b"`` as ``["a", "b"]``; a missing value as none."""
    if reasons is None or pd.isna(reasons):
        return []
    return [r for r in str(reasons).split(";") if r]
