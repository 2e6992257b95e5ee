"""What this estimate cannot see: short sentences, built from facts, carried by every assessment.

Training counts its population by age band x referral source x number of concerns and notes when
its contacts were received (:func:`training_facts`), stored with the model
(``metadata["training_facts"]``). Scoring turns those facts and the contact's own into
sentences (:func:`limits`): the narrative is not an input, what was left unknown or defaulted,
what the model never has, whether contacts like this one were rare in training, and the training
period. Pure apart from reading a frame; older models without the facts get sentences saying
what is unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from data.codes import ReferralSource
from data.contract import LONDON
from models import features as F

METADATA_KEY = "training_facts"
# Concern counts of this many or more share a cell: few contacts have more.
CONCERNS_CAP = 4
_NO_FACTORS_COLUMN = F.CONCERN_CODES.index(F.NO_FACTORS)
# Model inputs a contact may leave out, read then as their defaults.
DEFAULTABLE: dict[str, str] = {
    "early_help_open": (
        "Whether the child is open to early help was not given, so the estimate assumes not."
    ),
}

NARRATIVE = "The narrative is not a model input: the estimate never reads what the referrer wrote."
NEVER_HAS = (
    "The model never has other agencies' records, the household (who lives with the child, "
    "and their histories) or the child's own voice."
)
UNKNOWN_SOURCE = "The referral source is unknown, so the estimate cannot weigh who made contact."
NO_CONCERNS = (
    "No concerns were coded, so the estimate rests on the child's age, the referral source and "
    "the history alone."
)
CELL_UNKNOWN = (
    "This model version did not record how many contacts like this one it was trained on, so "
    "whether they were rare is unknown."
)
PERIOD_UNKNOWN = "This model version did not record when its training contacts were received."


@dataclass(frozen=True)
class TrainingFacts:
    """Counts of the training population by cell, and when its contacts were received."""

    rows: int
    labelled_rows: int
    received_from: date
    received_to: date
    cells: dict[str, int] = field(default_factory=dict)
    labelled_cells: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for the run's artifacts)."""
        return {
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "received_from": self.received_from.isoformat(),
            "received_to": self.received_to.isoformat(),
            "concerns_cap": CONCERNS_CAP,
            "cells": self.cells,
            "labelled_cells": self.labelled_cells,
        }


def cell_keys(matrix: np.ndarray) -> list[str]:
    """Each row's cell, ``age band|referral source|number of concerns`` (capped, 21 not counted)."""
    age = np.argmax(matrix[:, F.AGE_SLICE], axis=1)
    source = np.argmax(matrix[:, F.SOURCE_SLICE], axis=1)
    concerns = matrix[:, F.CONCERN_SLICE] > 0
    count = np.minimum(concerns.sum(axis=1) - concerns[:, _NO_FACTORS_COLUMN], CONCERNS_CAP)
    return [
        f"{F.AGE_BAND_LABELS[a]}|{F.SOURCE_CODES[s]}|{c}"
        for a, s, c in zip(age.tolist(), source.tolist(), count.tolist(), strict=True)
    ]


def training_facts(frame: pd.DataFrame, matrix: np.ndarray, labelled: np.ndarray) -> TrainingFacts:
    """Count the training population (and its labelled rows) by cell; note its dates.

    Parameters
    ----------
    frame
        The typed training extract (``received_at`` in UTC).
    matrix
        Its model matrix.
    labelled
        True for the rows the model was fitted on.
    """
    keys = pd.Series(cell_keys(matrix))
    days = frame["received_at"].dt.tz_convert(LONDON).dt.date
    return TrainingFacts(
        rows=len(frame),
        labelled_rows=int(labelled.sum()),
        received_from=days.min(),
        received_to=days.max(),
        cells={str(k): int(v) for k, v in keys.value_counts().sort_index().items()},
        labelled_cells={
            str(k): int(v) for k, v in keys[labelled].value_counts().sort_index().items()
        },
    )


def facts_of(metadata: Mapping[str, Any]) -> TrainingFacts | None:
    """A model's stored training facts, or None for a model registered without them."""
    found = metadata.get(METADATA_KEY)
    return found if isinstance(found, TrainingFacts) else None


def limits(
    *,
    cell: str,
    values: Mapping[str, Any],
    concerns: int,
    defaulted: Collection[str],
    facts: TrainingFacts | None,
    rare_cell_rows: int,
    interval_available: bool,
) -> list[dict[str, Any]]:
    """The limits of one contact's estimate, each ``{"code", "text", "n"}`` (``n`` None but for
    counts): the API's own shape, so an assessment is stored and answered as built.

    Parameters
    ----------
    cell
        The contact's cell (:func:`cell_keys`).
    values
        The contact's model inputs by field (``referral_source`` at least).
    concerns
        How many concerns were coded (21 not counted).
    defaulted
        Model inputs the contact left out (read as their defaults).
    facts
        The model's training facts, or None.
    rare_cell_rows
        Cells with fewer training contacts than this are called rare.
    interval_available
        Whether the estimate carries an interval.
    """
    out = [_limit("narrative_not_input", NARRATIVE)]
    out += [
        _limit(f"defaulted:{name}", text) for name, text in DEFAULTABLE.items() if name in defaulted
    ]
    if values.get("referral_source") == ReferralSource.UNKNOWN.value:
        out.append(_limit("unknown:referral_source", UNKNOWN_SOURCE))
    if concerns == 0:
        out.append(_limit("unknown:concerns", NO_CONCERNS))
    out.append(_limit("never_has", NEVER_HAS))
    if facts is None:
        out.append(_limit("rare_cell_unknown", CELL_UNKNOWN))
    else:
        n = facts.cells.get(cell, 0)
        if n < rare_cell_rows:
            out.append(_limit("rare_cell", rare_text(cell, n, facts), n))
    out.append(
        _limit("training_period", period_text(facts))
        if facts is not None
        else _limit("training_period_unknown", PERIOD_UNKNOWN)
    )
    if not interval_available:
        from models.interval import UNAVAILABLE

        out.append(_limit("interval_unavailable", UNAVAILABLE))
    return out


def _limit(code: str, text: str, n: int | None = None) -> dict[str, Any]:
    """One limit in the API's shape: ``n`` is the count behind it, None where none is."""
    return {"code": code, "text": text, "n": n}


def rare_text(cell: str, n: int, facts: TrainingFacts) -> str:
    """E.g. 'Few contacts like this one in the training data (n = 12): ...'."""
    age, source, count = cell.split("|")
    if count == "0":
        concerns = "no concerns"
    else:
        plus = "+" if int(count) == CONCERNS_CAP else ""
        concerns = f"{count}{plus} concern{'' if count == '1' else 's'}"
    learned = facts.labelled_cells.get(cell, 0)
    return (
        f"Few contacts like this one in the training data (n = {n}): aged {age}, from "
        f"{ReferralSource(source).phrase}, with {concerns}; {learned} of them had an outcome the "
        "model learned from. The estimate leans on contacts unlike this one."
    )


def period_text(facts: TrainingFacts) -> str:
    """When the training contacts were received, and how many there were."""
    return (
        f"The model learned from {facts.rows:,} contacts received from "
        f"{facts.received_from:%-d %B %Y} to {facts.received_to:%-d %B %Y} "
        f"({facts.labelled_rows:,} with an outcome it could learn from); practice and services "
        "may have changed since."
    )
