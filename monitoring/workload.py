"""Workload pressure: does a team give NFA more often, at the same risk, in its busier months?

Two views per team:

- a **table by month**: the month's contact volume against the team's usual (mean) monthly
  volume, and its NFA rate against the rate expected at the same estimated risk (every team's NFA
  rate in each risk band over the report, applied to the team-month's band mix): observed /
  expected NFA above 1 in busy months is the pattern to look for;
- a **test per month** over a trailing window (``window`` months ending in that month): the
  fairness module's workload audit, a logistic regression of NFA on the risk band and
  log(volume / usual volume), reported as the odds ratio of NFA in a month 25% busier than usual.

Months not yet over (``now`` falls inside them) are left out: their volume is not yet known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.codes import Decision
from fairness import MIN_MONTHS, Finding, audit_contract
from monitoring.checks import Check, check_from_finding
from monitoring.patterns import strata_of
from reporting import clean

VOLUME_STEP = 1.25


def _check(finding: Finding, month: str, window: Sequence[str]) -> Check:
    tested = finding.verdict != "insufficient_data" and math.isfinite(finding.p_value)
    return check_from_finding(
        finding,
        kind="workload",
        month=month,
        where=f"team_id={finding.group}",
        measure="odds_ratio",
        tested=tested,
        details={
            "window": f"{window[0]} to {window[-1]}",
            "months": finding.details.get("months"),
            "usual_monthly_volume": finding.details.get("usual_monthly_volume"),
            "volume_step": finding.details.get("volume_step"),
        },
    )


def workload_checks(
    frame: pd.DataFrame,
    month_pos: np.ndarray,
    months: Sequence[str],
    complete: Sequence[bool],
    *,
    window: int,
    group_min_n: int,
    ratio_band: tuple[float, float],
    alpha: float,
) -> list[Check]:
    """The workload audit over the trailing ``window`` complete months, for every month."""
    checks: list[Check] = []
    has_team = frame["team_id"].notna().to_numpy()
    for i, month in enumerate(months):
        if not complete[i]:
            continue
        span = [j for j in range(max(0, i - window + 1), i + 1) if complete[j]]
        rows = np.isin(month_pos, span) & has_team
        active = np.unique(month_pos[rows])
        if active.size < MIN_MONTHS:
            continue
        report = audit_contract(
            frame.loc[rows],
            audits=["workload"],
            min_n=group_min_n,
            ratio_band=ratio_band,
            alpha=alpha,
            volume_step=VOLUME_STEP,
        )
        window_labels = [months[j] for j in span]
        checks += [_check(f, month, window_labels) for f in report.findings]
    return checks


def team_month_table(
    frame: pd.DataFrame, month_pos: np.ndarray, months: Sequence[str], complete: Sequence[bool]
) -> list[dict[str, Any]]:
    """Per team and complete month: volume against usual, NFA observed against expected."""
    decision = frame["decision"].astype("string")
    decided = decision.notna().to_numpy()
    nfa = decision.eq(Decision.NFA.value).to_numpy(dtype=bool, na_value=False)
    strata, n_strata = strata_of(frame)
    band_totals = np.bincount(strata[decided], minlength=n_strata)
    band_nfa = np.bincount(strata[decided], weights=nfa[decided], minlength=n_strata)
    band_rate = np.divide(band_nfa, band_totals, out=np.zeros(n_strata), where=band_totals > 0)
    expected_row = np.where(decided, band_rate[strata], 0.0)
    teams = frame["team_id"].astype("string")
    complete_pos = np.flatnonzero(np.asarray(complete, dtype=bool))
    out = []
    for team in sorted(teams.dropna().unique()):
        mine = teams.eq(team).to_numpy(dtype=bool, na_value=False) & np.isin(
            month_pos, complete_pos
        )
        volume = np.bincount(month_pos[mine], minlength=len(months))
        active = volume[complete_pos] > 0
        usual = volume[complete_pos][active].mean() if active.any() else math.nan
        made = np.bincount(month_pos[mine & decided], minlength=len(months))
        observed = np.bincount(
            month_pos[mine], weights=nfa[mine] & decided[mine], minlength=len(months)
        )
        expected = np.bincount(month_pos[mine], weights=expected_row[mine], minlength=len(months))
        for m in complete_pos:
            if volume[m] == 0:
                continue
            out.append(
                clean(
                    {
                        "team_id": team,
                        # For mypy: numpy integer index into a list of month labels
                        "month": months[m],  # type: ignore[call-overload]
                        "volume": int(volume[m]),
                        "volume_ratio": volume[m] / usual,
                        "decided": int(made[m]),
                        "nfa_rate": observed[m] / made[m] if made[m] else math.nan,
                        "expected_nfa_rate": expected[m] / made[m] if made[m] else math.nan,
                        "nfa_observed_expected": observed[m] / expected[m]
                        if expected[m]
                        else math.nan,
                    }
                )
            )
    return out
