"""Workload audit: does a team give NFA more often, at the same risk, in its busier months?"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from fairness.groups import Grouping
from fairness.rates import two_sided_p, z_value
from fairness.report import PENDING, Finding

METRIC = "nfa_volume_odds_ratio"
REFERENCE = "the team's usual monthly volume"
MIN_MONTHS = 3
WORKLOAD_CAVEAT = (
    "Workload: the volume effect is an association within each team over time. Anything else "
    "that changes with busy months (season, staffing, the kind of contacts received beyond what "
    "the risk estimate captures) can produce or hide it."
)


def logistic_slope(
    events: np.ndarray, totals: np.ndarray, stratum: np.ndarray, x: np.ndarray
) -> tuple[float, float]:
    """Slope on ``x`` of a binomial logistic regression with one intercept per stratum.

    Parameters
    ----------
    events, totals
        Aggregated cells (for example risk band x month): events and trials in each.
    stratum
        Each cell's stratum index (its own intercept).
    x
        Each cell's covariate.

    Returns
    -------
    (slope, standard error)
        NaN when the slope cannot be estimated (no variation in ``x`` within informative strata).

    Notes
    -----
    Strata where every trial is an event, or none is, carry no information on the slope (their
    intercept runs off to infinity), so they are dropped; the slope is then exactly the maximum
    likelihood estimate. Fitted by Newton–Raphson on the aggregated cells.
    """
    keep = totals > 0
    events, totals, stratum, x = events[keep], totals[keep], stratum[keep], x[keep]
    per_events = np.bincount(stratum, weights=events)
    per_totals = np.bincount(stratum, weights=totals)
    informative = (per_events > 0) & (per_events < per_totals)
    keep = informative[stratum]
    if keep.sum() < 2:
        return math.nan, math.nan
    events, totals, x = events[keep], totals[keep], x[keep]
    _, stratum = np.unique(stratum[keep], return_inverse=True)
    design = np.zeros((x.size, stratum.max() + 2))
    design[np.arange(x.size), stratum] = 1.0
    design[:, -1] = x
    beta = np.zeros(design.shape[1])
    base = per_events[informative] / per_totals[informative]
    beta[:-1] = np.log(base / (1 - base))
    for _ in range(100):
        p = expit(design @ beta)
        gradient = design.T @ (events - totals * p)
        hessian = (design * (totals * p * (1 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return math.nan, math.nan
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = expit(design @ beta)
    hessian = (design * (totals * p * (1 - p))[:, None]).T @ design
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    variance = covariance[-1, -1]
    if not np.isfinite(variance) or variance <= 0:
        return math.nan, math.nan
    return float(beta[-1]), float(math.sqrt(variance))


def workload_findings(
    teams: Grouping,
    month: np.ndarray,
    nfa: np.ndarray,
    decided: np.ndarray,
    strata: np.ndarray,
    n_strata: int,
    *,
    volume_step: float,
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> list[Finding]:
    """One finding per team: the odds ratio of NFA per ``volume_step`` rise in monthly volume.

    Parameters
    ----------
    teams
        Each row's team.
    month
        Each row's month as an integer (months since some origin).
    nfa, decided
        Whether the decision was NFA; whether a decision is recorded (others are left out of the
        regression but still count towards the team's volume).
    strata
        Each row's risk band: NFA is compared within a band, so a busier month with riskier
        contacts does not count as a volume effect.
    volume_step
        The volume rise the odds ratio is reported for, as a ratio (1.25: 25% above usual).
    """
    z = z_value(confidence)
    has_team = teams.codes >= 0
    first = int(month[has_team].min()) if has_team.any() else 0
    month = month - first
    n_months = int(month[has_team].max()) + 1 if has_team.any() else 1
    n_teams = len(teams.labels)
    cell = teams.codes[has_team] * n_months + month[has_team]
    volume = np.bincount(cell, minlength=n_teams * n_months).reshape(n_teams, n_months)
    active = volume > 0
    usual = np.divide(
        volume.sum(axis=1), active.sum(axis=1), out=np.ones(n_teams), where=active.any(axis=1)
    )
    with np.errstate(divide="ignore"):
        log_relative = np.log(volume / usual[:, None])
    rows = has_team & decided & (strata >= 0)
    index = (teams.codes[rows] * n_strata + strata[rows]) * n_months + month[rows]
    size = n_teams * n_strata * n_months
    shape = (n_teams, n_strata, n_months)
    totals = np.bincount(index, minlength=size).reshape(shape)
    events = np.bincount(index, weights=nfa[rows], minlength=size).reshape(shape)
    stratum_of_cell = np.broadcast_to(np.arange(n_strata)[:, None], (n_strata, n_months))
    findings = []
    scale = math.log(volume_step)
    for t, team in enumerate(teams.labels):
        n = int(totals[t].sum())
        if n == 0:
            continue
        months_used = int((totals[t].sum(axis=0) > 0).sum())
        slope, se = logistic_slope(
            events[t].ravel(),
            totals[t].ravel(),
            stratum_of_cell.ravel(),
            np.broadcast_to(
                np.where(active[t], log_relative[t], 0.0), (n_strata, n_months)
            ).ravel(),
        )
        enough = n >= min_n and months_used >= MIN_MONTHS and math.isfinite(slope)
        odds_ratio = math.exp(slope * scale) if math.isfinite(slope) else math.nan
        lower = math.exp((slope - z * se) * scale) if enough else math.nan
        upper = math.exp((slope + z * se) * scale) if enough else math.nan
        p = float(two_sided_p(slope / se)) if enough else math.nan
        findings.append(
            Finding(
                audit="workload",
                attribute="team_id",
                group=team,
                reference=REFERENCE,
                metric=METRIC,
                n=n,
                value=odds_ratio,
                ci=(lower, upper),
                reference_value=1.0,
                difference=odds_ratio - 1.0,
                ratio=odds_ratio,
                p_adjusted=math.nan,
                verdict=PENDING if enough else "insufficient_data",
                n_reference=n,
                ratio_ci=(lower, upper),
                p_value=p,
                material=bool(enough and not ratio_band[0] <= odds_ratio <= ratio_band[1]),
                method=(
                    "logistic regression of NFA on risk band (one intercept each) and log(month's "
                    "volume / team's usual monthly volume); odds ratio for a month "
                    f"{volume_step - 1:.0%} busier than usual; Wald CI and p"
                ),
                details={
                    "months": months_used,
                    "slope_per_log_volume": slope,
                    "slope_se": se,
                    "volume_step": volume_step,
                    "usual_monthly_volume": float(usual[t]),
                },
            )
        )
    return findings
