"""Published national figures that the synthetic generator is calibrated to and tested against.

The figures live as data in ``data/reference/published_figures.csv``, one row each with its unit,
year and public source (Department for Education, "Characteristics of children in need", on
explore-education-statistics.service.gov.uk, unless the row says otherwise). They ship with the
package, so nothing outside this repository is read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Figure:
    """One published figure: ``value`` in ``unit``, for ``year``, from ``source``."""

    figure: str
    key: str
    value: float
    unit: str
    year: str
    source: str


@cache
def all_figures() -> tuple[Figure, ...]:
    """Every row of the reference file, in file order."""
    text = resources.files("data").joinpath("reference/published_figures.csv").read_text("utf-8")
    return tuple(
        Figure(
            figure=row["figure"],
            key=row["key"],
            value=float(row["value"]),
            unit=row["unit"],
            year=row["year"],
            source=row["source"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def figures(name: str) -> dict[str, float]:
    """The values of one figure by key, e.g. ``figures("referral_source_share")["police"]``.

    Raises ``KeyError`` naming the figure when the file has no row for it.
    """
    values = {f.key: f.value for f in all_figures() if f.figure == name}
    if not values:
        raise KeyError(f"no published figure named {name!r} in published_figures.csv")
    return values
