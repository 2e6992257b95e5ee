"""The written sentence set, the calibration, and the figures in docs/narrative.md."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from config.settings import Settings
from narrative.calibrate import (
    BEGIN,
    END,
    calibrate,
    concern_thresholds,
    flag_similarity,
    keyword_method,
    replace_figures,
    thresholds_document,
)
from narrative.concerns import CONCERNS
from narrative.examples import NONE, read_sentences
from narrative.reader import packaged_files

ROOT = Path(__file__).resolve().parents[2]
WRITERS = {
    "police",
    "school",
    "health_visitor",
    "gp",
    "neighbour",
    "anonymous",
    "family",
    "housing",
}


def test_the_sentence_set_has_what_the_calibration_needs():
    rows = read_sentences()
    counts = Counter(row.concern for row in rows)
    assert sum(n for code, n in counts.items() if code != NONE) >= 400
    assert counts[NONE] >= 120
    assert set(counts) == {concern.code for concern in CONCERNS} | {NONE}
    for code in counts:
        splits = Counter(row.split for row in rows if row.concern == code)
        assert splits["development"] >= 2 and splits["test"] >= 2, code
    assert {row.split for row in rows} == {"development", "test"}
    assert {row.writer for row in rows} == WRITERS
    sentences = [row.sentence for row in rows]
    assert len(set(sentences)) == len(sentences)
    assert all(sentence.strip() == sentence and sentence for sentence in sentences)


def test_written_descriptions_are_not_calibration_sentences():
    sentences = {row.sentence for row in read_sentences()}
    for concern in CONCERNS:
        assert not sentences & set(concern.descriptions), concern.code


def test_thresholds_maximise_f1_and_take_the_middle_of_a_tie():
    # Two sentences of concern A at 0.6 and 0.7, one of B nearest to A at 0.4.
    sims = np.array([[0.6, 0.1], [0.7, 0.1], [0.4, 0.1]])
    chosen = concern_thresholds(sims, np.zeros(3), ["A", "A", "B"], ["A", "B"])
    assert 0.4 < chosen["A"] <= 0.6
    # Every grid value 0.41 ... 0.60 is best (F1 1): the middle one of the 20 (the 11th).
    assert chosen["A"] == 0.51


def test_flag_similarity_lets_at_most_five_percent_through():
    suggested = np.array([0.0] * 90 + [0.3] * 5 + [0.45] * 4 + [0.7])
    assert flag_similarity(suggested) == 0.31
    assert (suggested >= 0.31).mean() <= 0.05
    assert (suggested >= 0.30).mean() > 0.05


def test_the_keyword_baseline_ranks_by_hits():
    rankings, fires = keyword_method(["Mum was drunk and smelt of alcohol.", "A sunny day."])
    assert rankings[0][0] in {"1B", "1A", "1C"}
    assert fires == [True, False]


def test_docs_and_thresholds_are_what_the_calibration_produces(reader):
    """`python -m narrative.calibrate` reproduces the committed thresholds and figures."""
    calibration = calibrate(reader, read_sentences())
    committed = json.loads(packaged_files().thresholds.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(thresholds_document(reader, calibration)))
    document = (ROOT / "docs" / "narrative.md").read_text(encoding="utf-8")
    assert BEGIN in document and END in document
    assert replace_figures(document, calibration.figures) == document
    assert "not real records" in document


def test_the_flag_setting_defaults_to_the_calibrated_value():
    committed = json.loads(packaged_files().thresholds.read_text(encoding="utf-8"))
    default = Settings.model_fields["narrative_flag_similarity"].default
    assert default == committed["flag_similarity"]
