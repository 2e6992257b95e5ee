"""Write a synthetic extract (``data.synthetic.generate``) as CIN census returns, one per year.

Each contact that became a referral (NFA, assessment, strategy discussion; early help,
signposting and more-information are contacts the census does not hold) is one child with one
episode; an NFA'd child whose outcome the generator observed comes back as a re-referral, and is
assessed there. Each return holds the episodes open in its collection year (1 April - 31 March)
with what had happened by its census date, so an episode spanning a year end is in two returns.
``write_returns`` also gives the truth it wrote, one row per referral, for tests to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from data.cin_census.outcomes import add_months
from data.contract import LONDON

REFERRAL_DECISIONS = ("nfa", "assessment", "strategy_discussion")
# The return year (the March it ends) from which Sex replaced GenderCurrent.
SEX_FROM_YEAR = 2025
GENDER_CURRENT = {"M": "1", "F": "2", "U": "0"}
DISABILITIES = ("MOB", "LD", "COMM", "AUT", "BEH", "HEAR", "VIS")
UNBORN_SHARE = 0.3  # of age-0 referrals, made before birth (assumption)


@dataclass
class _Episode:
    referral_date: date
    source: str
    nfa: bool
    closure: date | None
    assessment: tuple[date, date, tuple[str, ...]] | None = None
    s47: date | None = None
    cin_plan: tuple[date, date] | None = None
    cp_plan: date | None = None


@dataclass
class _Child:
    child_id: str
    birth: date | None
    expected_birth: date | None
    sex: str
    ethnicity: str
    disability: str
    episodes: list[_Episode] = field(default_factory=list)


def collection_year(day: date) -> int:
    """The return year (the March the collection ends) that a date falls in."""
    return day.year + 1 if day.month >= 4 else day.year


def write_returns(
    frame: pd.DataFrame, out_dir: str | Path, *, lea: str = "999", seed: int = 0
) -> tuple[list[Path], pd.DataFrame]:
    """Write one census return per collection year; return the files and the truth written."""
    rng = np.random.default_rng(seed)
    children, truth = _children(frame, rng)
    # The returns cover the extract's years; re-referrals after its end are not yet returned.
    days = truth.loc[~truth["re_referral"], "referral_date"]
    first, last = collection_year(min(days)), collection_year(max(days))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in range(first, last + 1):
        path = out_dir / f"cin_census_{lea}_{year}.xml"
        _write_year(children, path, lea=lea, year=year)
        paths.append(path)
    census_end = date(last, 3, 31)
    truth = truth[truth["referral_date"] <= census_end].reset_index(drop=True)
    truth["observed_until"] = census_end
    return paths, truth


def _children(frame: pd.DataFrame, rng: np.random.Generator) -> tuple[list[_Child], pd.DataFrame]:
    rows = frame[frame["decision"].isin(REFERRAL_DECISIONS)]
    local_days = rows["received_at"].dt.tz_convert(LONDON).dt.date.to_numpy()
    children, truth = [], []
    for i, (day, row) in enumerate(zip(local_days, rows.itertuples(index=False), strict=True)):
        decision, outcome = row.decision, row.outcome_need_12m
        need = None if pd.isna(outcome) else bool(outcome)
        comes_back = decision == "nfa" and need is not None
        gap = int(rng.integers(30, 300)) if comes_back else 0
        child = _Child(
            child_id=f"C{i + 1:07d}",
            sex=row.child_sex,
            ethnicity=row.child_ethnicity,
            disability=row.child_disability,
            **_birth(rng, day, int(row.child_age_years), gap),
        )
        factors = tuple(c for c in row.concerns.split(";") if c and c != "21") or ("20",)
        child.episodes.append(_episode(rng, day, row.referral_source, decision, need, factors))
        expected = _expected(decision, need)
        truth.append(
            (
                child.child_id,
                row.contact_id,
                day,
                row.referral_source,
                int(row.child_age_years),
                decision,
                expected,
                False,
            )
        )
        if comes_back:
            again = day + timedelta(days=gap)
            source = str(rng.choice(["2A", "6", "3A", "5A", "1A"]))
            child.episodes.append(_episode(rng, again, source, "assessment", need, factors))
            truth.append(
                (
                    child.child_id,
                    None,
                    again,
                    source,
                    int(row.child_age_years),
                    "assessment",
                    need,
                    True,
                )
            )
        children.append(child)
    columns = [
        "la_child_id",
        "generator_contact_id",
        "referral_date",
        "referral_source",
        "child_age_years",
        "decision",
        "outcome_need_12m",
        "re_referral",
    ]
    return children, pd.DataFrame(truth, columns=columns)


def _expected(decision: str, need: bool | None) -> bool | None:
    # A section 47 enquiry is itself a finding of need under the census rule (docs/cin-census.md).
    return True if decision == "strategy_discussion" else need


def _birth(rng: np.random.Generator, day: date, age: int, gap: int) -> dict[str, Any]:
    """A birth date giving ``age`` whole years at ``day`` and still at ``day + gap``."""
    if age == 0 and rng.random() < UNBORN_SHARE:
        return {"birth": None, "expected_birth": day + timedelta(days=int(rng.integers(10, 200)))}
    anniversary = add_months(day, -12 * age)
    back = int(rng.integers(0, max(1, 364 - gap)))  # the birthday stays after day + gap
    return {"birth": anniversary - timedelta(days=back), "expected_birth": None}


def _episode(
    rng: np.random.Generator,
    day: date,
    source: str,
    decision: str,
    need: bool | None,
    factors: tuple[str, ...],
) -> _Episode:
    if decision == "nfa":
        return _Episode(day, source, True, closure=day)
    episode = _Episode(day, source, False, closure=None)
    if decision == "strategy_discussion":
        episode.s47 = day + timedelta(days=int(rng.integers(0, 3)))
    start = day + timedelta(days=int(rng.integers(1, 6)))
    authorised = start + timedelta(days=int(rng.integers(10, 40)))
    episode.assessment = (start, authorised, factors if need else ("21",))
    if need:
        if episode.s47 is not None and rng.random() < 0.5:
            episode.cp_plan = episode.s47 + timedelta(days=14)
            episode.closure = episode.cp_plan + timedelta(days=int(rng.integers(120, 400)))
        else:
            plan_end = authorised + timedelta(days=int(rng.integers(90, 400)))
            episode.cin_plan = (authorised, plan_end)
            episode.closure = plan_end
    else:
        episode.closure = authorised
    return episode


def _write_year(children: list[_Child], path: Path, *, lea: str, year: int) -> None:
    opened, census = date(year - 1, 4, 1), date(year, 3, 31)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n <Header>\n'
            f"  <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>"
            f"<ReferenceDate>{census}</ReferenceDate></CollectionDetails>\n"
            f"  <Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA><SoftwareCode>triage-synthetic"
            f"</SoftwareCode><Release>1</Release><SerialNo>1</SerialNo>"
            f"<DateTime>{census}T00:00:00</DateTime></Source>\n </Header>\n <Children>\n"
        )
        for child in children:
            episodes = [
                e
                for e in child.episodes
                if e.referral_date <= census and (e.closure is None or e.closure >= opened)
            ]
            if episodes:
                out.write(_child_xml(child, episodes, year, census))
        out.write(" </Children>\n</Message>\n")


def _child_xml(child: _Child, episodes: list[_Episode], year: int, census: date) -> str:
    ids = [f"<LAchildID>{escape(child.child_id)}</LAchildID>"]
    if child.birth is not None:
        ids.append(f"<PersonBirthDate>{child.birth}</PersonBirthDate>")
    if child.expected_birth is not None:
        ids.append(f"<ExpectedPersonBirthDate>{child.expected_birth}</ExpectedPersonBirthDate>")
    if year >= SEX_FROM_YEAR:
        ids.append(f"<Sex>{child.sex}</Sex>")
    else:
        ids.append(f"<GenderCurrent>{GENDER_CURRENT[child.sex]}</GenderCurrent>")
    chars = [f"<Ethnicity>{child.ethnicity}</Ethnicity>"]
    if child.disability in ("Y", "N"):
        code = DISABILITIES[len(child.child_id) % len(DISABILITIES)]
        code = code if child.disability == "Y" else "NONE"
        chars.append(f"<Disabilities><Disability>{code}</Disability></Disabilities>")
    parts = [
        "  <Child>\n   <ChildIdentifiers>",
        "".join(ids),
        "</ChildIdentifiers>\n   <ChildCharacteristics>",
        "".join(chars),
        "</ChildCharacteristics>\n",
    ]
    parts += [_episode_xml(e, year, census) for e in episodes]
    parts.append("  </Child>\n")
    return "".join(parts)


def _episode_xml(e: _Episode, year: int, census: date) -> str:
    nfa = ("true" if e.nfa else "false") if year % 2 else ("1" if e.nfa else "0")
    out = [
        f"   <CINdetails><CINreferralDate>{e.referral_date}</CINreferralDate>"
        f"<ReferralSource>{e.source}</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>"
    ]
    if e.closure is not None and e.closure <= census:
        reason = "RC8" if e.nfa else "RC1"
        out.append(
            f"<CINclosureDate>{e.closure}</CINclosureDate><ReasonForClosure>{reason}"
            "</ReasonForClosure>"
        )
    out.append(f"<ReferralNFA>{nfa}</ReferralNFA>")
    if e.assessment is not None and e.assessment[0] <= census:
        start, authorised, factors = e.assessment
        out.append(f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>")
        if authorised <= census:
            out.append(
                f"<AssessmentAuthorisationDate>{authorised}</AssessmentAuthorisationDate>"
                "<FactorsIdentifiedAtAssessment>"
            )
            out += [f"<AssessmentFactors>{f}</AssessmentFactors>" for f in factors]
            out.append("</FactorsIdentifiedAtAssessment>")
        out.append("</Assessments>")
    if e.cin_plan is not None and e.cin_plan[0] <= census:
        end = f"<CINPlanEndDate>{e.cin_plan[1]}</CINPlanEndDate>" if e.cin_plan[1] <= census else ""
        out.append(
            f"<CINPlanDates><CINPlanStartDate>{e.cin_plan[0]}</CINPlanStartDate>{end}"
            "</CINPlanDates>"
        )
    if e.s47 is not None and e.s47 <= census:
        out.append(f"<Section47><S47ActualStartDate>{e.s47}</S47ActualStartDate></Section47>")
    if e.cp_plan is not None and e.cp_plan <= census:
        out.append(
            f"<ChildProtectionPlans><CPPstartDate>{e.cp_plan}</CPPstartDate></ChildProtectionPlans>"
        )
    out.append("</CINdetails>\n")
    return "".join(out)
