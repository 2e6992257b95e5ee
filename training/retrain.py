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
``retrain_max_calibration_increase``). Those two comparisons are added to its gates
(``vs_champion_auc``, ``vs_champion_calibration``), so registration gives it the alias exactly
when everything passed, its tags and model card show why, and ``models list`` shows them. The
challenger is registered either way. Without a champion, retraining is training.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models import features as F
from training.evaluate import Evaluation, evaluate
from training.gates import Gate, quality_gates
from training.pipeline import (
    FOLDS,
    Progress,
    TrainResult,
    fairness_gate,
    file_sha256,
    log_and_register,
    train_frame,
)
from training.promotion import PromotionHook, log_promotion, record_promotion

if TYPE_CHECKING:
    from config.settings import Settings
    from models.model import Family, TriageModel

AUC_GATE = "vs_champion_auc"
CALIBRATION_GATE = "vs_champion_calibration"
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


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def compare_with_champion(
    challenger: Mapping[str, float],
    champion: Mapping[str, float],
    *,
    max_auc_loss: float,
    max_calibration_increase: float,
) -> list[Gate]:
    """Gates that pass when the challenger is no worse than the champion beyond the margins.

    Both metric sets must be measured on the same rows (acted-on contacts, as in training).
    """
    new_auc, old_auc = challenger.get("auc"), champion.get("auc")
    comparable = _finite(new_auc) and _finite(old_auc)
    auc_change = float(new_auc - old_auc) if comparable else math.nan
    auc_detail = (
        f"challenger AUC {new_auc:.3f} against the champion's {old_auc:.3f} on the same "
        f"contacts (may lose at most {max_auc_loss})"
        if comparable
        else "AUC could not be compared (n/a on these rows)"
    )
    new_error, old_error = challenger.get("calibration_error"), champion.get("calibration_error")
    comparable_error = _finite(new_error) and _finite(old_error)
    error_change = float(new_error - old_error) if comparable_error else math.nan
    error_detail = (
        f"challenger calibration error {new_error:.3f} against the champion's {old_error:.3f} "
        f"(may rise by at most {max_calibration_increase})"
        if comparable_error
        else "calibration error could not be compared (n/a on these rows)"
    )
    return [
        Gate(AUC_GATE, auc_change, -max_auc_loss, bool(auc_change >= -max_auc_loss), auc_detail),
        Gate(
            CALIBRATION_GATE,
            error_change,
            max_calibration_increase,
            bool(error_change <= max_calibration_increase),
            error_detail,
        ),
    ]


def judge_model(
    frame: pd.DataFrame, model: TriageModel, settings: Settings
) -> tuple[Evaluation, list[Gate]]:
    """Evaluate a fitted model on an extract with the training gates (quality and fairness)."""
    probability = model.probability(F.build_matrix(frame))
    evaluation = evaluate(frame, probability, seed=settings.seed)
    gates = [
        *quality_gates(evaluation.metrics, settings),
        fairness_gate(frame, probability, settings).gate,
    ]
    return evaluation, gates


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


def _champion_data_sha(run_id: str) -> str | None:
    import mlflow

    return mlflow.MlflowClient().get_run(run_id).data.params.get("data_sha256")


def _comparison_record(result: RetrainResult) -> dict[str, Any]:
    from fairness.report import clean

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
    import mlflow

    from data.io import read_contacts
    from models.registry import NoChampionError, load_champion

    progress(f"reading {path}")
    frame = read_contacts(path)
    info = data_info(path, frame)
    try:
        champion = load_champion(settings)
    except NoChampionError:
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
        result.comparison = compare_with_champion(
            result.challenger.evaluation.metrics,
            result.champion_evaluation.metrics,
            max_auc_loss=settings.retrain_max_auc_loss,
            max_calibration_increase=settings.retrain_max_calibration_increase,
        )
        result.challenger.gates = [*result.challenger.gates, *result.comparison]
        if _champion_data_sha(champion.run_id) == info["sha256"]:
            result.notes.append(SAME_FILE_NOTE)
    progress("logging to MLflow and registering the challenger")
    log_and_register(result.challenger, frame, info, settings)
    run_id = result.challenger.run_id
    mlflow.MlflowClient().log_dict(run_id, _comparison_record(result), "champion_comparison.json")
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
