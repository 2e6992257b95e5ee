"""Plain sentences for alerts and the report's caveats."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from monitoring.checks import Check

DECISION_VERBS: dict[str, str] = {
    "nfa_rate": "given NFA",
    "escalation_rate": "escalated (assessment or strategy discussion)",
    "deflection_rate": "deflected (sent back for more information or signposted)",
}
DRIFT_CAVEAT = (
    "Input and estimate drift compare each month with the champion's training population "
    "({rows} contacts). PSI bands: under {low} stable, {low}-{high} moderate, over {high} "
    "significant. An alert needs both a material shift (PSI of at least {low}) and an adjusted "
    "p-value under {alpha}: with thousands of contacts a month, tiny shifts are significant but "
    "do not matter, and in small months large PSI values arise by chance."
)
ADJUSTMENT_NOTE = (
    "Holm's step-down adjustment, applied within each kind of check across every month and "
    "comparison of that kind (for input drift: every field x every month)."
)
ESTIMATE_VERSION_CAVEAT = (
    "Estimate drift uses only the {used} contacts scored by the reference version {version}; "
    "{other} scored by other versions were left out."
)
PARTIAL_MONTHS_CAVEAT = (
    "Months not yet over at {now} ({months}) are left out of the workload checks: their volume "
    "is not yet known."
)
IMMATURE_CAVEAT = (
    "Performance is judged only for cohorts whose outcomes have had {outcome_months} months to "
    "show; {count} of {total} months are not yet mature and show label coverage only."
)
ACTED_ON_CAVEAT = (
    "Performance is measured on contacts that were acted on (early help, assessment, strategy "
    "discussion), whose outcomes are always observed, as in training."
)
SKIPPED = "The {section} was skipped: the data has no {columns} column."


def p_text(p: float) -> str:
    """An adjusted p-value for a sentence."""
    if not math.isfinite(p):
        return "p n/a"
    return "adjusted p < 0.001" if p < 0.001 else f"adjusted p = {p:.2g}"


def ci_text(ci: tuple[float, float], digits: int = 2) -> str:
    """``(95% CI a-b)``, or nothing when the interval is unknown."""
    low, high = ci
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f" (95% CI {low:.{digits}f}-{high:.{digits}f})"


def _movers(details: Mapping[str, Any]) -> str:
    parts = [
        f"{m['category']} {m['reference']:.1%} -> {m['observed']:.1%}"
        for m in details.get("movers", [])
    ]
    return f" Largest moves: {', '.join(parts)}." if parts else ""


def describe(check: Check, since: str) -> str:
    """One sentence saying what alerts, how strongly and since when."""
    tail = f"; alerting since {since}."
    if check.kind == "input_drift":
        return (
            f"The mix of {check.what} shifted in {check.month}: PSI {check.strength:.2f} "
            f"({check.level}), {p_text(check.p_adjusted)}{tail}{_movers(check.details)}"
        )
    if check.kind == "estimate_drift":
        return (
            f"The distribution of the estimates shifted in {check.month}: PSI "
            f"{check.strength:.2f} ({check.level}) over the reference deciles, "
            f"{p_text(check.p_adjusted)}{tail}"
        )
    if check.kind == "decision_disparity":
        verb = DECISION_VERBS.get(check.what, check.what)
        return (
            f"In {check.month}, {check.where} was {verb} {check.strength:.2f} times as often as "
            f"{check.details.get('reference')} at the same estimated risk{ci_text(check.ci)}, "
            f"{p_text(check.p_adjusted)}{tail}"
        )
    if check.kind == "workload":
        team = check.where.split("=", 1)[-1]
        return (
            f"Team {team} gave NFA more often at the same risk in busier months: odds ratio "
            f"{check.strength:.2f} for a month 25% busier than usual{ci_text(check.ci)}, over "
            f"{check.details.get('window')}, {p_text(check.p_adjusted)}{tail}"
        )
    if check.kind == "timeliness":
        return _timeliness(check, tail)
    if check.what == "auc":
        return (
            f"For contacts received in {check.month} ({check.where}), the AUC on acted-on "
            f"contacts was {check.strength:.3f}{ci_text(check.ci, 3)}, below the floor of "
            f"{check.details.get('floor')}, {p_text(check.p_adjusted)}{tail}"
        )
    return (
        f"For contacts received in {check.month} ({check.where}), observed outcomes on acted-on "
        f"contacts were {check.strength:.2f} times the estimates{ci_text(check.ci)}, "
        f"{p_text(check.p_adjusted)}{tail} Read with the group's label coverage."
    )


def _timeliness(check: Check, tail: str) -> str:
    """A team's share in time fell, or its lateness rose with volume; with the late reasons."""
    team = check.where.split("=", 1)[-1]
    kind = check.details.get("kind", "decisions")
    if check.what.startswith("late_with_volume"):
        return (
            f"Team {team}'s {kind} were later in busier months: odds ratio of late "
            f"{check.strength:.2f} for a month 25% busier than usual{ci_text(check.ci)}, "
            f"{p_text(check.p_adjusted)}{tail}"
        )
    share, before = check.details.get("in_time_share"), check.details.get("earlier_in_time_share")
    reasons = check.details.get("late_reasons") or {}
    why = ", ".join(f"{code} {count}" for code, count in reasons.items()) or "none given"
    return (
        f"Team {team}'s {kind} in time fell in {check.month} to {share:.0%} from {before:.0%} "
        f"in its earlier months: odds ratio of late {check.strength:.2f}{ci_text(check.ci)}, "
        f"{p_text(check.p_adjusted)}{tail} Late reasons that month: {why}."
    )
