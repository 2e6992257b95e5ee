"""Read what the referrer wrote: concerns the narrative may describe that are not coded.

Pure apart from loading its ONNX sentence model once per process (:func:`load_reader`); imports
nothing from ``service`` or ``training``. Its suggestions are prompts for the worker's own
reading, never verdicts. Narratives are never logged and never leave the machine.
"""

from narrative.check import NarrativeCheck, Suggestion, check, split_sentences
from narrative.reader import Reader, clear_cache, load_reader

__all__ = [
    "NarrativeCheck",
    "Reader",
    "Suggestion",
    "check",
    "clear_cache",
    "load_reader",
    "split_sentences",
]
