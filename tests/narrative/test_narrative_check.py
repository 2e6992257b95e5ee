"""The narrative check: suggestions, coded concerns, empty narratives, privacy."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import narrative
from narrative.check import normalise_codes, split_sentences, suggest, suggestion_text

HEROIN = "Mum was injecting heroin in the bathroom while the baby cried."
NARRATIVE = f"Police attended after a neighbour called. The children were asleep upstairs. {HEROIN}"


def test_an_uncoded_concern_is_suggested_with_its_sentence(reader):
    result = narrative.check(NARRATIVE, ["3B"], reader=reader)
    assert result.available
    assert result.model == {"name": "all-MiniLM-L6-v2-onnx-int8", "sha256": reader.sha256}
    by_code = {s.code: s for s in result.suggestions}
    assert "2B" in by_code
    assert by_code["2B"].sentence == HEROIN
    assert by_code["2B"].text == (
        f"The narrative may describe drug misuse by a parent or carer: '{HEROIN}' "
        "It is not among the coded concerns."
    )
    assert by_code["2B"].similarity >= reader.thresholds["2B"]


def test_the_same_concern_coded_is_not_suggested(reader):
    result = narrative.check(NARRATIVE, ["2B"], reader=reader)
    assert result.available
    assert "2B" not in {s.code for s in result.suggestions}


@pytest.mark.parametrize("text", ["", "   \n  ", None, "..."])
def test_an_empty_narrative_gives_no_suggestions(reader, text):
    result = narrative.check(text, [], reader=reader)
    assert result.available
    assert result.suggestions == ()


def test_a_narrative_about_no_concern_gets_no_suggestion(reader):
    text = "She is doing well in maths. She has joined the netball team and loves it."
    assert narrative.check(text, [], reader=reader).suggestions == ()


def test_at_most_three_suggestions_highest_first(reader):
    text = (
        f"{HEROIN} Dad hit mum in the face in front of the children. "
        "The boy has been cutting his arms with a razor. "
        "The girl was missing overnight and came back with money and a new phone from older men. "
        "The children are hungry and the flat is filthy with no food."
    )
    suggestions = narrative.check(text, [], reader=reader).suggestions
    assert len(suggestions) == 3
    similarities = [s.similarity for s in suggestions]
    assert similarities == sorted(similarities, reverse=True)


def test_the_check_logs_nothing_of_the_narrative(reader, caplog):
    with caplog.at_level(logging.DEBUG):
        result = narrative.check(NARRATIVE, [], reader=reader)
    assert "heroin" not in caplog.text.lower()
    assert "heroin" not in repr(result).lower()


def test_suggest_keeps_each_concerns_best_sentence_and_skips_coded_and_weak():
    codes = ("1B", "2B", "3B", "4B", "16A")
    thresholds = dict.fromkeys(codes, 0.5)
    sims = np.array(
        [
            [0.9, 0.1, 0.1, 0.1, 0.1],  # 1B, coded
            [0.1, 0.6, 0.1, 0.1, 0.1],  # 2B
            [0.1, 0.7, 0.1, 0.1, 0.1],  # 2B, better
            [0.1, 0.1, 0.4, 0.1, 0.1],  # 3B below its threshold
            [0.1, 0.1, 0.1, 0.8, 0.1],  # 4B, but nearer to "no concern"
            [0.1, 0.1, 0.1, 0.1, 0.55],  # 16A
            [0.1, 0.52, 0.1, 0.1, 0.51],  # nearest 2B: only that one counts
        ]
    )
    none = np.array([0.2, 0.2, 0.2, 0.2, 0.85, 0.2, 0.2])
    sentences = [f"s{i}" for i in range(len(sims))]
    found = suggest(sentences, sims, none, codes=codes, thresholds=thresholds, coded={"1B"})
    assert [(s.code, s.sentence, s.similarity) for s in found] == [
        ("2B", "s2", 0.7),
        ("16A", "s5", 0.55),
    ]
    assert len(suggest(sentences, sims, none * 0, codes=codes, thresholds={}, coded=set())) == 0


def test_suggest_returns_at_most_the_limit():
    codes = ("1B", "2B", "3B", "4B")
    sims = np.eye(4) * 0.9
    found = suggest(
        list("abcd"),
        sims,
        np.zeros(4),
        codes=codes,
        thresholds=dict.fromkeys(codes, 0.5),
        coded=frozenset(),
    )
    assert len(found) == 3


def test_suggestion_text_adds_a_full_stop_only_when_missing():
    assert suggestion_text("16A", "No food in the house") == (
        "The narrative may describe neglect: 'No food in the house'. "
        "It is not among the coded concerns."
    )


def test_legacy_codes_count_as_their_successors():
    assert normalise_codes(["18a", " 19A", "2B"]) == {"18C", "19C", "2B"}


def test_sentences_split_at_stops_and_line_breaks_but_not_titles():
    text = "Dr. Patel saw Mrs. Khan today! Was she hurt? Yes.\nNo food in the house\n\nEnd"
    assert split_sentences(text) == [
        "Dr. Patel saw Mrs. Khan today!",
        "Was she hurt?",
        "Yes.",
        "No food in the house",
        "End",
    ]
    assert split_sentences('He said "stop." Then he left.') == ['He said "stop."', "Then he left."]
