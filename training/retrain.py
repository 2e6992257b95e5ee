"""`triage retrain`: train a challenger and let it replace the champion only if it is no worse.

**The comparison is made on the same rows.** The challenger is trained on the new file by
:func:`training.pipeline.train_frame`, whose figures are out of fold: every contact is estimated
by models that never saw it. The champion, trained on earlier data, never saw this file's rows
either, so its estimates of the same contacts are held out too. Both are judged on the same
acted-on contacts, by the same functions: :func:`training.evaluate.evaluate`, the quality gates
and the fairness gate. (If the champion *was* trained on this very file, its figures are
in-sample and flattered; the result says so.)

The challenger becomes the champion only if it passes every gate and is no worse than the
champion beyond the settings' margins (``retrain_max_auc_loss``,
``retrain_max_calibration_increase``); every rule is in :mod:`training.policy`. Those two
comparisons are added to its gates (``vs_champion_auc``, ``vs_champion_calibration``), so
registration gives it the alias exactly when everything passed, its tags and model card show
why, and ``models list`` shows them. The challenger is registered either way. Without a
champion, retraining is training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models import features as F
from training.evaluate import Evaluation, evaluate
from training.pipeline import (
    FOLDS,
    Progress,
    TrainResult,
    fairness_audit,
    file_sha256,
    log_and_register,
    train_frame,
)
from training.policy import Gate, champion_gates, judge
from training.promotion import PromotionHook, log_promotion, record_promotion

if TYPE_CHECKING:
    from config.settings import Settings
    from models.model import Family, TriageModel

SAME_FILE_NOTE = (
    "The champion was trained on this very file: its figures here are in-sample and flattered, "
    "so the comparison favours it."
)
NO_CHAMPION_NOTE = "There was no champion: the challenger was judged by its own gates alone."


@dataclass
class RetrainResult:
    """A challenger, the champion judged on the same rows, and whether the alias moved."""

    challenger: TrainResult
    champion_version: str | None = None
    champion_evaluation: Evaluation | None = None
    champion_gates: list[Gate] = field(default_factory=list)
    comparison: list[Gate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    event: dict[str, Any] | None = None

    @property
    def promoted(self) -> bool:
        """True when the challenger became the champion."""
        return self.challenger.champion

    @property
    def reasons(self) -> list[str]:
        """Why the challenger was not promoted (every failed gate, comparisons included)."""
        return [f"{g.name}: {g.detail}" for g in self.challenger.gates if not g.passed]


def judge_model(
    frame: pd.DataFrame, model: TriageModel, settings: Settings
) -> tuple[Evaluation, list[Gate]]:
    """Evaluate a fitted model on an extract with the training gates (quality and fairness)."""
    probability = model.probability(F.build_matrix(frame))
    evaluation = evaluate(frame, probability, seed=settings.seed)
    judgement = judge(evaluation.metrics, fairness_audit(frame, probability), settings=settings)
    return evaluation, judgement.gates


def data_info(path: Path, frame: pd.DataFrame) -> dict[str, Any]:
    """The provenance training logs for a file (as ``train_file`` does)."""
    from training.labels import label_coverage

    return {
        "path": str(path),
        "sha256": file_sha256(path),
        "rows": len(frame),
        "label_coverage": label_coverage(frame),
        "folds": FOLDS,
    }


def _comparison_record(result: RetrainResult) -> dict[str, Any]:
    from reporting import clean

    evaluation = result.champion_evaluation
    return clean(
        {
            "champion_version": result.champion_version,
            "challenger_metrics": result.challenger.evaluation.metrics,
            "champion_metrics": evaluation.metrics if evaluation else {},
            "champion_gates": [g.as_dict() for g in result.champion_gates],
            "comparison": [g.as_dict() for g in result.comparison],
            "notes": result.notes,
        }
    )


def retrain_file(
    path: Path,
    settings: Settings,
    *,
    families: tuple[Family, ...] = ("linear", "tree"),
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
    progress: Progress = lambda _: None,
) -> RetrainResult:
    """Train a challenger on a file, judge it and the champion on its rows, promote or not.

    ``on_promotion`` is called with the event when the alias moves (see
    :mod:`training.promotion`).
    """
    from data.io import read_contacts
    from models import registry

    progress(f"reading {path}")
    frame = read_contacts(path)
    info = data_info(path, frame)
    try:
        champion = registry.load_champion(settings)
    except registry.NoChampionError:
        champion = None
    result = RetrainResult(train_frame(frame, settings, families=families, progress=progress))
    if champion is None:
        result.notes.append(NO_CHAMPION_NOTE)
    else:
        progress(f"judging the champion, version {champion.version}, on the same rows")
        result.champion_version = champion.version
        result.champion_evaluation, result.champion_gates = judge_model(
            frame, champion.model, settings
        )
        result.comparison = champion_gates(
            result.challenger.evaluation.metrics, result.champion_evaluation.metrics, settings
        )
        result.challenger.gates = [*result.challenger.gates, *result.comparison]
        if registry.read_run(settings, champion.run_id).data_sha256 == info["sha256"]:
            result.notes.append(SAME_FILE_NOTE)
    progress("logging to MLflow and registering the challenger")
    log_and_register(result.challenger, frame, info, settings)
    run_id = result.challenger.run_id
    # For mypy: log_and_register has just set the challenger's run_id
    registry.log_run_dict(settings, run_id, _comparison_record(result), "champion_comparison.json")  # type: ignore[arg-type]
    if result.promoted:
        was = result.champion_version
        reason = f"retrained on {path.name}: passed every gate" + (
            f" and was no worse than version {was} on the same rows" if was else ""
        )
        result.event = record_promotion(
            settings,
            str(result.challenger.version),
            action="retrain",
            previous=was,
            reason=reason,
            actor=actor,
            on_promotion=on_promotion,
        )
    return result


def metrics_table(result: RetrainResult) -> list[tuple[str, float, float]]:
    """(metric, challenger, champion) rows for the headline metrics, NaN where unknown."""
    names = ("auc", "calibration_error", "acted_on_rows", "truth_auc_ratio")
    new = result.challenger.evaluation.metrics
    old = result.champion_evaluation.metrics if result.champion_evaluation else {}
    return [
        (name, float(new.get(name, np.nan)), float(old.get(name, np.nan)))
        for name in names
        if name in new or name in old
    ]
