"""A synthetic front-door extract with a known truth, from a documented generating process.

Every parameter below is described, with where it comes from, in ``docs/synthetic-data.md``.
Figures marked "published" are read from ``data/reference/published_figures.csv`` (DfE,
"Characteristics of children in need", each row naming its year and data set); the rest are
assumptions, stated as such. The process, in order:

1. age band, then referral source given age (schools and school nurses do not refer babies, health
   visitors refer under-5s), fitted so both margins match the published mixes;
2. concerns given age and source (exploitation, gangs and going missing mostly for older children);
3. prior contacts, a previous child protection plan and an open early-help case;
4. team and month, with monthly volumes that vary (seasonally and by chance);
5. **true need** from the substantive inputs (and age, for babies) only:
   ``true_risk = sigmoid(TRUE_INTERCEPT + sum of weights)``, then ``need ~ Bernoulli(true_risk)``;
6. **historical decisions** from a noisy perceived risk plus the research's shortcuts;
7. **selective labels**: the outcome is observed after early help, assessment or a strategy
   discussion; after NFA, signposting or more-information only if the child comes back;
8. **timeliness** (from its own random stream, so the columns above do not change): each
   decision's due day, the day it was made (some days late, more often in a team's busier months)
   and reasons when late; for assessments and strategy discussions, the assessment's due day, the
   working days it took (longer in a team's busier months), its outcome, and reasons when late.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd

from data.codes import (
    ACTED_ON,
    AGE_BANDS,
    AssessmentOutcome,
    Concern,
    Decision,
    LateReason,
    ReferralSource,
)
from data.contract import COLUMNS, LONDON
from data.published import figures
from data.workdays import (
    ASSESSMENT_DECISIONS,
    add_working_days_many,
    london_days,
)

# --- 1. Age and referral source -------------------------------------------------------------

# Share of contacts by age band. Published: CIN 2015-16, 10-15-year-olds 30.6%, under-5s 23.6%.
# Assumption: the under-5 share split 8.0 (age 0, incl. unborn) / 15.6 (1-4); 10-15 split over
# 10-12 (13.6) and 13-15 (17.0) in proportion to the years; 5-9 25.5; 16-17 the remaining 20.3.
AGE_BAND_SHARES: dict[str, float] = {
    "0": 0.080,
    "1-4": 0.156,
    "5-9": 0.255,
    "10-12": 0.136,
    "13-15": 0.170,
    "16-17": 0.203,
}

# Referral source shares by group: published (CIN census 2020, data set C5, derived), read from
# data/reference/published_figures.csv. The split of each group over its codes is an assumption.
SOURCE_SPLIT: dict[str, dict[str, float]] = {
    "individual": {"1A": 4.0, "1B": 1.6, "1C": 1.0, "1D": 1.5},
    "schools": {"2A": 1.0},
    "education services": {"2B": 1.0},
    "health services": {"3A": 3.0, "3B": 2.5, "3C": 1.0, "3D": 1.5, "3E": 4.0, "3F": 3.0},
    "housing": {"4": 1.0},
    "LA services": {"5A": 7.0, "5B": 2.5, "5C": 2.0, "5D": 2.6},
    "police": {"6": 1.0},
    "other legal agency": {"7": 1.0},
    "other": {"8": 1.0},
    "anonymous": {"9": 1.0},
    "unknown": {"10": 1.0},
}


@cache
def default_source_shares() -> dict[str, float]:
    """Percent of contacts by referral source code: published group share x assumed split."""
    published = figures("referral_source_share")
    shares = {}
    for group, split in SOURCE_SPLIT.items():
        total = sum(split.values())
        shares.update({code: published[group] * w / total for code, w in split.items()})
    return shares


# How plausible each source is for each age band before fitting the margins (assumption):
# schools, education services and school nurses rarely refer under-5s and never babies; health
# visitors refer only under-5s.
SOURCE_AGE_PLAUSIBILITY: dict[str, tuple[float, ...]] = {
    "2A": (0.0, 0.15, 1, 1, 1, 1),
    "2B": (0.0, 0.3, 1, 1, 1, 1),
    "3C": (0.0, 0.1, 1, 1, 1, 1),
    "3B": (1, 1, 0.0, 0.0, 0.0, 0.0),
}

# --- 2. Concerns ---------------------------------------------------------------------------

# Prevalence at contact. Published (factors at the end of assessment, children in need 2016):
# domestic violence 49.6%, mental health 36.6%, drug misuse 19.3%, emotional abuse 19.3%, alcohol
# misuse 18.4%, neglect 17.5%, physical abuse 14.0%, sexual abuse 6.4%, self-harm 4.3%, CSE 3.9%,
# missing 2.7%, gangs 1.2%. Assumption: at contact, before assessment, a factor is reported
# 0.45 times as often as it is identified at the end of assessment, and each factor is split over
# its subject codes as below. Codes the reference does not cover are assumptions.
CONTACT_TO_ASSESSMENT = 0.45
_SPLIT = {  # factor -> {code: share of the factor}
    "domestic": {"3A": 0.25, "3B": 0.60, "3C": 0.15},
    "mental_health": {"4A": 0.35, "4B": 0.55, "4C": 0.10},
    "drugs": {"2A": 0.25, "2B": 0.60, "2C": 0.15},
    "emotional": {"17A": 1.0},
    "alcohol": {"1A": 0.20, "1B": 0.65, "1C": 0.15},
    "neglect": {"16A": 1.0},
    "physical": {"18B": 0.25, "18C": 0.75},
    "sexual": {"19B": 0.35, "19C": 0.65},
    "self_harm": {"15A": 1.0},
    "cse": {"11A": 1.0},
    "missing": {"10A": 1.0},
    "gangs": {"13A": 1.0},
}
ASSUMED_PREVALENCE: dict[str, float] = {
    "5A": 0.020, "5B": 0.010, "5C": 0.003, "6A": 0.020, "6B": 0.010, "6C": 0.003, "7A": 0.008,
    "8B": 0.0005, "8C": 0.0005, "8D": 0.0005, "8E": 0.0010, "8F": 0.0005, "9A": 0.005,
    "12A": 0.002, "14A": 0.030, "20": 0.060, "22A": 0.001, "23A": 0.001, "24A": 0.010,
}  # fmt: skip


@cache
def concern_prevalence() -> dict[str, float]:
    """Prevalence of each concern code at contact: published factor shares (read from
    data/reference/published_figures.csv) x ``CONTACT_TO_ASSESSMENT`` x the assumed split."""
    factor_share = figures("assessment_factor_share")
    published = {
        code: factor_share[factor] / 100 * share * CONTACT_TO_ASSESSMENT
        for factor, split in _SPLIT.items()
        for code, share in split.items()
    }
    return {**published, **ASSUMED_PREVALENCE}


# Relative likelihood of a concern by age band (0, 1-4, 5-9, 10-12, 13-15, 16-17); assumption,
# following the census pattern that exploitation, gangs and going missing are concerns about
# older children. Rescaled so the population prevalence stays as above.
_AGE_PROFILE = {
    "older": (0, 0, 0.05, 0.6, 2.2, 2.6),  # exploitation, gangs, missing, trafficking
    "teen_behaviour": (0, 0, 0, 0.3, 2.0, 3.0),  # the child's own alcohol or drug misuse
    "teen_wellbeing": (0, 0, 0.3, 1.0, 2.2, 2.2),  # self-harm, the child's mental health
    "behaviour": (0, 0.1, 0.6, 1.2, 1.8, 1.5),
    "child_on_child": (0, 0.2, 1.0, 1.3, 1.4, 1.0),
    "young": (1.8, 1.5, 1.0, 0.8, 0.6, 0.5),  # neglect
    "asylum": (0, 0, 0.1, 0.5, 1.5, 3.0),
    "carer": (0, 0, 0.8, 1.4, 1.4, 1.0),
    "fgm": (0.5, 1.5, 1.5, 1.0, 0.5, 0.2),
    "parental": (1.4, 1.2, 1.0, 0.9, 0.8, 0.7),
}
AGE_PROFILE_OF: dict[str, str] = {
    "10A": "older", "11A": "older", "12A": "older", "13A": "older", "24A": "older",
    "1A": "teen_behaviour", "2A": "teen_behaviour",
    "15A": "teen_wellbeing", "4A": "teen_wellbeing",
    "14A": "behaviour", "18B": "child_on_child", "19B": "child_on_child",
    "16A": "young", "9A": "asylum", "7A": "carer", "22A": "fgm",
    "1B": "parental", "2B": "parental", "3B": "parental", "4B": "parental",
}  # fmt: skip

# Relative likelihood of a concern by who reports it; assumption (police attend domestic
# incidents and missing episodes; schools see emotional harm and neglect; health sees mental
# health and self-harm; anonymous callers and neighbours report neglect and parental drug use).
_DOMESTIC = ("3A", "3B", "3C")
SOURCE_CONCERN_FACTORS: dict[str, dict[str, float]] = {
    "6": {**dict.fromkeys(_DOMESTIC, 2.5), "10A": 2.5, "13A": 2.5, "24A": 2.0, "11A": 1.5,
          "14A": 1.5, "18C": 1.3},
    "2A": {"17A": 1.3, "16A": 1.3, "4A": 1.5, "15A": 1.4, "7A": 1.5,
           **dict.fromkeys(_DOMESTIC, 0.6)},
    "2B": {"17A": 1.3, "16A": 1.3, "4A": 1.5, "7A": 1.5, **dict.fromkeys(_DOMESTIC, 0.6)},
    "3C": {"4A": 1.5, "15A": 1.6, **dict.fromkeys(_DOMESTIC, 0.6)},
    **{code: {"4B": 1.5, "4A": 1.5, "15A": 2.0, "2B": 1.3, "6A": 2.0, "18C": 1.2,
              **dict.fromkeys(_DOMESTIC, 0.6)} for code in ("3A", "3B", "3D", "3E", "3F")},
    **{code: {**dict.fromkeys(_DOMESTIC, 0.8), "16A": 1.3, "17A": 1.3}
       for code in ("1A", "1B", "1C", "1D")},
    "9": {"16A": 1.8, "2B": 1.5, "1B": 1.3, **dict.fromkeys(_DOMESTIC, 0.6)},
    "4": {"16A": 1.3, "4B": 1.2},
}  # fmt: skip
# When no concern is drawn, the share of contacts recorded as "21 no factors identified"
# rather than left empty (assumption).
NO_FACTORS_SHARE = 0.3

# --- 3. History --------------------------------------------------------------------------------
# Published: re-referrals within 12 months were 22.6% of referrals (2025). Assumption: a contact
# has earlier contacts with probability 0.16 + 0.06 per concern reported (capped at 0.6), and
# then 1 + Geometric(0.5) of them.
PRIOR_BASE, PRIOR_PER_CONCERN, PRIOR_CAP, PRIOR_GEOMETRIC_P = 0.16, 0.06, 0.6, 0.5
# Assumption: ever on a child protection plan 4%, plus 4 points per earlier contact (up to 3).
CP_PLAN_BASE, CP_PLAN_PER_PRIOR = 0.04, 0.04
EARLY_HELP_OPEN_SHARE = 0.10  # assumption

# --- 5. True need ------------------------------------------------------------------------------
# Log-odds weights of need within 12 months (assumption: heavier for abuse and exploitation,
# lighter for household context). Only substantive inputs and being a baby carry weight; the
# referral source and other ages carry none, so any weight a model gives them is learned bias.
TRUE_INTERCEPT = -2.45
TRUE_CONCERN_WEIGHTS: dict[str, float] = {
    "1A": 0.4, "1B": 0.7, "1C": 0.4, "2A": 0.6, "2B": 0.9, "2C": 0.5,
    "3A": 1.0, "3B": 0.8, "3C": 0.5, "4A": 0.6, "4B": 0.6, "4C": 0.3,
    "5A": 0.6, "5B": 0.5, "5C": 0.2, "6A": 0.5, "6B": 0.3, "6C": 0.2, "7A": 0.5,
    "8B": 0.8, "8C": 0.8, "8D": 0.6, "8E": 0.9, "8F": 0.8, "9A": 1.5,
    "10A": 0.9, "11A": 1.6, "12A": 1.6, "13A": 0.9, "14A": 0.3, "15A": 0.8,
    "16A": 1.2, "17A": 0.8, "18B": 0.5, "18C": 1.4, "19B": 1.0, "19C": 1.8,
    "20": 0.2, "21": -0.3, "22A": 1.5, "23A": 1.2, "24A": 1.4,
}  # fmt: skip
TRUE_PRIOR_WEIGHT = 0.5  # per unit of log(1 + prior contacts)
TRUE_CP_PLAN_WEIGHT = 1.0
TRUE_EARLY_HELP_WEIGHT = 0.3
TRUE_BABY_WEIGHT = 0.8  # age 0 (incl. unborn): babies are genuinely at higher risk

# --- 4. Teams and time -----------------------------------------------------------------------
TEAMS: dict[str, float] = {"T1": 0.35, "T2": 0.25, "T3": 0.25, "T4": 0.15}  # assumption
WORKERS_PER_TEAM = 8
# Assumption: contacts follow the school year (fewer in August and late December).
MONTH_SEASONALITY = (1.0, 1.05, 0.95, 0.95, 0.7, 1.1, 1.1, 1.1, 0.85, 1.0, 1.0, 1.05)  # Jan..Dec
MONTHLY_SURGE_SD = 0.25  # sd of a team-month's log volume around its seasonal level (assumption)

# --- 6. Decisions ----------------------------------------------------------------------------
PERCEPTION_NOISE_SD = 0.7  # sd of the worker's error in judging risk, in log-odds (assumption)
# Cut points on the perceived log-odds, chosen so that with no shortcuts about 36% of contacts
# get NFA, 15% a deflection, 15% early help, 26% assessment and 8% a strategy discussion
# (assumption; published: of referrals in 2017, 21.6% NFA and 11.6% s47 enquiries).
CUT_NFA, CUT_DEFLECT, CUT_EARLY_HELP, CUT_ASSESSMENT = -1.93, -1.48, -0.99, 0.41
MORE_INFORMATION_SHARE = 0.45  # of deflections, the share sent back to the referrer
# --- 7. Selective labels -----------------------------------------------------------------------
# After NFA, signposting or more-information, the child is seen again (and the outcome observed)
# with these probabilities; assumption, in line with 22.6% re-referrals within 12 months.
RETURN_IF_NEED, RETURN_IF_NO_NEED = 0.55, 0.12

# --- 8. Timeliness -----------------------------------------------------------------------------
# Drawn from a second random stream seeded from the same seed, so every column above is the same
# with or without them.
TIMELINESS_STREAM = 8
# Working days an assessment takes: log-normal, median 33 with 85.7% within 45 working days at a
# team's usual volume (published, 2024-25: data/reference/published_figures.csv), so
# sd = (log 45 - log 33) / z(0.857) = 0.291. Assumption: the median scales with
# (month's volume / team's usual) ** ASSESSMENT_VOLUME_ELASTICITY, so a month 25% busier than
# usual takes about 12% longer (volume centred on the contact-weighted mean of its log).
ASSESSMENT_MEDIAN_DAYS, ASSESSMENT_DAYS_SD = 33.0, 0.291
ASSESSMENT_VOLUME_ELASTICITY = 0.5
# Late reasons (assumption): one reason, and a second with this probability; weights below, with
# team capacity weighing (volume ratio) ** 2 more in busy months and holiday periods three times
# more when the assessment was due in August, late December or early January.
SECOND_REASON_SHARE = 0.3
LATE_REASON_WEIGHTS: dict[str, float] = {
    "no_access_to_child": 0.12, "family_declined": 0.06, "family_not_at_home": 0.10,
    "awaiting_information_from_agency": 0.16, "worker_absence": 0.10, "team_capacity": 0.20,
    "interpreter_or_specialist_needed": 0.04, "holiday_period": 0.06,
    "complexity_needs_more_time": 0.13, "other": 0.03,
}  # fmt: skip
HOLIDAY_REASON_FACTOR = 3.0
# Decisions (assumption): most are made within a day of receipt (step 6's time); a share is
# delayed to working day 1 + G after receipt, G ~ geometric(0.5) (so 2 or more: late under the
# default 1-working-day rule). The share is 8% at a team's usual volume and its log-odds rise by
# DECISION_VOLUME_ELASTICITY per unit of log volume ratio: a month 25% busier than usual has
# 1.25 ** 2.5 = 1.75 times the odds of a slow decision. Late decisions are made in office hours.
DECISION_SLOW_SHARE = 0.08
DECISION_VOLUME_ELASTICITY = 2.5
DECISION_EXTRA_DAYS_P = 0.5
# Assessment outcomes given the observed need (assumption): a child found in need gets a plan,
# an enquiry or care (more enquiries after a strategy discussion); otherwise NFA or early help.
NEED_OUTCOME_SHARES = {
    "assessment": {"child_in_need_plan": 0.6, "child_protection_enquiry": 0.3, "looked_after": 0.1},
    "strategy_discussion": {
        "child_in_need_plan": 0.3, "child_protection_enquiry": 0.6, "looked_after": 0.1,
    },
}  # fmt: skip
NO_NEED_OUTCOME_SHARES = {"nfa": 0.75, "early_help": 0.25}


@dataclass(frozen=True)
class Shortcuts:
    """Strengths of the front-door shortcuts the research describes; each may be set to zero.

    All are in log-odds of perceived risk except ``workload``, which raises the NFA cut point by
    this many log-odds per 100% of a team's month volume above its usual level.
    """

    teen_resilience: float = 0.9  # 13-15-year-olds seen as resilient
    anonymous_malicious: float = 1.2  # anonymous contacts treated as malicious
    individual_suspect: float = 0.6  # family, acquaintance and neighbour contacts suspect
    workload: float = 1.0  # more NFAs when the team is overloaded
    workload_teams: tuple[str, ...] | None = None  # teams affected by workload (None: all)

    @classmethod
    def none(cls) -> Shortcuts:
        """No shortcuts: decisions follow perceived risk alone."""
        return cls(0.0, 0.0, 0.0, 0.0)


SUSPECT_SOURCES = ("1A", "1B")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that shapes a synthetic extract."""

    rows: int = 10_000
    seed: int = 0
    start: str = "2023-04-01"
    months: int = 24
    shortcuts: Shortcuts = field(default_factory=Shortcuts)
    source_shares: dict[str, float] | None = None  # override the published mix
    decision_due_working_days: int = 1  # as TRIAGE_DECISION_DUE_WORKING_DAYS
    assessment_due_working_days: int = 45  # as TRIAGE_ASSESSMENT_DUE_WORKING_DAYS

    def with_shortcuts(self, **strengths: float) -> GeneratorConfig:
        """Return a copy with some shortcut strengths changed."""
        return replace(self, shortcuts=replace(self.shortcuts, **strengths))  # type: ignore[arg-type]  # keys are Shortcuts float fields, checked by dataclasses.replace at run time


def generate(config: GeneratorConfig) -> pd.DataFrame:
    """Return a typed contract frame of ``config.rows`` synthetic contacts."""
    if config.rows < 1:
        raise ValueError("rows must be at least 1")
    if config.months < 1:
        raise ValueError("months must be at least 1")
    rng = np.random.default_rng(config.seed)
    n = config.rows
    sources = list(config.source_shares or default_source_shares())
    band_index, source_index = _draw_age_and_source(rng, n, config.source_shares)
    ages = _draw_ages(rng, band_index)
    source_codes = np.asarray(sources)[source_index]
    concerns = _draw_concerns(rng, band_index, source_codes)
    n_concerns = concerns[:, _real_concern_mask()].sum(axis=1)
    prior = _draw_prior_contacts(rng, n_concerns)
    cp_plan = rng.random(n) < CP_PLAN_BASE + CP_PLAN_PER_PRIOR * np.minimum(prior, 3)
    early_help = rng.random(n) < EARLY_HELP_OPEN_SHARE
    team, received_at, volume_ratio = _draw_teams_and_times(rng, n, config)
    logit = true_logit(concerns, prior, cp_plan, early_help, ages)
    true_risk = 1.0 / (1.0 + np.exp(-logit))
    need = rng.random(n) < true_risk
    decision = _draw_decisions(rng, logit, ages, source_codes, team, volume_ratio, config.shortcuts)
    outcome = _observe_outcomes(rng, need, decision)
    # Within a day of receipt; step 8 moves a slow decision's to the day it was made.
    decided_at = received_at + pd.to_timedelta(
        np.minimum(rng.exponential(6.0, n), 23.5) * 3600, unit="s"
    )
    workers = rng.integers(1, WORKERS_PER_TEAM + 1, n)
    frame = pd.DataFrame(
        {
            "contact_id": pd.array([f"C{i:07d}" for i in range(1, n + 1)], dtype="string"),
            "received_at": received_at,
            "child_age_years": ages.astype("int64"),
            "referral_source": pd.array(source_codes, dtype="string"),
            "concerns": pd.array(_join_concerns(concerns), dtype="string"),
            "prior_contacts_12m": prior.astype("int64"),
            "previous_cp_plan": cp_plan,
            "early_help_open": early_help,
            "child_sex": pd.array(_draw_sex(rng, n), dtype="string"),
            "child_ethnicity": pd.array(_draw_ethnicity(rng, n), dtype="string"),
            "child_disability": pd.array(_draw_disability(rng, concerns), dtype="string"),
            "team_id": pd.array(team, dtype="string"),
            "narrative": pd.array([None] * n, dtype="string"),
            "decision": pd.array(decision, dtype="string"),
            "worker_id": pd.array(np.char.add(np.char.add(team, "-W"), workers.astype(str)),
                                  dtype="string"),
            "decision_note": pd.array([None] * n, dtype="string"),
            "outcome_need_12m": pd.array(outcome, dtype="boolean"),
            "true_risk": true_risk.astype("float64"),
            **draw_timeliness(
                np.random.default_rng([TIMELINESS_STREAM, config.seed]),
                pd.Series(received_at),
                pd.Series(decided_at),
                decision,
                volume_ratio,
                outcome,
                config,
            ),
        }
    )  # fmt: skip
    return frame[list(COLUMNS)]


# --- the steps -----------------------------------------------------------------------------


def fit_age_source_table(source_shares: dict[str, float] | None = None) -> np.ndarray:
    """Joint P(age band, source) matching both margins, with implausible pairs made rare.

    Iterative proportional fitting from the plausibility table ``SOURCE_AGE_PLAUSIBILITY``.
    """
    shares = source_shares or default_source_shares()
    codes = list(shares)
    age_margin = np.array(list(AGE_BAND_SHARES.values()))
    source_margin = np.array([shares[c] for c in codes], dtype=float)
    source_margin /= source_margin.sum()
    table = np.ones((len(age_margin), len(codes)))
    for j, code in enumerate(codes):
        if code in SOURCE_AGE_PLAUSIBILITY:
            table[:, j] = SOURCE_AGE_PLAUSIBILITY[code]
    for _ in range(200):
        table *= (age_margin / table.sum(axis=1))[:, None]
        table *= source_margin / table.sum(axis=0)
    return table / table.sum()


def _draw_age_and_source(
    rng: np.random.Generator, n: int, source_shares: dict[str, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    table = fit_age_source_table(source_shares)
    cells = rng.choice(table.size, size=n, p=table.ravel())
    return np.divmod(cells, table.shape[1])


def _draw_ages(rng: np.random.Generator, band_index: np.ndarray) -> np.ndarray:
    lows = np.array([low for _, low, _ in AGE_BANDS])
    widths = np.array([high - low + 1 for _, low, high in AGE_BANDS])
    return lows[band_index] + np.floor(rng.random(band_index.size) * widths[band_index]).astype(int)


CONCERN_CODES: tuple[str, ...] = tuple(c.value for c in Concern)


def _real_concern_mask() -> np.ndarray:
    return np.array([code != Concern.NO_FACTORS for code in CONCERN_CODES])


def concern_probability_matrix() -> tuple[np.ndarray, list[str]]:
    """P(concern | age band, source) as an array (age band, source, concern), and the sources.

    Each concern's age and source factors are rescaled so that, over the fitted age-source
    table, its prevalence equals ``concern_prevalence()``.
    """
    sources = list(default_source_shares())
    table = fit_age_source_table()
    n_bands = len(AGE_BANDS)
    probs = np.zeros((n_bands, len(sources), len(CONCERN_CODES)))
    for k, code in enumerate(CONCERN_CODES):
        if code == Concern.NO_FACTORS:
            continue
        age = np.array(_AGE_PROFILE.get(AGE_PROFILE_OF.get(code, ""), (1.0,) * n_bands))
        src = np.array([SOURCE_CONCERN_FACTORS.get(s, {}).get(code, 1.0) for s in sources])
        relative = age[:, None] * src[None, :]
        scale = concern_prevalence()[code] / float((relative * table).sum())
        probs[:, :, k] = np.minimum(relative * scale, 0.9)
    return probs, sources


def _draw_concerns(
    rng: np.random.Generator, band_index: np.ndarray, source_codes: np.ndarray
) -> np.ndarray:
    probs, sources = concern_probability_matrix()
    position = {code: j for j, code in enumerate(sources)}
    source_index = np.array([position[s] for s in source_codes])
    p = probs[band_index, source_index, :]
    drawn = rng.random(p.shape) < p
    none_drawn = ~drawn.any(axis=1)
    no_factors = CONCERN_CODES.index(Concern.NO_FACTORS)
    drawn[:, no_factors] = none_drawn & (rng.random(band_index.size) < NO_FACTORS_SHARE)
    return drawn


def _draw_prior_contacts(rng: np.random.Generator, n_concerns: np.ndarray) -> np.ndarray:
    p_any = np.minimum(PRIOR_BASE + PRIOR_PER_CONCERN * n_concerns, PRIOR_CAP)
    has_prior = rng.random(n_concerns.size) < p_any
    return np.where(has_prior, rng.geometric(PRIOR_GEOMETRIC_P, n_concerns.size), 0)


def true_logit(
    concerns: np.ndarray,
    prior: np.ndarray,
    cp_plan: np.ndarray,
    early_help: np.ndarray,
    ages: np.ndarray,
) -> np.ndarray:
    """Log-odds of need within 12 months given the inputs: the generating process's truth."""
    weights = np.array([TRUE_CONCERN_WEIGHTS[code] for code in CONCERN_CODES])
    return (
        TRUE_INTERCEPT
        + concerns @ weights
        + TRUE_PRIOR_WEIGHT * np.log1p(prior)
        + TRUE_CP_PLAN_WEIGHT * cp_plan
        + TRUE_EARLY_HELP_WEIGHT * early_help
        + TRUE_BABY_WEIGHT * (ages == 0)
    )


def _draw_teams_and_times(
    rng: np.random.Generator, n: int, config: GeneratorConfig
) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    teams = np.array(list(TEAMS))
    start = pd.Timestamp(config.start)
    months = pd.date_range(start, periods=config.months, freq="MS")
    seasonal = np.array([MONTH_SEASONALITY[m.month - 1] for m in months])
    surge = np.exp(rng.normal(0.0, MONTHLY_SURGE_SD, (teams.size, months.size)))
    weights = np.array(list(TEAMS.values()))[:, None] * seasonal[None, :] * surge
    cells = rng.choice(weights.size, size=n, p=(weights / weights.sum()).ravel())
    team_index, month_index = np.divmod(cells, months.size)
    counts = np.bincount(cells, minlength=weights.size).reshape(weights.shape)
    usual = counts.mean(axis=1, keepdims=True)
    ratio = (counts / np.where(usual > 0, usual, 1.0))[team_index, month_index]
    days = months.days_in_month.to_numpy()[month_index]
    # Mostly working hours: 08:00-18:00 plus an evening and night tail.
    hours = np.where(rng.random(n) < 0.85, rng.uniform(8, 18, n), rng.uniform(0, 24, n))
    offsets = np.floor(rng.random(n) * days) * 86_400 + np.floor(hours * 3600)
    local = months.to_numpy()[month_index] + pd.to_timedelta(offsets, unit="s").to_numpy()
    received = (
        pd.DatetimeIndex(local)
        .tz_localize(LONDON, ambiguous=np.ones(n, dtype=bool), nonexistent="shift_forward")
        .tz_convert("UTC")
        .as_unit("ns")
    )
    return teams[team_index], received, ratio


def perceived_logit(
    rng: np.random.Generator,
    logit: np.ndarray,
    ages: np.ndarray,
    source_codes: np.ndarray,
    shortcuts: Shortcuts,
) -> np.ndarray:
    """The worker's judged risk: the truth plus error, less the shortcuts' discounts."""
    noise = rng.normal(0.0, PERCEPTION_NOISE_SD, logit.size)
    return (
        logit
        + noise
        - shortcuts.teen_resilience * ((ages >= 13) & (ages <= 15))
        - shortcuts.anonymous_malicious * (source_codes == ReferralSource.ANONYMOUS)
        - shortcuts.individual_suspect * np.isin(source_codes, SUSPECT_SOURCES)
    )


def _draw_decisions(
    rng: np.random.Generator,
    logit: np.ndarray,
    ages: np.ndarray,
    source_codes: np.ndarray,
    team: np.ndarray,
    volume_ratio: np.ndarray,
    shortcuts: Shortcuts,
) -> np.ndarray:
    perceived = perceived_logit(rng, logit, ages, source_codes, shortcuts)
    affected = np.ones(team.size, dtype=bool)
    if shortcuts.workload_teams is not None:
        affected = np.isin(team, shortcuts.workload_teams)
    nfa_cut = CUT_NFA + shortcuts.workload * affected * (volume_ratio - 1.0)
    # A surge cannot push the NFA cut past the deflection cut's distance from it.
    deflect_cut = np.maximum(CUT_DEFLECT, nfa_cut)
    ask = (rng.random(logit.size) < MORE_INFORMATION_SHARE) & (
        source_codes != ReferralSource.ANONYMOUS  # nobody to ask
    )
    deflection = np.where(ask, Decision.MORE_INFORMATION.value, Decision.SIGNPOST.value)
    return np.select(
        [
            perceived < nfa_cut,
            perceived < deflect_cut,
            perceived < CUT_EARLY_HELP,
            perceived < CUT_ASSESSMENT,
        ],
        [Decision.NFA.value, deflection, Decision.EARLY_HELP.value, Decision.ASSESSMENT.value],
        default=Decision.STRATEGY_DISCUSSION.value,
    )


def _observe_outcomes(
    rng: np.random.Generator, need: np.ndarray, decision: np.ndarray
) -> np.ndarray:
    acted = np.isin(decision, [d.value for d in ACTED_ON])
    returned = rng.random(need.size) < np.where(need, RETURN_IF_NEED, RETURN_IF_NO_NEED)
    observed = acted | returned
    # None (not NaN) marks unobserved outcomes in an object array; numpy's stubs reject None here.
    return np.where(observed, need, None)  # type: ignore[call-overload]


def draw_timeliness(
    rng: np.random.Generator,
    received_at: pd.Series,
    decided_at: pd.Series,
    decision: np.ndarray,
    volume_ratio: np.ndarray,
    outcome: np.ndarray,
    config: GeneratorConfig,
) -> dict[str, pd.api.extensions.ExtensionArray | np.ndarray]:
    """Decision days, due days, assessment dates, outcomes and late reasons (step 8), as columns.

    ``decided_at`` is step 6's time, within a day of receipt; a slow decision's is moved to the
    working day it was made (``draw_decision_days``), the chance of that rising with volume.
    """
    received = london_days(received_at)
    n = received.size
    due = add_working_days_many(received, np.full(n, config.decision_due_working_days))
    assessed = np.isin(decision, list(ASSESSMENT_DECISIONS))
    # Contacts crowd into busy months, so volume is centred on what a contact typically sees:
    # the published median then holds for the extract as a whole.
    # The chance part's sd leaves room for the volume part's, so the total spread is as published.
    volume_effect = ASSESSMENT_VOLUME_ELASTICITY * (
        np.log(volume_ratio) - np.log(volume_ratio).mean()
    )
    chance_sd = np.sqrt(max(ASSESSMENT_DAYS_SD**2 - volume_effect.var(), 0.05**2))
    days_taken = np.exp(
        np.log(ASSESSMENT_MEDIAN_DAYS) + volume_effect + rng.normal(0.0, chance_sd, n)
    )
    days_taken = np.maximum(np.rint(days_taken), 1).astype(np.int64)
    assessment_due = add_working_days_many(received, np.full(n, config.assessment_due_working_days))
    completed = add_working_days_many(received, days_taken)
    late = assessed & (completed > assessment_due)
    reasons = _draw_late_reasons(rng, volume_ratio, assessment_due)
    outcomes = _draw_assessment_outcomes(rng, decision, outcome)
    # Drawn last, so the assessment columns are the same as before decisions could be late.
    taken = draw_decision_days(rng, volume_ratio)
    decided_day = add_working_days_many(received, np.maximum(taken, 1))
    office = pd.to_timedelta(np.floor(rng.uniform(9, 17, n) * 3600), unit="s")
    moved = (
        pd.DatetimeIndex(decided_day.astype("datetime64[ns]"))
        .tz_localize(LONDON)
        .tz_convert("UTC")
        .as_unit("ns")
        + office
    )
    decided = np.where(taken > 0, moved, pd.DatetimeIndex(decided_at))
    decision_late = london_days(pd.Series(pd.DatetimeIndex(decided, tz="UTC"))) > due
    decision_reasons = _draw_late_reasons(rng, volume_ratio, due)
    nat = np.datetime64("NaT", "D")
    return {
        "decided_at": pd.DatetimeIndex(decided, tz="UTC").as_unit("ns"),
        "due_on": due.astype("datetime64[ns]"),
        "late_reasons": pd.array(
            np.where(decision_late, decision_reasons, None),  # type: ignore[call-overload]
            dtype="string",
        ),
        "late_note": pd.array([None] * n, dtype="string"),
        "assessment_due_on": np.where(assessed, assessment_due, nat).astype("datetime64[ns]"),
        "assessment_completed_on": np.where(assessed, completed, nat).astype("datetime64[ns]"),
        # numpy's stubs reject None as np.where's fill; it gives an object array of missing values.
        "assessment_outcome": pd.array(
            np.where(assessed, outcomes, None),  # type: ignore[call-overload]
            dtype="string",
        ),
        "assessment_late_reasons": pd.array(
            np.where(late, reasons, None),  # type: ignore[call-overload]
            dtype="string",
        ),
        "assessment_late_note": pd.array([None] * n, dtype="string"),
    }


def draw_decision_days(rng: np.random.Generator, volume_ratio: np.ndarray) -> np.ndarray:
    """Working days after receipt each decision took: 0 (within a day) or, when slow, 2 or more.

    Slow with probability ``DECISION_SLOW_SHARE`` at a team's usual volume, its log-odds rising
    by ``DECISION_VOLUME_ELASTICITY`` per unit of log volume ratio (centred as for assessments).
    """
    log_ratio = np.log(volume_ratio) - np.log(volume_ratio).mean()
    base = np.log(DECISION_SLOW_SHARE / (1 - DECISION_SLOW_SHARE))
    slow = rng.random(volume_ratio.size) < 1 / (
        1 + np.exp(-(base + DECISION_VOLUME_ELASTICITY * log_ratio))
    )
    extra = rng.geometric(DECISION_EXTRA_DAYS_P, volume_ratio.size)
    return np.where(slow, 1 + extra, 0).astype(np.int64)


def _draw_late_reasons(
    rng: np.random.Generator, volume_ratio: np.ndarray, due: np.ndarray
) -> np.ndarray:
    codes = list(LATE_REASON_WEIGHTS)
    weights = np.tile(np.array(list(LATE_REASON_WEIGHTS.values())), (due.size, 1))
    weights[:, codes.index(LateReason.TEAM_CAPACITY)] *= volume_ratio**2
    month = due.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (due - due.astype("datetime64[M]")).astype(np.int64) + 1
    holiday = (month == 8) | ((month == 12) & (day >= 20)) | ((month == 1) & (day <= 10))
    weights[holiday, codes.index(LateReason.HOLIDAY_PERIOD)] *= HOLIDAY_REASON_FACTOR
    weights /= weights.sum(axis=1, keepdims=True)
    first = _categorical(rng, weights)
    weights[np.arange(due.size), first] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    second = _categorical(rng, weights)
    two = rng.random(due.size) < SECOND_REASON_SHARE
    names = np.array(codes, dtype=object)
    return np.where(two, names[first] + ";" + names[second], names[first])


def _draw_assessment_outcomes(
    rng: np.random.Generator, decision: np.ndarray, need: np.ndarray
) -> np.ndarray:
    result = np.full(decision.size, AssessmentOutcome.NFA.value, dtype=object)
    u = rng.random(decision.size)
    for kind, shares in NEED_OUTCOME_SHARES.items():
        rows = (decision == kind) & (need == True)  # noqa: E712 (an object array with None)
        result[rows] = _pick(shares, u[rows])
    no_need = need == False  # noqa: E712
    result[no_need] = _pick(NO_NEED_OUTCOME_SHARES, u[no_need])
    return result


def _pick(shares: dict[str, float], u: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(list(shares.values()))
    index = np.searchsorted(cumulative / cumulative[-1], u, side="right")
    index = np.minimum(index, len(shares) - 1)
    return np.array(list(shares), dtype=object)[index]


def _categorical(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One draw per row of the probability matrix ``p``."""
    u = rng.random(int(p.shape[0]))[:, None]
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)


def _join_concerns(drawn: np.ndarray) -> np.ndarray:
    codes = np.array([code + ";" for code in CONCERN_CODES], dtype=object)
    joined = np.full(drawn.shape[0], "", dtype=object)
    for k in np.flatnonzero(drawn.any(axis=0)):
        joined = joined + np.where(drawn[:, k], codes[k], "")
    return np.array([s[:-1] for s in joined], dtype=object)


# Protected characteristics: kept for fairness audits only, never model inputs.
SEX_SHARES = {"F": 0.485, "M": 0.500, "U": 0.015}  # assumption
# Assumption (the reference has no ethnicity mix): roughly the CIN population by major group,
# White 64%, Mixed 10%, Asian 9%, Black 8%, Other 3%, Not known 6%.
ETHNICITY_SHARES = {
    "WBRI": 0.52, "WIRI": 0.01, "WIRT": 0.005, "WOTH": 0.095, "WROM": 0.01,
    "MWBC": 0.03, "MWBA": 0.015, "MWAS": 0.015, "MOTH": 0.04,
    "AIND": 0.015, "APKN": 0.035, "ABAN": 0.015, "AOTH": 0.025,
    "BCRB": 0.015, "BAFR": 0.05, "BOTH": 0.015,
    "CHNE": 0.003, "OOTH": 0.027, "REFU": 0.01, "NOBT": 0.05,
}  # fmt: skip
DISABILITY_BASE, DISABILITY_IF_CHILD_CONDITION, DISABILITY_UNKNOWN = 0.07, 0.6, 0.1


def _draw_sex(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(list(SEX_SHARES), size=n, p=list(SEX_SHARES.values()))


def _draw_ethnicity(rng: np.random.Generator, n: int) -> np.ndarray:
    p = np.array(list(ETHNICITY_SHARES.values()))
    return rng.choice(list(ETHNICITY_SHARES), size=n, p=p / p.sum())


def _draw_disability(rng: np.random.Generator, concerns: np.ndarray) -> np.ndarray:
    child_condition = (
        concerns[:, CONCERN_CODES.index("5A")] | concerns[:, CONCERN_CODES.index("6A")]
    )
    p_yes = np.where(child_condition, DISABILITY_IF_CHILD_CONDITION, DISABILITY_BASE)
    u = rng.random(concerns.shape[0])
    unknown = rng.random(concerns.shape[0]) < DISABILITY_UNKNOWN
    return np.where(unknown, "U", np.where(u < p_yes, "Y", "N"))
