"""A waterfall of an assessment's grouped SHAP contributions, as data for an inline SVG.

From the model's base value each contribution moves the estimate up or down (in log-odds) to
its output. The biggest contributions are drawn one per row; the rest share one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from data.codes import Concern

MOST_ROWS = 10
MOST_CHARS = 32
WIDTH, LABEL_WIDTH, ROW_HEIGHT, PAD = 680, 250, 30, 8
VALUE_WIDTH = 60
FIELD_NAMES = {
    "child_age_years": "Child's age",
    "referral_source": "Who made the contact",
    "prior_contacts_12m": "Earlier contacts",
    "previous_cp_plan": "Previous child protection plan",
    "early_help_open": "Early help open",
    "concerns": "Concerns",
}


@dataclass(frozen=True)
class Bar:
    """One row of the waterfall."""

    label: str
    shap: float
    x: float
    width: float
    y: float

    @property
    def raises(self) -> bool:
        """Whether this contribution raises the estimate."""
        return self.shap > 0

    @property
    def value_text(self) -> str:
        """The contribution with its sign (not colour alone)."""
        return f"{'+' if self.shap > 0 else '−'}{abs(self.shap):.2f}"


@dataclass(frozen=True)
class Waterfall:
    """Everything the template draws."""

    bars: list[Bar]
    width: int
    height: int
    base_x: float
    output_x: float
    axis_y: float
    base_value: float
    model_output: float


def label(contribution: dict[str, Any]) -> str:
    """A short name for a contribution's field or concern code (fits the label column)."""
    code = contribution.get("code")
    if code and code in Concern._value2member_map_:
        name = f"{code}: {Concern(code).label}"
    else:
        field = str(contribution["field"])
        name = FIELD_NAMES.get(field, field.replace("_", " ").capitalize())
    return name if len(name) <= MOST_CHARS else name[: MOST_CHARS - 1].rstrip() + "…"


def waterfall(explanation: dict[str, Any]) -> Waterfall:
    """Lay out the contributions from the base value to the model's output."""
    ordered = sorted(explanation["contributions"], key=lambda c: -abs(c["shap"]))
    rows = [(label(c), float(c["shap"])) for c in ordered[:MOST_ROWS]]
    rest = sum(float(c["shap"]) for c in ordered[MOST_ROWS:])
    if len(ordered) > MOST_ROWS:
        rows.append((f"{len(ordered) - MOST_ROWS} other fields", rest))
    base = float(explanation["base_value"])
    running, points = base, [base]
    for _, shap in rows:
        running += shap
        points.append(running)
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PAD

    def x(value: float) -> float:
        return round(LABEL_WIDTH + PAD + (value - low) / span * plot, 1)

    bars, running = [], base
    for index, (name, shap) in enumerate(rows):
        start, end = x(running), x(running + shap)
        bars.append(
            Bar(name, shap, min(start, end), max(abs(end - start), 1.5), PAD + index * ROW_HEIGHT)
        )
        running += shap
    axis_y = PAD + len(rows) * ROW_HEIGHT
    return Waterfall(
        bars=bars,
        width=WIDTH,
        height=int(axis_y + 2 * ROW_HEIGHT),
        base_x=x(base),
        output_x=x(running),
        axis_y=axis_y,
        base_value=base,
        model_output=float(explanation["model_output"]),
    )
