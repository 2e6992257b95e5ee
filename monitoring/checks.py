"""Checks (one tested quantity in one month) and the alerts built from runs of them.

Every section of the monitor turns what it measures into :class:`Check` objects. The p-values of
one kind are adjusted together (Holm, across every month and comparison of that kind), a check
alerts when its adjusted p-value is under ``alpha`` **and** the effect is material, and an
:class:`Alert` is raised for each quantity whose latest tested month alerts, with ``since`` the
first month of that run of alerting months.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from fairness import Finding, adjust_pvalues
from reporting import clean

AlertKind = Literal[
    "input_drift", "estimate_drift", "decision_disparity", "workload", "performance", "timeliness"
]
ALERT_KINDS: tuple[str, ...] = (
    "input_drift",
    "estimate_drift",
    "decision_disparity",
    "workload",
    "performance",
)
# Kinds counted only when a report has such checks (so reports without them are unchanged).
OPTIONAL_KINDS: tuple[str, ...] = ("timeliness",)
Status = Literal["tested", "insufficient_data"]
NAN_PAIR = (math.nan, math.nan)


@dataclass(frozen=True)
class Check:
    """One quantity tested in one month (or a window ending in that month).

    ``what`` names the quantity (a field, a metric), ``where`` the population it is measured in
    (``all contacts``, ``age_band=13-15``, ``team_id=T1``); ``strength`` is the effect size in
    ``measure`` units (PSI, risk ratio, odds ratio, observed/expected, AUC) and ``material``
    says whether it is large enough to matter in practice.
    """

    kind: AlertKind
    month: str
    what: str
    where: str
    measure: str
    n: int
    strength: float
    p_value: float
    material: bool
    status: Status = "tested"
    ci: tuple[float, float] = NAN_PAIR
    level: str = ""
    p_adjusted: float = math.nan
    alert: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        """What the check follows over months: (kind, what, where)."""
        return (self.kind, self.what, self.where)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (NaN as None)."""
        return clean(
            {
                "kind": self.kind,
                "month": self.month,
                "what": self.what,
                "where": self.where,
                "measure": self.measure,
                "n": self.n,
                "strength": self.strength,
                "ci": list(self.ci),
                "level": self.level,
                "p_value": self.p_value,
                "p_adjusted": self.p_adjusted,
                "material": self.material,
                "status": self.status,
                "alert": self.alert,
                "details": dict(self.details),
            }
        )


@dataclass(frozen=True)
class Alert:
    """A quantity whose latest tested month alerts, and since when it has."""

    kind: AlertKind
    what: str
    where: str
    measure: str
    strength: float
    level: str
    since: str
    month: str
    months: tuple[str, ...]
    p_adjusted: float
    n: int
    ci: tuple[float, float]
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (NaN as None)."""
        return clean(
            {
                "kind": self.kind,
                "what": self.what,
                "where": self.where,
                "measure": self.measure,
                "strength": self.strength,
                "level": self.level,
                "since": self.since,
                "month": self.month,
                "months": list(self.months),
                "p_adjusted": self.p_adjusted,
                "n": self.n,
                "ci": list(self.ci),
                "message": self.message,
            }
        )


def check_from_finding(
    finding: Finding,
    *,
    kind: str,
    month: str,
    where: str,
    measure: str,
    tested: bool,
    details: dict[str, Any],
) -> Check:
    """A month's check from a fairness finding: its ratio, CI, p-value and materiality."""
    return Check(
        # For mypy: callers pass one of Check's kinds; the parameter is typed str
        kind=kind,  # type: ignore[arg-type]
        month=month,
        what=finding.metric,
        where=where,
        measure=measure,
        n=finding.n,
        strength=finding.ratio,
        p_value=finding.p_value,
        material=finding.material,
        status="tested" if tested else "insufficient_data",
        ci=finding.ratio_ci,
        level="material" if finding.material else "",
        details=details,
    )


def adjust_checks(checks: Sequence[Check], *, alpha: float) -> tuple[list[Check], dict[str, int]]:
    """Holm-adjust each kind's p-values together and flag the checks that alert.

    Returns the checks and the number of comparisons adjusted in each kind.
    """
    out = list(checks)
    counts: dict[str, int] = {}
    present = tuple(k for k in OPTIONAL_KINDS if any(c.kind == k for c in out))
    for kind in ALERT_KINDS + present:
        index = [i for i, c in enumerate(out) if c.kind == kind and c.status == "tested"]
        raw = np.array([out[i].p_value for i in index], dtype=float)
        adjusted = adjust_pvalues(raw, "holm") if index else raw
        counts[kind] = int(np.isfinite(raw).sum())
        for i, p in zip(index, adjusted, strict=True):
            check = out[i]
            alert = bool(math.isfinite(p) and p < alpha and check.material)
            out[i] = replace(check, p_adjusted=float(p), alert=alert)
    return out, counts


def current_run(history: Sequence[Check]) -> list[Check]:
    """The trailing run of alerting checks, in month order (empty if the latest does not alert).

    Months that could not be tested neither break nor extend a run.
    """
    tested = [c for c in sorted(history, key=lambda c: c.month) if c.status == "tested"]
    run: list[Check] = []
    for check in reversed(tested):
        if not check.alert:
            break
        run.append(check)
    return run[::-1]


def build_alerts(checks: Iterable[Check], describe: Callable[[Check, str], str]) -> list[Alert]:
    """One alert per quantity whose latest tested month alerts, strongest evidence first."""
    by_key: dict[tuple[str, str, str], list[Check]] = {}
    for check in checks:
        by_key.setdefault(check.key, []).append(check)
    alerts = []
    for history in by_key.values():
        run = current_run(history)
        if not run:
            continue
        latest, since = run[-1], run[0].month
        alerts.append(
            Alert(
                kind=latest.kind,
                what=latest.what,
                where=latest.where,
                measure=latest.measure,
                strength=latest.strength,
                level=latest.level,
                since=since,
                month=latest.month,
                months=tuple(c.month for c in run),
                p_adjusted=latest.p_adjusted,
                n=latest.n,
                ci=latest.ci,
                message=describe(latest, since),
            )
        )
    order = {kind: i for i, kind in enumerate(ALERT_KINDS + OPTIONAL_KINDS)}
    alerts.sort(key=lambda a: (order[a.kind], a.p_adjusted, a.what, a.where))
    return alerts
