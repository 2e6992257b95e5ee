"""The assessment's ``narrative_check`` block: concerns the narrative may describe, uncoded.

A separate block beside the estimate, never an input to it: the probability, band and
explanation are made from the coded fields before this runs and are not touched by it. The
suggestions are prompts for the worker's own reading, never verdicts. Nothing here logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from narrative import Reader, check


def narrative_check(text: str | None, coded: Iterable[str], *, reader: Reader) -> dict[str, Any]:
    """The JSON block of one contact's narrative check (empty suggestions without a narrative)."""
    found = check(text, coded, reader=reader)
    return {
        "available": found.available,
        "model": {"name": found.model["name"], "sha256": found.model["sha256"]},
        "suggestions": [
            {"code": s.code, "text": s.text, "sentence": s.sentence, "similarity": s.similarity}
            for s in found.suggestions
        ],
    }


def add_narrative_checks(
    assessments: Sequence[dict[str, Any]],
    records: Sequence[Mapping[str, Any]],
    *,
    reader: Reader,
) -> None:
    """Give each assessment the narrative check of its record (``narrative``, ``concerns``)."""
    for assessment, record in zip(assessments, records, strict=True):
        assessment["narrative_check"] = narrative_check(
            record.get("narrative"), record.get("concerns") or (), reader=reader
        )


def top_uncoded_concern(assessment: Mapping[str, Any]) -> tuple[str, float] | None:
    """The most similar suggested concern of a stored assessment (code, similarity), if any.

    Assessments stored before the check existed, or made while the model was unavailable, have
    none.
    """
    block = assessment.get("narrative_check") or {}
    suggestions = block.get("suggestions") or []
    if not block.get("available") or not suggestions:
        return None
    top = max(suggestions, key=lambda s: float(s["similarity"]))
    return str(top["code"]), float(top["similarity"])
