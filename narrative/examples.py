"""The written sentence set (``narrative/data/sentences.csv``) and the references built from it.

Every sentence there was written for triage; none comes from a real record. The development
part serves twice: its sentences are references a narrative's sentences are compared with
(its no-concern sentences too), and it is where thresholds are chosen. The
test part is used only to measure.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from narrative.concerns import CONCERNS

NONE = "none"


@dataclass(frozen=True)
class Labelled:
    """One written sentence with its concern code (or ``none``), its writer and its split."""

    sentence: str
    concern: str
    writer: str
    split: str


@dataclass(frozen=True)
class Reference:
    """A text a narrative sentence is compared with; ``row`` is its place in the set, or -1."""

    group: str
    text: str
    row: int


def sentences_path() -> Path:
    """Return the packaged sentence set's path."""
    return Path(str(resources.files("narrative") / "data" / "sentences.csv"))


def read_sentences(path: Path | None = None) -> list[Labelled]:
    """Read the labelled sentence set (columns sentence, concern, writer, split)."""
    with (path or sentences_path()).open(encoding="utf-8", newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


def development_examples(rows: list[Labelled]) -> list[Reference]:
    """Return the development sentences grouped by concern in the order of CONCERNS, then none."""
    development = [(i, row) for i, row in enumerate(rows) if row.split == "development"]
    found: list[Reference] = []
    for group in (*(concern.code for concern in CONCERNS), NONE):
        found += [Reference(group, r.sentence, i) for i, r in development if r.concern == group]
    return found
