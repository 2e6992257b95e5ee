"""The two ways in: a contract extract (decisions, model, workload) or any decisions table."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from data.bands import band_of
from data.codes import ESCALATIONS, Decision
from fairness.adjust import ADJUSTMENTS, Adjustment
from fairness.decisions import DECISION_METRICS, decisions_findings
from fairness.generic import GENERIC_METRICS, generic_findings, generic_groupings, to_binary
from fairness.groups import (
    ATTRIBUTE_COLUMNS,
    CONTRACT_ATTRIBUTES,
    Grouping,
    check_reference_attributes,
    contract_groupings,
    from_values,
    intersect,
)
from fairness.headlines import headlines
from fairness.model_audit import MODEL_METRICS, SELECTIVE_LABELS_CAVEAT, model_findings
from fairness.report import Finding, Report, adjustment_record, finalise
from fairness.timing import TIMING_CAVEAT, TIMING_METRICS, decision_days, timing_findings
from fairness.workload import WORKLOAD_CAVEAT, workload_findings
from reporting import (
    EMPTY,
    MISSING_VALUES,
    check_alpha,
    check_min_n,
    check_ratio_band,
    london_month,
)

ContractAudit = Literal["decisions", "model", "workload"]
CONTRACT_AUDITS: tuple[str, ...] = ("decisions", "model", "workload")

# Error messages (tests assert them).
MISSING_COLUMN = "the data has no {column!r} column, which the {purpose} needs"
BAD_PROBABILITY = "probability must be a number from 0 to 1 in every row; found {value!r}"
UNKNOWN_DECISION = "decision has a value that is not a contract decision: {value!r}"
UNKNOWN_AUDIT = "audits must be among: decisions, model, workload; got {value!r}"
UNKNOWN_ATTRIBUTE = "attributes must be among: {known}; got {value!r}"
PREDICTION_OR_SCORE = "give exactly one of prediction and score"
SCORE_NEEDS_THRESHOLD = "a score needs a threshold to turn it into predictions"
THRESHOLD_WITHOUT_SCORE = "a threshold applies to a score, not to a prediction"
NO_GROUPS = "give at least one group column"
NOT_NUMERIC = "{column} must be numeric; found {value!r}"

DECISIONS_CAVEAT = (
    "Same estimated risk: decisions are compared within bands of the risk estimate "
    "({bands}). The comparison is only as good as that estimate: if it is itself biased for a "
    "group, a difference may be hidden or created, and within a band the groups' risks can still "
    "differ a little."
)
OBSERVATIONAL_CAVEAT = (
    "A disparity is a prompt to look at practice, not proof of discrimination: the record may "
    "not hold everything the duty worker knew, and a difference may have a legitimate reason."
)
INTERSECTION_CAVEAT = (
    "Intersections (pairs of attributes) are reported only for cells of at least {min_n} "
    "contacts; {suppressed} smaller non-empty cells were left out."
)


def _check_options(
    min_n: int, ratio_band: tuple[float, float], alpha: float, adjust: str
) -> tuple[float, float]:
    check_min_n(min_n)
    band = check_ratio_band(ratio_band)
    check_alpha(alpha)
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of: {', '.join(ADJUSTMENTS)}")
    return band


def _require(frame: pd.DataFrame, column: str, purpose: str) -> None:
    if column not in frame.columns:
        raise ValueError(MISSING_COLUMN.format(column=column, purpose=purpose))


def _numeric(series: pd.Series, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        raise ValueError(NOT_NUMERIC.format(column=column, value=series.iloc[np.argmax(bad)]))
    return values


def risk_strata(probability: np.ndarray, bands: int) -> tuple[np.ndarray, list[float]]:
    """Each row's risk decile (or ``bands``-ile) of ``probability`` from 0, and the cut points.

    Banded as the model bands (:func:`data.bands.band_of`: a probability on a cut goes to the
    band above). Tied probabilities stay in one band, so with heavy ties some bands are empty.
    """
    edges = np.quantile(probability, np.linspace(0, 1, bands + 1)[1:-1])
    return band_of(probability, edges) - 1, edges.tolist()


def audit_contract(
    frame: pd.DataFrame,
    *,
    audits: Collection[ContractAudit] | None = None,
    attributes: Sequence[str] | None = None,
    intersections: bool = True,
    reference: Mapping[str, str] | None = None,
    min_n: int = 30,
    ratio_band: tuple[float, float] = (0.8, 1.25),
    alpha: float = 0.05,
    adjust: Adjustment = "holm",
    risk_bands: int = 10,
    use_band_column: bool = True,
    threshold: float | None = None,
    threshold_quantile: float = 0.7,
    volume_step: float = 1.25,
    auc_margin: float = 0.05,
    confidence: float = 0.95,
) -> Report:
    """Audit a contract extract with a ``probability`` column: decisions, model and workload.

    Parameters
    ----------
    frame
        Contact records (contract columns) plus ``probability`` (the risk estimate) and,
        optionally, ``band`` (risk band) and ``surface_share``.
    audits
        Which audits to run; by default every audit whose columns are present (the report's
        caveats name any skipped). Asking for an audit whose columns are missing is an error.
    attributes
        Contract attributes to audit (``age_band``, ``referral_source``, ``ethnicity``, ``sex``,
        ``disability``); by default every one whose column is present.
    intersections
        Also audit decisions for pairs of attributes, keeping cells of at least ``min_n`` rows.
    reference
        Attribute -> reference group (for example ``{"age_band": "5-9"}``); others use their
        largest group.
    min_n
        Smallest denominator (group and reference) for a verdict; below it, ``insufficient_data``.
    ratio_band
        Ratios inside this band do not matter in practice (default: the four-fifths rule).
    alpha
        Significance level for the adjusted p-values.
    adjust
        ``"holm"`` or ``"fdr_bh"``, applied across every comparison in the report.
    risk_bands
        Number of quantile bands of ``probability`` that define "the same estimated risk".
    use_band_column
        Use a ``band`` column as the risk bands when present, instead of quantiles.
    threshold
        Review threshold for the model's error rates; by default the ``threshold_quantile``
        quantile of ``probability`` (recorded in the report).
    volume_step
        The workload audit reports the NFA odds ratio for a month this many times busier than
        the team's usual (1.25: 25% busier).
    auc_margin
        An AUC difference at least this large matters in practice.
    confidence
        Coverage of every interval.
    """
    band = _check_options(min_n, ratio_band, alpha, adjust)
    probability = _probability(frame)
    reference = dict(reference or {})
    caveats: list[str] = [OBSERVATIONAL_CAVEAT]
    attributes = _attributes(frame, attributes, caveats)
    runs = _audits(frame, audits, caveats)
    pairs = intersections and "decisions" in runs
    check_reference_attributes(reference, _audited_names(attributes, pairs=pairs))
    strata = _strata(frame, probability, risk_bands=risk_bands, use_band_column=use_band_column)
    threshold, threshold_source = _threshold(probability, threshold, threshold_quantile)

    singles = contract_groupings(frame, attributes)
    common: dict[str, Any] = {
        "reference": reference,
        "min_n": min_n,
        "ratio_band": band,
        "confidence": confidence,
    }
    findings: list[Finding] = []
    tables: dict[str, Any] = {"risk_strata": strata.record}
    suppressed = 0
    if "decisions" in runs:
        found, tables["nfa_by_band"], suppressed = _decisions_audit(
            frame,
            singles,
            strata,
            attributes=attributes,
            intersections=intersections,
            caveats=caveats,
            **common,
        )
        findings += found
        timed, tables["days_to_decision_by_band"] = _timing_audit(
            frame, singles, strata, caveats=caveats, **common
        )
        findings += timed
    if "model" in runs:
        found, tables["calibration"] = _model_audit(
            frame,
            singles,
            probability,
            strata,
            attributes=attributes,
            threshold=threshold,
            auc_margin=auc_margin,
            caveats=caveats,
            **common,
        )
        findings += found
    if "workload" in runs:
        findings += _workload_audit(
            frame,
            strata,
            volume_step=volume_step,
            caveats=caveats,
            min_n=min_n,
            ratio_band=band,
            confidence=confidence,
        )

    findings, comparisons = finalise(findings, alpha=alpha, adjust=adjust)
    settings = {
        "audits": list(runs),
        "attributes": list(attributes),
        "intersections": intersections,
        "reference": reference,
        "min_n": min_n,
        "ratio_band": list(band),
        "alpha": alpha,
        "adjust": adjust,
        "confidence": confidence,
        "risk_strata": strata.record["source"],
        "threshold": threshold,
        "threshold_source": threshold_source,
        "volume_step": volume_step,
        "auc_margin": auc_margin,
        "metrics": {
            **(DECISION_METRICS if "decisions" in runs else {}),
            **(TIMING_METRICS if tables.get("days_to_decision_by_band") else {}),
            **(MODEL_METRICS if "model" in runs else {}),
        },
        "suppressed_intersection_cells": suppressed,
    }
    return Report(
        mode="contract",
        rows=len(frame),
        settings=settings,
        adjustment=adjustment_record(adjust, alpha, comparisons),
        caveats=caveats,
        headlines=headlines(findings, mode="contract"),
        findings=findings,
        tables=tables,
    )


# --- the steps of audit_contract --------------------------------------------------------------


@dataclass(frozen=True)
class _Strata:
    """Each row's risk stratum (0-based), how many there are, and how they were formed."""

    codes: np.ndarray
    count: int
    record: dict[str, Any]
    text: str  # for the decisions caveat


def _probability(frame: pd.DataFrame) -> np.ndarray:
    """The frame's risk estimates, refusing an empty frame or a value outside 0 to 1."""
    if len(frame) == 0:
        raise ValueError(EMPTY)
    _require(frame, "probability", "audit (score the extract first)")
    probability = _numeric(frame["probability"], "probability")
    bad = np.isnan(probability) | (probability < 0) | (probability > 1)
    if bad.any():
        raise ValueError(BAD_PROBABILITY.format(value=frame["probability"].iloc[np.argmax(bad)]))
    return probability


def _audited_names(attributes: Sequence[str], *, pairs: bool) -> list[str]:
    """The attributes audited, and their pairs when intersections are audited."""
    if not pairs:
        return list(attributes)
    return [*attributes, *(f"{a} & {b}" for a, b in combinations(attributes, 2))]


def _strata(
    frame: pd.DataFrame, probability: np.ndarray, *, risk_bands: int, use_band_column: bool
) -> _Strata:
    """Strata of the same estimated risk: the band column if present and wanted, else quantiles."""
    if use_band_column and "band" in frame.columns:
        band_values = _numeric(frame["band"], "band")
        if np.isnan(band_values).any():
            raise ValueError(
                MISSING_VALUES.format(column="band", count=int(np.isnan(band_values).sum()))
            )
        uniques, codes = np.unique(band_values, return_inverse=True)
        record: dict[str, Any] = {"source": "band column", "bands": uniques.tolist()}
        return _Strata(codes, uniques.size, record, "the band column")
    codes, edges = risk_strata(probability, risk_bands)
    record = {"source": f"{risk_bands} quantile bands of probability", "cuts": edges}
    text = f"{risk_bands} quantile bands of the estimate in the audited data"
    return _Strata(codes, risk_bands, record, text)


def _threshold(
    probability: np.ndarray, threshold: float | None, quantile: float
) -> tuple[float, str]:
    """The review threshold for the model's error rates, and where it came from."""
    if threshold is None:
        return float(np.quantile(probability, quantile)), f"{quantile:g} quantile of probability"
    return threshold, "given"


def _decisions_audit(
    frame: pd.DataFrame,
    singles: list[Grouping],
    strata: _Strata,
    *,
    attributes: Sequence[str],
    intersections: bool,
    caveats: list[str],
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> tuple[list[Finding], dict[str, Any], int]:
    """NFA and escalation at the same estimated risk; the NFA-by-band table; cells left out."""
    caveats.append(DECISIONS_CAVEAT.format(bands=strata.text))
    decision = frame["decision"].astype("string")
    known = {d.value for d in Decision}
    unknown = ~decision.isna() & ~decision.isin(known)
    if unknown.any():
        raise ValueError(UNKNOWN_DECISION.format(value=decision[unknown].iloc[0]))
    decided = decision.notna().to_numpy()
    nfa = decision.eq(Decision.NFA.value).to_numpy(dtype=bool, na_value=False)
    escalated = decision.isin([d.value for d in ESCALATIONS]).to_numpy(dtype=bool, na_value=False)
    groupings = list(singles)
    suppressed = 0
    if intersections:
        for a, b in combinations(singles, 2):
            cell, dropped = intersect(a, b, min_n=min_n)
            if cell.labels:  # every cell may be under the minimum size in small data
                groupings.append(cell)
            suppressed += dropped
        caveats.append(INTERSECTION_CAVEAT.format(min_n=min_n, suppressed=suppressed))
    found, by_band = decisions_findings(
        groupings,
        np.where(decided, strata.codes, -1),
        strata.count,
        {"nfa_rate": nfa, "escalation_rate": escalated},
        reference=reference,
        min_n=min_n,
        ratio_band=ratio_band,
        confidence=confidence,
        table_attributes=attributes,
    )
    return found, by_band, suppressed


def _timing_audit(
    frame: pd.DataFrame,
    singles: list[Grouping],
    strata: _Strata,
    *,
    caveats: list[str],
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> tuple[list[Finding], dict[str, Any]]:
    """Time to decision by group at the same band, when the extract has decision times."""
    if "decided_at" not in frame.columns or frame["decided_at"].isna().all():
        return [], {}
    caveats.append(TIMING_CAVEAT)
    days = decision_days(frame)
    return timing_findings(
        singles,
        np.where(np.isnan(days), -1, strata.codes),
        strata.count,
        days,
        reference=reference,
        min_n=min_n,
        confidence=confidence,
    )


def _model_audit(
    frame: pd.DataFrame,
    singles: list[Grouping],
    probability: np.ndarray,
    strata: _Strata,
    *,
    attributes: Sequence[str],
    threshold: float,
    auc_margin: float,
    caveats: list[str],
    reference: Mapping[str, str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> tuple[list[Finding], dict[str, Any]]:
    """Calibration, error rates, AUC and surface share by group; the calibration table."""
    caveats.append(SELECTIVE_LABELS_CAVEAT)
    outcome = to_binary(frame["outcome_need_12m"], "outcome_need_12m")
    observed = ~np.isnan(outcome)
    surface = None
    if "surface_share" in frame.columns:
        surface = _numeric(frame["surface_share"], "surface_share")
    return model_findings(
        singles,
        probability,
        observed,
        np.nan_to_num(outcome) == 1,
        threshold=threshold,
        surface_share=surface,
        strata=strata.codes,
        n_strata=strata.count,
        reference=reference,
        min_n=min_n,
        ratio_band=ratio_band,
        auc_margin=auc_margin,
        confidence=confidence,
        table_attributes=attributes,
    )


def _workload_audit(
    frame: pd.DataFrame,
    strata: _Strata,
    *,
    volume_step: float,
    caveats: list[str],
    min_n: int,
    ratio_band: tuple[float, float],
    confidence: float,
) -> list[Finding]:
    """Each team's NFA at the same risk against its monthly volume."""
    caveats.append(WORKLOAD_CAVEAT)
    teams = from_values("team_id", frame["team_id"])
    missing = teams.labels.index("(missing)") if "(missing)" in teams.labels else -2
    teams = Grouping("team_id", np.where(teams.codes == missing, -1, teams.codes), teams.labels)
    decision = frame["decision"].astype("string")
    return workload_findings(
        teams,
        london_month(frame["received_at"]),
        decision.eq(Decision.NFA.value).to_numpy(dtype=bool, na_value=False),
        decision.notna().to_numpy(),
        strata.codes,
        strata.count,
        volume_step=volume_step,
        min_n=min_n,
        ratio_band=ratio_band,
        confidence=confidence,
    )


def _attributes(
    frame: pd.DataFrame, attributes: Sequence[str] | None, caveats: list[str]
) -> list[str]:
    if attributes is None:
        chosen = [a for a in CONTRACT_ATTRIBUTES if ATTRIBUTE_COLUMNS[a] in frame.columns]
        skipped = [a for a in CONTRACT_ATTRIBUTES if a not in chosen]
        if skipped:
            caveats.append(
                "Not audited, for want of their columns: "
                + ", ".join(f"{a} ({ATTRIBUTE_COLUMNS[a]})" for a in skipped)
                + "."
            )
        return chosen
    for a in attributes:
        if a not in ATTRIBUTE_COLUMNS:
            raise ValueError(UNKNOWN_ATTRIBUTE.format(known=list(CONTRACT_ATTRIBUTES), value=a))
        _require(frame, ATTRIBUTE_COLUMNS[a], f"{a} attribute")
    return list(attributes)


_AUDIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "decisions": ("decision",),
    "model": ("outcome_need_12m",),
    "workload": ("decision", "team_id", "received_at"),
}


def _audits(frame: pd.DataFrame, audits: Collection[str] | None, caveats: list[str]) -> list[str]:
    if audits is None:
        runs = []
        for name in CONTRACT_AUDITS:
            missing = [c for c in _AUDIT_COLUMNS[name] if c not in frame.columns]
            if missing:
                caveats.append(f"The {name} audit was skipped: no {', '.join(missing)} column.")
            else:
                runs.append(name)
        return runs
    for name in audits:
        if name not in CONTRACT_AUDITS:
            raise ValueError(UNKNOWN_AUDIT.format(value=name))
        for column in _AUDIT_COLUMNS[name]:
            _require(frame, column, f"{name} audit")
    return [name for name in CONTRACT_AUDITS if name in audits]


def audit_generic(
    frame: pd.DataFrame,
    *,
    label: str,
    groups: Sequence[str],
    prediction: str | None = None,
    score: str | None = None,
    threshold: float | None = None,
    reference: Mapping[str, str] | None = None,
    min_n: int = 30,
    ratio_band: tuple[float, float] = (0.8, 1.25),
    alpha: float = 0.05,
    adjust: Adjustment = "holm",
    confidence: float = 0.95,
) -> Report:
    """Audit any decisions table: each group's FPR, FNR, selection rate and precision.

    Parameters
    ----------
    frame
        One row per decision.
    label
        Binary column: what actually happened (empty = not observed; such rows count for the
        selection rate only).
    groups
        Columns to group by; each is audited on its own.
    prediction, score, threshold
        Either a binary ``prediction`` column, or a numeric ``score`` column and a
        ``threshold`` (predicted positive when ``score >= threshold``).
    reference
        Column -> reference group; otherwise each column's largest group.
    min_n, ratio_band, alpha, adjust, confidence
        As for :func:`audit_contract`.
    """
    band = _check_options(min_n, ratio_band, alpha, adjust)
    if (prediction is None) == (score is None):
        raise ValueError(PREDICTION_OR_SCORE)
    if score is not None and threshold is None:
        raise ValueError(SCORE_NEEDS_THRESHOLD)
    if prediction is not None and threshold is not None:
        raise ValueError(THRESHOLD_WITHOUT_SCORE)
    if not groups:
        raise ValueError(NO_GROUPS)
    if len(frame) == 0:
        raise ValueError(EMPTY)
    reference = dict(reference or {})
    _require(frame, label, "label")
    for column in groups:
        _require(frame, column, "group")
    check_reference_attributes(reference, list(groups))
    y = to_binary(frame[label], label)
    if prediction is not None:
        _require(frame, prediction, "prediction")
        predicted = to_binary(frame[prediction], prediction)
        source = prediction
    else:
        assert score is not None and threshold is not None
        _require(frame, score, "score")
        values = _numeric(frame[score], score)
        predicted = np.where(np.isnan(values), np.nan, (values >= threshold).astype(float))
        source = score
    if np.isnan(predicted).any():
        raise ValueError(MISSING_VALUES.format(column=source, count=int(np.isnan(predicted).sum())))
    findings = generic_findings(
        y,
        predicted,
        generic_groupings(frame, groups),
        reference=reference,
        min_n=min_n,
        ratio_band=band,
        confidence=confidence,
    )
    findings, comparisons = finalise(findings, alpha=alpha, adjust=adjust)
    caveats = [OBSERVATIONAL_CAVEAT]
    unlabelled = int(np.isnan(y).sum())
    if unlabelled:
        caveats.append(
            f"{unlabelled} rows have no label: they count towards the selection rate only, and "
            "if labels are missing selectively the error rates may be biased."
        )
    settings = {
        "label": label,
        "groups": list(groups),
        "prediction": prediction,
        "score": score,
        "threshold": threshold,
        "reference": reference,
        "min_n": min_n,
        "ratio_band": list(band),
        "alpha": alpha,
        "adjust": adjust,
        "confidence": confidence,
        "metrics": GENERIC_METRICS,
    }
    return Report(
        mode="generic",
        rows=len(frame),
        settings=settings,
        adjustment=adjustment_record(adjust, alpha, comparisons),
        caveats=caveats,
        headlines=headlines(findings, mode="generic"),
        findings=findings,
    )
