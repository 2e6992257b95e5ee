"""The one way in for assessing contacts: probability, band, grouped SHAP and surface reliance.

The API, the batch CLI, the pages and the audits all call :func:`assess` (JSON-ready records
from a typed frame), :func:`assess_records` (the same from contract records, without pandas: the
service's hot path) or :func:`assess_frame` (a table), all built on the vectorised
:func:`assess_matrix`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.codes import Concern, ReferralSource
from data.contract import SURFACE
from models import features as F
from models import interval as I
from models import limits as L
from models.model import TriageModel
from models.narrative_check import add_narrative_checks

if TYPE_CHECKING:
    from narrative import Reader

# The contract's surface fields (who the child is, who called), named in every assessment.
SURFACE_FIELDS: tuple[str, ...] = SURFACE
# Field-level groups after concerns: the columns of each, in contract order.
_OTHER_FIELDS: tuple[tuple[str, slice | int], ...] = (
    ("child_age_years", F.AGE_SLICE),
    ("referral_source", F.SOURCE_SLICE),
    ("prior_contacts_12m", F.PRIOR_INDEX),
    ("previous_cp_plan", F.CP_PLAN_INDEX),
    ("early_help_open", F.EARLY_HELP_INDEX),
)
NOT_REPORTED = "not_reported"


@dataclass(frozen=True)
class Batch:
    """Vectorised assessments of n contacts (one row each)."""

    probability: np.ndarray
    band: np.ndarray
    model_output: np.ndarray
    base_value: float
    concern_shap: np.ndarray  # n x concern codes, zero where the code is absent
    concern_present: np.ndarray  # n x concern codes, bool
    not_reported_shap: np.ndarray  # n: the absent concerns' summed contribution
    field_shap: dict[str, np.ndarray]  # field -> n
    surface_share: np.ndarray
    surface_flagged: np.ndarray
    band_min: np.ndarray
    band_max: np.ndarray
    substantive_probability: np.ndarray  # with age and source at their neutral values
    substantive_band: np.ndarray
    cells: list[str]  # age band x referral source x number of concerns (models.limits)
    concern_count: np.ndarray  # concerns coded, 21 not counted
    # The interval around ``probability`` (models.interval); None for a model without refits.
    interval: tuple[np.ndarray, np.ndarray, float] | None = None


def assess_batch(model: TriageModel, frame: pd.DataFrame, *, surface_threshold: float) -> Batch:
    """Assess every contact of a typed frame at once."""
    return assess_matrix(model, F.build_matrix(frame), surface_threshold=surface_threshold)


def assess_matrix(model: TriageModel, matrix: np.ndarray, *, surface_threshold: float) -> Batch:
    """Assess every row of a model matrix (``models.features``) at once."""
    raw = model.raw_output(matrix)
    probability = model.calibrate(raw)
    base_value, shap_values = model.shap_values(matrix)
    present = matrix[:, F.CONCERN_SLICE] > 0
    concern_shap = shap_values[:, F.CONCERN_SLICE]
    field_shap = {
        name: shap_values[:, cols].sum(axis=1) if isinstance(cols, slice) else shap_values[:, cols]
        for name, cols in _OTHER_FIELDS
    }
    not_reported = np.where(present, 0.0, concern_shap).sum(axis=1)
    surface = sum(np.abs(field_shap[name]) for name in SURFACE_FIELDS)
    total = (
        np.abs(np.where(present, concern_shap, 0.0)).sum(axis=1)
        + np.abs(not_reported)
        + sum(np.abs(v) for v in field_shap.values())
    )
    share = np.divide(surface, total, out=np.zeros_like(surface), where=total > 0)
    band_min, band_max = band_range_if_surface_varied(model, matrix, raw)
    # The estimate on substantive grounds: the surface fields' contributions removed, i.e. age
    # and referral source set to their neutral (SHAP baseline) values.
    substantive = model.calibrate(raw - sum(field_shap[name] for name in SURFACE_FIELDS))
    real = present.copy()
    real[:, F.CONCERN_CODES.index(F.NO_FACTORS)] = False
    return Batch(
        probability=probability,
        band=model.band(probability),
        model_output=raw,
        base_value=base_value,
        concern_shap=np.where(present, concern_shap, 0.0),
        concern_present=present,
        not_reported_shap=not_reported,
        field_shap=field_shap,
        surface_share=share,
        surface_flagged=share > surface_threshold,
        band_min=band_min,
        band_max=band_max,
        substantive_probability=substantive,
        substantive_band=model.band(substantive),
        cells=L.cell_keys(matrix),
        concern_count=real.sum(axis=1),
        interval=I.bounds(model, matrix, probability),
    )


def band_range_if_surface_varied(
    model: TriageModel, matrix: np.ndarray, raw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest band over every age band and referral source, all else fixed."""
    if model.is_additive:
        coef = model.coef
        age, source = coef[F.AGE_SLICE], coef[F.SOURCE_SLICE]
        current = matrix[:, F.AGE_SLICE] @ age + matrix[:, F.SOURCE_SLICE] @ source
        rest = raw - current
        low, high = rest + age.min() + source.min(), rest + age.max() + source.max()
    else:
        low, high = np.full(len(raw), np.inf), np.full(len(raw), -np.inf)
        for a in range(F.AGE_SLICE.stop - F.AGE_SLICE.start):
            for s in range(F.SOURCE_SLICE.stop - F.SOURCE_SLICE.start):
                varied = matrix.copy()
                varied[:, F.AGE_SLICE] = 0.0
                varied[:, F.SOURCE_SLICE] = 0.0
                varied[:, F.AGE_SLICE.start + a] = 1.0
                varied[:, F.SOURCE_SLICE.start + s] = 1.0
                out = model.raw_output(varied)
                low, high = np.minimum(low, out), np.maximum(high, out)
    return model.band(model.calibrate(low)), model.band(model.calibrate(high))


def assess(
    model: TriageModel,
    frame: pd.DataFrame,
    *,
    surface_threshold: float | None = None,
    rare_cell_rows: int | None = None,
    method: str | None = None,
) -> list[dict[str, Any]]:
    """Assess contacts and return one JSON-ready assessment per row (the API contract's shape).

    ``surface_threshold`` and ``rare_cell_rows`` default to the settings
    ``TRIAGE_SURFACE_SHARE_THRESHOLD`` and ``TRIAGE_RARE_CELL_ROWS``.
    """
    surface_threshold = _threshold_or_setting(surface_threshold)
    rare_cell_rows = _rare_or_setting(rare_cell_rows)
    batch = assess_batch(model, frame, surface_threshold=surface_threshold)
    columns = {name: frame[name].to_numpy() for name in FIELD_VALUE_TYPES}
    columns["referral_source"] = frame["referral_source"].astype(str).to_numpy()
    values = [
        {name: kind(columns[name][i]) for name, kind in FIELD_VALUE_TYPES.items()}
        for i in range(len(frame))
    ]
    context = _Context(surface_threshold, rare_cell_rows, method, [()] * len(frame))
    return _records(model, batch, values, context)


def assess_records(
    model: TriageModel,
    records: Sequence[Mapping[str, Any]],
    *,
    surface_threshold: float,
    rare_cell_rows: int | None = None,
    defaulted: Sequence[Collection[str]] | None = None,
    method: str | None = None,
    narrative: Reader | None = None,
) -> list[dict[str, Any]]:
    """:func:`assess` for contract records (dicts; ``concerns`` a list of codes), without pandas.

    ``defaulted``: for each record, the model inputs it left out (read as their defaults), so
    its limits can say so. With a ``narrative`` reader, each assessment also carries its
    ``narrative_check``, made after the estimate and apart from it (``models.narrative_check``).
    """
    rare_cell_rows = _rare_or_setting(rare_cell_rows)
    matrix = F.matrix_from_records(records)
    batch = assess_matrix(model, matrix, surface_threshold=surface_threshold)
    values = [
        {name: kind(record.get(name, False)) for name, kind in FIELD_VALUE_TYPES.items()}
        for record in records
    ]
    gaps = list(defaulted) if defaulted is not None else [()] * len(records)
    assessed = _records(
        model, batch, values, _Context(surface_threshold, rare_cell_rows, method, gaps)
    )
    if narrative is not None:
        add_narrative_checks(assessed, records, reader=narrative)
    return assessed


# The non-concern fields an explanation names, with the JSON type of their values.
FIELD_VALUE_TYPES: dict[str, type] = {
    "child_age_years": int,
    "referral_source": str,
    "prior_contacts_12m": int,
    "previous_cp_plan": bool,
    "early_help_open": bool,
}


@dataclass(frozen=True)
class _Context:
    """What every record of one call shares, and what each left out."""

    surface_threshold: float
    rare_cell_rows: int
    method: str | None
    defaulted: Sequence[Collection[str]]


def _records(
    model: TriageModel, batch: Batch, values: list[dict[str, Any]], context: _Context
) -> list[dict[str, Any]]:
    surface_threshold = context.surface_threshold
    method = context.method or ("linear_shap" if model.family == "linear" else "tree_shap")
    facts = L.facts_of(model.metadata)
    replicates = I.replicates_of(model)
    records = []
    for i, row_values in enumerate(values):
        contributions = _contributions(batch, i, row_values)
        share = float(batch.surface_share[i])
        flagged = bool(batch.surface_flagged[i])
        band_min, band_max = int(batch.band_min[i]), int(batch.band_max[i])
        records.append(
            {
                "risk": {
                    "probability": float(batch.probability[i]),
                    "band": int(batch.band[i]),
                    "bands": model.bands,
                    "interval": _interval(model, batch, i, replicates),
                },
                "explanation": {
                    "method": method,
                    "output_space": "log_odds",
                    "base_value": batch.base_value,
                    "model_output": float(batch.model_output[i]),
                    "contributions": contributions,
                },
                "surface_reliance": {
                    "share": share,
                    "flagged": flagged,
                    "threshold": surface_threshold,
                    "fields": list(SURFACE_FIELDS),
                    "band_if_surface_varied": {"min": band_min, "max": band_max},
                    "text": surface_text(share, flagged, band_min, band_max),
                },
                "substantive_risk": substantive_risk(
                    float(batch.substantive_probability[i]),
                    int(batch.substantive_band[i]),
                    model.bands,
                ),
                "limits": L.limits(
                    cell=batch.cells[i],
                    values=row_values,
                    concerns=int(batch.concern_count[i]),
                    defaulted=context.defaulted[i],
                    facts=facts,
                    rare_cell_rows=context.rare_cell_rows,
                    interval_available=batch.interval is not None,
                ),
            }
        )
    return records


def _interval(
    model: TriageModel, batch: Batch, i: int, replicates: I.Replicates | None
) -> dict[str, Any] | None:
    if batch.interval is None or replicates is None:
        return None
    low, high, level = float(batch.interval[0][i]), float(batch.interval[1][i]), batch.interval[2]
    band_low, band_high = (int(b) for b in model.band(np.array([low, high])))
    return I.interval_record(low, high, band_low, band_high, level, replicates.count)


def _contributions(batch: Batch, i: int, values: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for k in np.flatnonzero(batch.concern_present[i]):
        code = F.CONCERN_CODES[k]
        shap = float(batch.concern_shap[i, k])
        items.append(
            {
                "field": "concerns",
                "code": code,
                "value": True,
                "shap": shap,
                "text": concern_text(code, shap),
            }
        )
    shap = float(batch.not_reported_shap[i])
    items.append(
        {
            "field": "concerns",
            "code": NOT_REPORTED,
            "value": False,
            "shap": shap,
            "text": f"Concerns not reported in this contact: {_direction(shap)}",
        }
    )
    for name, value in values.items():
        shap = float(batch.field_shap[name][i])
        items.append(
            {
                "field": name,
                "code": None,
                "value": value,
                "shap": shap,
                "text": field_text(name, value, shap),
            }
        )
    items.sort(key=lambda item: -abs(item["shap"]))
    return items


def assess_frame(
    model: TriageModel,
    frame: pd.DataFrame,
    *,
    surface_threshold: float | None = None,
    top: int = 3,
) -> pd.DataFrame:
    """Assess contacts as a table: one row per contact, in the frame's order.

    ``surface_threshold`` defaults to the setting ``TRIAGE_SURFACE_SHARE_THRESHOLD``.
    """
    surface_threshold = _threshold_or_setting(surface_threshold)
    batch = assess_batch(model, frame, surface_threshold=surface_threshold)
    names = [f"concerns:{c}" for c in F.CONCERN_CODES]
    shap_table = np.column_stack(
        [batch.concern_shap, batch.not_reported_shap, *batch.field_shap.values()]
    )
    labels = np.array([*names, f"concerns:{NOT_REPORTED}", *batch.field_shap.keys()])
    missing = np.full(len(frame), np.nan)
    low, high = batch.interval[:2] if batch.interval is not None else (missing, missing)
    order = np.argsort(-np.abs(shap_table), axis=1)[:, :top]
    top_text = [
        "; ".join(f"{labels[j]} {shap_table[i, j]:+.3f}" for j in row if shap_table[i, j] != 0)
        for i, row in enumerate(order)
    ]
    return pd.DataFrame(
        {
            "contact_id": frame["contact_id"].to_numpy(),
            "probability": batch.probability,
            "band": batch.band,
            "interval_low": low,
            "interval_high": high,
            "surface_share": batch.surface_share,
            "surface_flagged": batch.surface_flagged,
            "band_if_surface_varied_min": batch.band_min,
            "band_if_surface_varied_max": batch.band_max,
            "model_output": batch.model_output,
            "top_contributions": top_text,
        }
    )


def _threshold_or_setting(threshold: float | None) -> float:
    """The given surface-share threshold, else the one setting (read only when needed)."""
    if threshold is not None:
        return threshold
    from config.settings import get_settings

    return get_settings().surface_share_threshold


def _rare_or_setting(rows: int | None) -> int:
    """The given rare-cell count, else the setting ``TRIAGE_RARE_CELL_ROWS``."""
    if rows is not None:
        return rows
    from config.settings import get_settings

    return get_settings().rare_cell_rows


# --- plain-English text ----------------------------------------------------------------------


def _direction(shap: float) -> str:
    if shap > 0:
        return "raises the estimate"
    if shap < 0:
        return "lowers the estimate"
    return "makes no difference"


def concern_text(code: str, shap: float) -> str:
    """E.g. 'Domestic abuse with a parent as the subject reported: raises the estimate'."""
    phrase = Concern(code).phrase
    return f"{phrase[0].upper()}{phrase[1:]} reported: {_direction(shap)}"


def field_text(name: str, value: Any, shap: float) -> str:
    """A sentence for one non-concern field's contribution."""
    effect = _direction(shap)
    if name == "child_age_years":
        age = "under 1 (or unborn)" if value == 0 else f"aged {value}"
        return f"Child {age}: {effect} (who the child is, not what is happening)"
    if name == "referral_source":
        return (
            f"Contact from {ReferralSource(value).phrase}: {effect} "
            "(who called, not what is happening)"
        )
    if name == "prior_contacts_12m":
        count = "No" if value == 0 else str(value)
        plural = "" if value == 1 else "s"
        return f"{count} earlier contact{plural} in the last 12 months: {effect}"
    if name == "previous_cp_plan":
        state = "Has been" if value else "Has never been"
        return f"{state} on a child protection plan: {effect}"
    if name == "early_help_open":
        state = "Open" if value else "Not open"
        return f"{state} to early help: {effect}"
    raise ValueError(f"no text for field {name!r}")


def substantive_risk(probability: float, band: int, bands: int) -> dict[str, Any]:
    """The estimate on the concerns and history alone, with a sentence saying so."""
    return {
        "probability": probability,
        "band": band,
        "text": (
            "On the concerns and history alone (the child's age and the referral source set to "
            f"neutral values), the estimate is {probability:.0%}, band {band} of {bands}."
        ),
    }


def surface_text(share: float, flagged: bool, band_min: int, band_max: int) -> str:
    """What the surface reliance means for the reader."""
    varied = (
        f"Had this come from another source or been about a child of another age, the band "
        f"would range from {band_min} to {band_max}."
    )
    if flagged:
        return (
            f"{share:.0%} of this estimate rests on who the child is and who made the contact, "
            f"not on the concerns reported. Weigh the concerns themselves. {varied}"
        )
    return f"Age and referral source account for {share:.0%} of this estimate. {varied}"
