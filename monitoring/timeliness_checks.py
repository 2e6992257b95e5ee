"""Timeliness checks: a team's share in time falling beyond noise, or lateness rising with volume.

Built on the pure timeliness report (``timeliness.timeliness_report``), so the monitor and
``triage timeliness`` count in time, late and reasons the same way. For each team, kind (decisions,
assessments) and complete month, the share late is compared with the team's own earlier months
(pooled over a trailing window) by a two-proportion z-test; the effect is the odds ratio of being
late, and a check is material only when lateness rose (in time fell) beyond the ratio band. The
report's volume slope per team gives one more check each. All are Holm-adjusted together (kind
``timeliness``) like every other kind of check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.contract import LONDON
from data.workdays import FixedClock
from fairness.rates import two_sided_p, z_value
from monitoring.checks import Check
from timeliness import TimelinessOptions, timeliness_report

CAVEAT = (
    "Timeliness: each team's share late in a month is compared with its own earlier months "
    "(two-proportion z-test; odds ratio of late), and lateness against monthly volume uses the "
    "timeliness report's slope. Recent months' assessments are mostly still open, so their share "
    "in time covers only the quick ones. The alert stands beside that month's late reasons."
)


def timeliness_checks(
    frame: pd.DataFrame,
    *,
    now: pd.Timestamp,
    complete: Sequence[str],
    window: int,
    group_min_n: int,
    ratio_band: tuple[float, float],
    options: TimelinessOptions | None = None,
) -> list[Check]:
    """Checks of each team's share late per complete month and of its lateness against volume."""
    clock = FixedClock(now.tz_convert(LONDON).to_pydatetime())
    report = timeliness_report(frame, clock=clock, options=options)
    done = set(complete)
    checks: list[Check] = []
    for team in report["teams"]:
        where = f"team_id={team['team_id']}"
        months = [m for m in team["months"] if m["month"] in done]
        for kind in ("decisions", "assessments"):
            for i, month in enumerate(months):
                earlier = months[max(0, i - window) : i]
                if not earlier:
                    continue
                checks.append(_share_check(kind, where, month, earlier, group_min_n, ratio_band))
    latest = {t["team_id"]: t["months"][-1]["month"] for t in report["teams"] if t["months"]}
    for effect in report["volume"]:
        checks.append(_volume_check(effect, latest.get(effect["team_id"], ""), ratio_band))
    return checks


def _share_check(
    kind: str,
    where: str,
    month: dict[str, Any],
    earlier: list[dict[str, Any]],
    group_min_n: int,
    ratio_band: tuple[float, float],
) -> Check:
    block = month[kind]
    n1, late1 = block["recorded"], block["late"]
    n0 = sum(m[kind]["recorded"] for m in earlier)
    late0 = sum(m[kind]["late"] for m in earlier)
    tested = n1 >= group_min_n and n0 >= group_min_n
    odds, ci, p = math.nan, (math.nan, math.nan), math.nan
    if tested:
        # Haldane's half added to every cell, so no late month (or all late) stays finite.
        a, b, c, d = late1 + 0.5, n1 - late1 + 0.5, late0 + 0.5, n0 - late0 + 0.5
        log_or = math.log((a * d) / (b * c))
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        z = z_value(0.95)
        odds, ci = math.exp(log_or), (math.exp(log_or - z * se), math.exp(log_or + z * se))
        pooled = (late1 + late0) / (n1 + n0)
        spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        p = float(two_sided_p((late1 / n1 - late0 / n0) / spread)) if spread > 0 else 1.0
    return Check(
        kind="timeliness",
        month=month["month"],
        what=f"late_share:{kind}",
        where=where,
        measure="odds ratio of late against the team's earlier months",
        n=n1,
        strength=odds,
        p_value=p,
        material=bool(tested and odds >= ratio_band[1] and late1 / n1 > late0 / n0),
        status="tested" if tested else "insufficient_data",
        ci=ci,
        level="material" if tested and odds >= ratio_band[1] else "",
        details={
            "kind": kind,
            "in_time_share": block["in_time_share"],
            "in_time_ci": block["in_time_ci"],
            "earlier_in_time_share": (n0 - late0) / n0 if n0 else None,
            "earlier_months": [m["month"] for m in earlier],
            "earlier_n": n0,
            "late_reasons": block["late_reasons"],
            "late_without_reasons": block["late_without_reasons"],
        },
    )


def _volume_check(effect: dict[str, Any], month: str, ratio_band: tuple[float, float]) -> Check:
    tested = effect["verdict"] != "insufficient_data"
    odds = effect["odds_ratio"] if effect["odds_ratio"] is not None else math.nan
    low, high = (np.nan if v is None else v for v in effect["ci"])
    return Check(
        kind="timeliness",
        month=month,
        what=f"late_with_volume:{effect['kind']}",
        where=f"team_id={effect['team_id']}",
        measure="odds ratio of late for a month 25% busier than usual",
        n=effect["n"],
        strength=odds,
        p_value=effect["p_value"] if effect["p_value"] is not None else math.nan,
        material=bool(tested and odds >= ratio_band[1]),
        status="tested" if tested else "insufficient_data",
        ci=(float(low), float(high)),
        level="material" if tested and odds >= ratio_band[1] else "",
        details={"kind": effect["kind"], "months": effect["months"], "late": effect["late"]},
    )
