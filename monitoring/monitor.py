"""The one way in: :func:`monitor` turns contacts with estimates into a :class:`MonitorReport`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from data.contract import LONDON, MODEL_INPUTS
from fairness import (
    BAD_PROBABILITY,
    DECISIONS_CAVEAT,
    MISSING_COLUMN,
    OBSERVATIONAL_CAVEAT,
    SELECTIVE_LABELS_CAVEAT,
    WORKLOAD_CAVEAT,
)
from monitoring import (
    drift,
    flags,
    messages,
    months,
    patterns,
    performance,
    timeliness_checks,
    workload,
)
from monitoring.checks import Check, adjust_checks, build_alerts
from monitoring.report import MonitorReport
from reporting import EMPTY, check_alpha, check_min_n, check_ratio_band
from timeliness import TimelinessOptions

BAD_MIN_N = "min_n and group_min_n must be at least 1"
BAD_WINDOW = "workload_window must be at least 3 months"
BAD_OUTCOME_MONTHS = "outcome_months must be 0 or more"
BAD_MIN_AUC = "min_auc must be between 0.5 and 1"


def _check_options(
    *,
    min_n: int,
    group_min_n: int,
    alpha: float,
    ratio_band: tuple[float, float],
    psi_bands: tuple[float, float],
    epsilon: float,
    workload_window: int,
    outcome_months: int,
    min_auc: float,
) -> None:
    check_min_n(min_n, group_min_n, message=BAD_MIN_N)
    check_alpha(alpha)
    check_ratio_band(ratio_band)
    drift.check_psi_options(psi_bands, epsilon)
    if workload_window < 3:
        raise ValueError(BAD_WINDOW)
    if outcome_months < 0:
        raise ValueError(BAD_OUTCOME_MONTHS)
    if not 0.5 <= min_auc <= 1:
        raise ValueError(BAD_MIN_AUC)


def _check_frame(frame: pd.DataFrame) -> np.ndarray:
    """Raise for a frame the monitor cannot read; return its probabilities."""
    if len(frame) == 0:
        raise ValueError(EMPTY)
    for column in ("received_at", *MODEL_INPUTS):
        if column not in frame.columns:
            raise ValueError(MISSING_COLUMN.format(column=column, purpose="monitor"))
    if "probability" not in frame.columns:
        raise ValueError(
            MISSING_COLUMN.format(column="probability", purpose="monitor (score the data first)")
        )
    probability = pd.to_numeric(frame["probability"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(probability) | (probability < 0) | (probability > 1)
    if bad.any():
        raise ValueError(BAD_PROBABILITY.format(value=frame["probability"].iloc[np.argmax(bad)]))
    return probability


def _estimate_rows(
    frame: pd.DataFrame, month_pos: np.ndarray, version: str | None, caveats: list[str]
) -> np.ndarray:
    """Month positions for estimate drift: only rows scored by the reference version, if known."""
    if version is None or "model_version" not in frame.columns:
        return month_pos
    same = (
        frame["model_version"]
        .astype("string")
        .eq(str(version))
        .to_numpy(dtype=bool, na_value=False)
    )
    if not same.all():
        caveats.append(
            messages.ESTIMATE_VERSION_CAVEAT.format(
                used=int(same.sum()), version=version, other=int((~same).sum())
            )
        )
    return np.where(same, month_pos, -1)


def monitor(
    frame: pd.DataFrame,
    *,
    reference_profile: Mapping[str, Any],
    reference_model: Mapping[str, Any] | None = None,
    reviews: pd.DataFrame | None = None,
    review_flags: pd.DataFrame | None = None,
    reference: Mapping[str, str] | None = None,
    min_n: int = 200,
    group_min_n: int = 30,
    psi_bands: tuple[float, float] = (0.1, 0.25),
    epsilon: float = 1e-4,
    alpha: float = 0.05,
    ratio_band: tuple[float, float] = (0.8, 1.25),
    workload_window: int = 12,
    outcome_months: int = 12,
    min_auc: float = 0.65,
    now: datetime | str | None = None,
    timeliness: TimelinessOptions | None = None,
    break_glass: Sequence[Mapping[str, Any]] | None = None,
) -> MonitorReport:
    """Monitor contacts month by month: drift, decision patterns, workload and performance.

    Parameters
    ----------
    frame
        Typed contact records (the contract's columns) with ``probability``, the estimate each
        contact was given; optionally ``band`` (risk band) and ``model_version``. Months are
        calendar months of ``received_at`` in Europe/London.
    reference_profile
        The champion's ``reference_profile.json`` (its training population's inputs).
    reference_model
        ``name``, ``version`` and ``run_id`` of the model the profile belongs to, for the record;
        with ``model_version`` in the frame, estimate drift uses only that version's estimates.
    reviews
        The service's reviews (``contact_id``, ``outcome`` upheld/overturned): overturn rates by
        group and month. Without it the report says they were not computed.
    review_flags
        One row per review and flag code (``code``, ``outcome``: upheld, overturned, or empty
        while open): how often each flag is raised and how often leaders uphold or overturn it
        (``monitoring.flags``), to tune flags such as ``nfa_with_uncoded_narrative_concern``.
    break_glass
        The service's break-glass reads of other teams' contacts (``read_at``, ``read_by``,
        ``contact_id``, ``team_id``; never the reason), listed in the report as they are.
    reference
        Attribute -> reference group for the decision comparisons (default: the largest group
        over the whole data, fixed across months).
    min_n
        Fewest contacts in a month (decided contacts, for decision patterns) to judge it; smaller
        months are ``insufficient_data``.
    group_min_n
        Fewest contacts in a group (and its reference) for a comparison within a month.
    psi_bands
        PSI at which a shift is moderate and significant; an input or estimate drift alert needs
        at least the first.
    epsilon
        Floor on every share in the PSI, so an empty category gives a finite term.
    alpha
        Level for the Holm-adjusted p-values (adjusted within each kind of check).
    ratio_band
        Ratios (risk ratio, odds ratio, observed/expected) inside this band do not matter.
    workload_window
        Months in the trailing window of each month's workload test.
    outcome_months
        How long outcomes take to mature; younger cohorts are not judged for performance.
    min_auc
        AUC floor (the quality gate's); a cohort's AUC significantly below it alerts.
    now
        The time the report is made at (default: now); decides which months are over and which
        cohorts have matured.
    timeliness
        When given (and the frame has ``decided_at`` and ``team_id``), each team's share late per
        complete month against its own earlier months, and its lateness against volume
        (``monitoring.timeliness``), with these due-day rules. Off by default.
    """
    _check_options(
        min_n=min_n,
        group_min_n=group_min_n,
        alpha=alpha,
        ratio_band=ratio_band,
        psi_bands=psi_bands,
        epsilon=epsilon,
        workload_window=workload_window,
        outcome_months=outcome_months,
        min_auc=min_auc,
    )
    drift.check_profile(reference_profile)
    probability = _check_frame(frame)
    frame = frame.reset_index(drop=True)
    instant = months.as_instant(now)
    codes = months.month_codes(frame["received_at"])
    span = months.month_span(codes)
    labels = months.labels(span)
    month_pos = (codes - span[0]).astype(np.int64)
    complete = [months.is_complete(c, instant) for c in span]
    mature = [months.is_mature(c, instant, outcome_months=outcome_months) for c in span]
    model = dict(reference_model or {})
    caveats = [
        OBSERVATIONAL_CAVEAT,
        messages.DRIFT_CAVEAT.format(
            rows=f"{int(reference_profile.get('rows') or 0):,}",
            low=psi_bands[0],
            high=psi_bands[1],
            alpha=alpha,
        ),
    ]
    options: dict[str, Any] = {"min_n": min_n, "psi_bands": psi_bands, "epsilon": epsilon}
    checks: list[Check] = drift.input_drift_checks(
        frame, month_pos, labels, reference_profile, **options
    )
    estimate_pos = _estimate_rows(frame, month_pos, model.get("version"), caveats)
    checks += drift.estimate_drift_checks(
        probability, estimate_pos, labels, reference_profile, **options
    )
    tables: dict[str, Any] = {
        "reviews": None,
        "flags": None,
        "break_glass": _break_glass_table(break_glass),
    }
    has = set(frame.columns)
    if "decision" in has:
        caveats.append(DECISIONS_CAVEAT.format(bands="risk bands of the estimate in each month"))
        found, tables["deflections"] = patterns.decision_checks(
            frame,
            month_pos,
            labels,
            reference=dict(reference or {}),
            min_n=min_n,
            group_min_n=group_min_n,
            ratio_band=ratio_band,
            alpha=alpha,
        )
        checks += found
    else:
        caveats.append(messages.SKIPPED.format(section="decision patterns", columns="decision"))
    if reviews is None:
        caveats.append(patterns.NO_REVIEWS)
    else:
        tables["reviews"] = patterns.review_table(frame, month_pos, labels, reviews)
    if review_flags is not None:
        tables["flags"] = flags.flag_table(review_flags)
    if {"decision", "team_id"} <= has:
        caveats.append(WORKLOAD_CAVEAT)
        partial = [label for label, done in zip(labels, complete, strict=True) if not done]
        if partial:
            caveats.append(
                messages.PARTIAL_MONTHS_CAVEAT.format(
                    now=instant.isoformat(timespec="seconds"), months=", ".join(partial)
                )
            )
        checks += workload.workload_checks(
            frame,
            month_pos,
            labels,
            complete,
            window=workload_window,
            group_min_n=group_min_n,
            ratio_band=ratio_band,
            alpha=alpha,
        )
        tables["team_months"] = workload.team_month_table(frame, month_pos, labels, complete)
    else:
        caveats.append(messages.SKIPPED.format(section="workload check", columns="team_id"))
    if {"decision", "outcome_need_12m"} <= has:
        caveats += [SELECTIVE_LABELS_CAVEAT, messages.ACTED_ON_CAVEAT]
        if not all(mature):
            caveats.append(
                messages.IMMATURE_CAVEAT.format(
                    outcome_months=outcome_months,
                    count=mature.count(False),
                    total=len(mature),
                )
            )
        found, tables["label_coverage"] = performance.performance_checks(
            frame,
            month_pos,
            labels,
            mature,
            group_min_n=group_min_n,
            ratio_band=ratio_band,
            min_auc=min_auc,
        )
        checks += found
    else:
        caveats.append(messages.SKIPPED.format(section="performance", columns="outcome_need_12m"))
    if timeliness is not None and {"decided_at", "team_id"} <= has:
        caveats.append(timeliness_checks.CAVEAT)
        checks += timeliness_checks.timeliness_checks(
            frame,
            now=instant,
            complete=[label for label, done in zip(labels, complete, strict=True) if done],
            window=workload_window,
            group_min_n=group_min_n,
            ratio_band=ratio_band,
            options=timeliness,
        )
    checks, comparisons = adjust_checks(checks, alpha=alpha)
    counts = np.bincount(month_pos, minlength=len(span))
    return MonitorReport(
        rows=len(frame),
        months=[
            {"month": label, "n": int(counts[i]), "complete": complete[i], "mature": mature[i]}
            for i, label in enumerate(labels)
        ],
        reference={**model, "rows": reference_profile.get("rows")},
        settings={
            "min_n": min_n,
            "group_min_n": group_min_n,
            "psi_bands": list(psi_bands),
            "epsilon": epsilon,
            "alpha": alpha,
            "ratio_band": list(ratio_band),
            "workload_window": workload_window,
            "outcome_months": outcome_months,
            "min_auc": min_auc,
            "now": instant.isoformat(timespec="seconds"),
            "timezone": LONDON,
        },
        adjustment={
            "method": "holm",
            "description": messages.ADJUSTMENT_NOTE,
            "alpha": alpha,
            "comparisons": comparisons,
        },
        caveats=caveats,
        checks=checks,
        alerts=build_alerts(checks, messages.describe),
        tables=tables,
    )


def _break_glass_table(
    reads: Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    """The break-glass reads as report rows (times as ISO text), or None when not given."""
    if reads is None:
        return None
    keys = ("read_at", "read_by", "contact_id", "team_id")
    return [
        {k: r[k].isoformat() if isinstance(r[k], datetime) else r[k] for k in keys} for r in reads
    ]
