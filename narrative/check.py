"""The narrative check: which uncoded concerns the referrer's words may describe.

These are prompts for the worker's own reading, never verdicts: each suggestion quotes the
sentence that raised it so the worker can judge it. The narrative is never logged, and the
sentences are kept out of the objects' ``repr`` so that logging a result cannot leak them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from data.codes import LEGACY_CONCERNS
from narrative.concerns import BY_CODE
from narrative.reader import Reader

MAX_SUGGESTIONS = 3

# A sentence ends at . ! or ? (and closing quotes or brackets) followed by a space, or at a
# line break; common abbreviations are not ends.
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|No|approx|etc|e\.g|i\.e|vs)\.$", re.IGNORECASE)
_END = re.compile(r"[.!?][\"')\]]*\s+|\s*\n+\s*")


@dataclass(frozen=True)
class Suggestion:
    """A concern the narrative may describe, with the sentence that suggests it."""

    code: str
    text: str = field(repr=False)
    sentence: str = field(repr=False)
    similarity: float


@dataclass(frozen=True)
class NarrativeCheck:
    """What the narrative check found, and with which model."""

    available: bool
    model: dict[str, str | None]
    suggestions: tuple[Suggestion, ...] = ()
    reason: str | None = None


def split_sentences(text: str) -> list[str]:
    """Split a narrative into sentences (at . ! ? and line breaks, not after Mr. or Dr.)."""
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece and _ABBREVIATIONS.search(piece) and "\n" not in match.group():
            continue  # "Dr. Patel": keep reading the same sentence
        if piece:
            pieces.append(piece)
        start = match.end()
    last = text[start:].strip()
    if last:
        pieces.append(last)
    return [piece for piece in pieces if any(ch.isalpha() for ch in piece)]


def normalise_codes(coded: Iterable[str]) -> frozenset[str]:
    """Return the coded concerns as current codes (legacy 18A and 19A read as their successors)."""
    codes = {str(code).strip().upper() for code in coded}
    return frozenset(LEGACY_CONCERNS[c].value if c in LEGACY_CONCERNS else c for c in codes)


def suggest(
    sentences: Sequence[str],
    similarities: np.ndarray,
    none_similarity: np.ndarray,
    *,
    codes: Sequence[str],
    thresholds: dict[str, float],
    coded: frozenset[str],
    limit: int = MAX_SUGGESTIONS,
) -> tuple[Suggestion, ...]:
    """Return at most ``limit`` uncoded concerns, each from the sentence most like it.

    Each sentence votes only for its nearest concern, and only when it reaches that concern's
    threshold and is nearer to it than to every no-concern reference; a sentence whose nearest
    concern is already coded is explained by the coding and suggests nothing.
    """
    best: dict[str, tuple[float, str]] = {}
    for sentence, row, none in zip(sentences, similarities, none_similarity, strict=True):
        index = int(np.argmax(row))
        code, similarity = codes[index], float(row[index])
        if code in coded or similarity < thresholds.get(code, np.inf) or similarity <= none:
            continue
        if code not in best or similarity > best[code][0]:
            best[code] = (similarity, sentence)
    ranked = sorted(best.items(), key=lambda item: -item[1][0])[:limit]
    return tuple(
        Suggestion(
            code=code,
            text=suggestion_text(code, sentence),
            sentence=sentence,
            similarity=round(similarity, 3),
        )
        for code, (similarity, sentence) in ranked
    )


def suggestion_text(code: str, sentence: str) -> str:
    """Return the prompt a worker reads, quoting the sentence."""
    phrase = BY_CODE[code].phrase
    stop = "" if sentence.endswith((".", "!", "?")) else "."
    return (
        f"The narrative may describe {phrase}: '{sentence}'{stop} "
        "It is not among the coded concerns."
    )


def check(text: str | None, coded: Iterable[str], *, reader: Reader) -> NarrativeCheck:
    """Suggest up to three concerns the narrative may describe that are not coded."""
    model = {"name": reader.name, "sha256": reader.sha256}
    if not reader.available:
        return NarrativeCheck(available=False, model=model, reason=reader.reason)
    sentences = split_sentences(text or "")
    if not sentences:
        return NarrativeCheck(available=True, model=model)
    similarities, none_similarity = reader.similarities(reader.embed(sentences))
    suggestions = suggest(
        sentences,
        similarities,
        none_similarity,
        codes=reader.codes,
        thresholds=reader.thresholds,
        coded=normalise_codes(coded),
    )
    return NarrativeCheck(available=True, model=model, suggestions=suggestions)
