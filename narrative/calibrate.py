"""Calibrate the narrative check on the written sentence set and report how well it does.

``python -m narrative.calibrate`` embeds every sentence of ``narrative/data/sentences.csv``,
chooses each concern's threshold on the development part, chooses the flag similarity on the
test part, and writes ``narrative/thresholds.json`` and the figures in ``docs/narrative.md``
(between the ``narrative-figures`` markers). Run it again after changing the sentences, the
concern descriptions or the model; a test checks that both files match what it produces.
``--model PATH`` calibrates an authority's own ONNX model and writes ``thresholds.json``
beside it instead (the doc is left alone).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narrative.concerns import BY_CODE, CONCERNS
from narrative.examples import NONE, Labelled, read_sentences
from narrative.reader import Reader, custom_files, load, packaged_files

GRID = np.round(np.arange(0.20, 0.901, 0.01), 2)
FLAG_MAX_NONE_SHARE = 0.05
BEGIN, END = "<!-- narrative-figures:begin -->", "<!-- narrative-figures:end -->"


@dataclass(frozen=True)
class Calibration:
    """Thresholds chosen and figures measured by one calibration run."""

    thresholds: dict[str, float]
    flag_similarity: float
    figures: str


# --- thresholds ---------------------------------------------------------------------------


def concern_thresholds(
    similarities: np.ndarray,
    none_similarity: np.ndarray,
    labels: Sequence[str],
    codes: Sequence[str],
) -> dict[str, float]:
    """Choose each concern's threshold on development sentences: the best F1 for that concern.

    A sentence counts for a concern when the concern is its nearest, nearer than any
    no-concern reference, and its similarity reaches the threshold; where several thresholds
    give the best F1, the middle one is taken.
    """
    nearest = similarities.argmax(axis=1)
    best = similarities.max(axis=1)
    eligible = best > none_similarity
    labels_array = np.asarray(labels)
    chosen = {}
    for index, code in enumerate(codes):
        positives = int((labels_array == code).sum())
        scores = []
        for threshold in GRID:
            predicted = (nearest == index) & (best >= threshold) & eligible
            hits = int((predicted & (labels_array == code)).sum())
            total = int(predicted.sum())
            scores.append(2 * hits / (total + positives) if total + positives else 0.0)
        scores_array = np.asarray(scores)
        tied = GRID[np.isclose(scores_array, scores_array.max())]
        chosen[code] = float(tied[len(tied) // 2])
    return chosen


def flag_similarity(suggested: np.ndarray) -> float:
    """Return the lowest grid similarity that at most 5% of no-concern sentences' suggestions
    reach (``suggested``: each sentence's suggestion similarity, 0 when it suggests nothing)."""
    for threshold in GRID:
        if (suggested >= threshold).mean() <= FLAG_MAX_NONE_SHARE:
            return float(threshold)
    return float(GRID[-1])


# --- the three methods, each giving a ranking of concerns and an "it suggests" decision ----


def embedding_method(
    similarities: np.ndarray,
    none_similarity: np.ndarray,
    codes: Sequence[str],
    thresholds: dict[str, float],
) -> tuple[list[list[str]], list[bool]]:
    """Rank concerns by similarity; suggest as :func:`narrative.check.suggest` does."""
    order = np.argsort(-similarities, axis=1, kind="stable")
    rankings = [[codes[i] for i in row] for row in order]
    best = similarities.max(axis=1)
    fires = [
        bool(best[k] >= thresholds[ranking[0]] and best[k] > none_similarity[k])
        for k, ranking in enumerate(rankings)
    ]
    return rankings, fires


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(keyword.lower()) + r"\b")


def keyword_method(sentences: Sequence[str]) -> tuple[list[list[str]], list[bool]]:
    """Rank concerns by how many of their keywords a sentence contains; suggest on any."""
    patterns = [(c.code, [_keyword_pattern(k) for k in c.keywords]) for c in CONCERNS]
    rankings, fires = [], []
    for sentence in sentences:
        lowered = sentence.lower()
        hits = [(sum(bool(p.search(lowered)) for p in ps), code) for code, ps in patterns]
        ranked = [code for count, code in sorted(hits, key=lambda h: -h[0]) if count > 0]
        rankings.append(ranked)
        fires.append(bool(ranked))
    return rankings, fires


def tfidf_method(
    train_sentences: Sequence[str], train_labels: Sequence[str], sentences: Sequence[str]
) -> tuple[list[list[str]], list[bool]]:
    """TF-IDF and logistic regression trained on the development part (``none`` a class)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(C=10.0, max_iter=5000),
    )
    model.fit(list(train_sentences), list(train_labels))
    classes = list(model.classes_)
    probabilities = model.predict_proba(list(sentences))
    rankings, fires = [], []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")
        rankings.append([classes[i] for i in order if classes[i] != NONE])
        fires.append(classes[order[0]] != NONE)
    return rankings, fires


# --- figures ------------------------------------------------------------------------------


def _rates(rankings, fires, labels) -> dict[str, Any]:
    concern = [i for i, label in enumerate(labels) if label != NONE]
    none = [i for i, label in enumerate(labels) if label == NONE]

    def share(hits: list[bool]) -> float:
        return sum(hits) / len(hits) if hits else float("nan")

    return {
        "top1": share([rankings[i][:1] == [labels[i]] for i in concern]),
        "top3": share([labels[i] in rankings[i][:3] for i in concern]),
        "family": share(
            [
                bool(rankings[i]) and BY_CODE[rankings[i][0]].family == BY_CODE[labels[i]].family
                for i in concern
            ]
        ),
        "suggested": share([fires[i] and rankings[i][0] == labels[i] for i in concern]),
        "none_suggested": share([fires[i] for i in none]),
    }


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.0f}%"


def render_figures(
    rows: Sequence[Labelled],
    methods: dict[str, tuple[list[list[str]], list[bool]]],
    *,
    flag: float,
    flag_rates: dict[str, float],
    reader: Reader,
) -> str:
    """Return the figures as Markdown: overall, by concern, and the flag threshold's rates."""
    labels = [row.concern for row in rows]
    n_concern = sum(label != NONE for label in labels)
    lines = [
        f"Model `{reader.name}` (SHA-256 `{reader.sha256}`); test part: {n_concern} concern "
        f"sentences and {len(labels) - n_concern} no-concern sentences.",
        "",
        "| method | top-1 | top-3 | top-1 family | right concern suggested | "
        "no-concern sentences given a suggestion |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, (rankings, fires) in methods.items():
        r = _rates(rankings, fires, labels)
        lines.append(
            f"| {name} | {_pct(r['top1'])} | {_pct(r['top3'])} | {_pct(r['family'])} | "
            f"{_pct(r['suggested'])} | {_pct(r['none_suggested'])} |"
        )
    names = list(methods)
    lines += [
        "",
        "By concern (test part), top-1 / top-3:",
        "",
        "| code | concern | n | " + " | ".join(names) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for concern in CONCERNS:
        index = [i for i, label in enumerate(labels) if label == concern.code]
        if not index:
            continue
        cells = []
        for rankings, _fires in methods.values():
            top1 = sum(rankings[i][:1] == [concern.code] for i in index)
            top3 = sum(concern.code in rankings[i][:3] for i in index)
            cells.append(f"{top1}/{len(index)} · {top3}/{len(index)}")
        lines.append(
            f"| {concern.code} | {concern.phrase} | {len(index)} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        f"Flag similarity: **{flag:.2f}**. No-concern sentences whose suggestion reaches it: "
        f"{_pct(flag_rates['none_test'])} of the test part, {_pct(flag_rates['none_dev'])} of the "
        f"development part. Concern sentences (test part) whose right concern is suggested with "
        f"at least that similarity: {_pct(flag_rates['concern_test'])}.",
    ]
    return "\n".join(lines) + "\n"


def calibrate(reader: Reader, rows: Sequence[Labelled]) -> Calibration:
    """Choose the thresholds and measure the check and its baselines on the test part."""
    vectors = reader.embed([row.sentence for row in rows])
    # A development sentence is scored without its own reference (leave one out).
    similarities, none_similarity = reader.similarities(vectors, leave_out=np.arange(len(rows)))
    dev = np.array([i for i, row in enumerate(rows) if row.split == "development"])
    test = np.array([i for i, row in enumerate(rows) if row.split == "test"])
    labels = [row.concern for row in rows]
    thresholds = concern_thresholds(
        similarities[dev], none_similarity[dev], [labels[i] for i in dev], reader.codes
    )
    rankings, fires = embedding_method(similarities, none_similarity, reader.codes, thresholds)
    # What each sentence would suggest: its nearest concern's similarity, 0 if nothing.
    suggested = np.where(fires, similarities.max(axis=1), 0.0)
    is_none = np.array([label == NONE for label in labels])
    flag = flag_similarity(suggested[test[is_none[test]]])

    test_rows = [rows[i] for i in test]
    test_sentences = [row.sentence for row in test_rows]
    methods = {
        "sentence model": ([rankings[i] for i in test], [fires[i] for i in test]),
        "keywords": keyword_method(test_sentences),
        "TF-IDF + logistic regression": tfidf_method(
            [rows[i].sentence for i in dev], [labels[i] for i in dev], test_sentences
        ),
    }
    right = np.array([fires[i] and rankings[i][0] == labels[i] for i in range(len(rows))])
    concern_test = test[~is_none[test]]
    flag_rates = {
        "none_test": float((suggested[test[is_none[test]]] >= flag).mean()),
        "none_dev": float((suggested[dev[is_none[dev]]] >= flag).mean()),
        "concern_test": float((right[concern_test] & (suggested[concern_test] >= flag)).mean()),
    }
    figures = render_figures(test_rows, methods, flag=flag, flag_rates=flag_rates, reader=reader)
    return Calibration(thresholds=thresholds, flag_similarity=flag, figures=figures)


def thresholds_document(reader: Reader, calibration: Calibration) -> dict[str, Any]:
    """Return the thresholds file's content."""
    return {
        "model": reader.name,
        "model_sha256": reader.sha256,
        "flag_similarity": calibration.flag_similarity,
        "concerns": calibration.thresholds,
    }


def replace_figures(document: str, figures: str) -> str:
    """Return ``document`` with the text between the figures markers replaced."""
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[:start] + "\n" + figures + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Calibrate, then write the thresholds file (and the doc's figures for the packaged model)."""
    parser = argparse.ArgumentParser(prog="python -m narrative.calibrate", description=__doc__)
    parser.add_argument("--model", type=Path, help="an ONNX sentence model of your own")
    parser.add_argument("--doc", type=Path, default=Path("docs/narrative.md"))
    args = parser.parse_args(argv)
    files = custom_files(args.model) if args.model else packaged_files()
    reader = load(files, calibrating=True)
    if not reader.available:
        parser.error(f"the sentence model is unavailable: {reader.reason}")
    assert files is not None
    calibration = calibrate(reader, read_sentences())
    document = thresholds_document(reader, calibration)
    files.thresholds.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {files.thresholds}")
    if args.model is None:
        args.doc.write_text(
            replace_figures(args.doc.read_text(encoding="utf-8"), calibration.figures),
            encoding="utf-8",
        )
        print(f"wrote the figures in {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
