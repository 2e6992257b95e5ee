"""`triage train`: labels -> candidates -> calibrate -> evaluate -> gates -> card -> registry."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from config.settings import Settings
from data.contract import MODEL_INPUTS
from models import features as F
from models.model import Family, TriageModel
from training import fit, intervals
from training.evaluate import Evaluation, evaluate
from training.labels import STRATEGIES, Labels, Strategy, label_coverage, make_labels
from training.policy import Gate, judge, may_promote

if TYPE_CHECKING:
    from fairness.report import Report
    from training.promotion import PromotionHook

FOLDS = 5
Progress = Callable[[str], None]


@dataclass
class TrainResult:
    """What a training run produced."""

    model: TriageModel
    evaluation: Evaluation
    gates: list[Gate]
    label_comparison: list[dict[str, Any]]
    candidates: list[fit.Candidate]
    run_id: str | None = None
    version: str | None = None
    champion: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when the gates let registration make this version the champion."""
        return may_promote(self.gates, manual=False).allowed


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, for data provenance."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compare_strategies(
    frame: pd.DataFrame,
    x: np.ndarray,
    folds: np.ndarray,
    *,
    chosen_strategy: Strategy,
    seed: int,
    progress: Progress,
) -> tuple[list[dict[str, Any]], list[fit.Candidate]]:
    """Cross-fit the linear family under every labelling strategy; judge each out of fold.

    The regularisation is chosen under the default strategy and reused for the others, so the
    comparison is about labels alone. Returns the comparison rows and the default strategy's
    linear candidates.
    """
    progress(f"labelling strategy {chosen_strategy}: choosing the regularisation")
    chosen_labels = make_labels(frame, x, chosen_strategy)
    linear = fit.compare(
        x, chosen_labels, folds, families=("linear",), seed=seed, progress=progress
    )
    rows = []
    for strategy in STRATEGIES:
        labels = chosen_labels if strategy == chosen_strategy else make_labels(frame, x, strategy)
        if strategy == chosen_strategy:
            best = linear[0]
        else:
            progress(f"labelling strategy {strategy}")
            best = fit.cross_fit("linear", linear[0].params, x, labels, folds, seed=seed)
        probability = fit.cross_calibrated(best, labels, folds)
        rows.append(_strategy_row(strategy, labels.count, evaluate(frame, probability, seed=seed)))
    return rows, linear


def _strategy_row(strategy: str, count: int, result: Evaluation) -> dict[str, Any]:
    m = result.metrics
    row: dict[str, Any] = {
        "strategy": strategy,
        "training_rows": count,
        "auc_acted_on": m["auc"],
        "calibration_error_acted_on": m["calibration_error"],
        "mean_estimate": m["mean_estimate"],
    }
    if result.has_truth:
        row["truth_auc_ratio"] = m["truth_auc_ratio"]
        row["truth_mean_ratio"] = m["truth_mean_ratio"]
        for g in result.groups:
            row[f"mean_ratio[{g['attribute']}={g['group']}]"] = g["truth_mean_ratio"]
        ratios = [g["truth_mean_ratio"] for g in result.groups if g["n"] >= 100]
        row["worst_group_mean_error"] = float(max((abs(r - 1) for r in ratios), default=np.nan))
    return row


def reference_profile(frame: pd.DataFrame, probability: np.ndarray) -> dict[str, Any]:
    """The training population's input distribution, for drift monitoring."""
    matrix = F.build_matrix(frame)
    prior = frame["prior_contacts_12m"].clip(upper=4).value_counts(normalize=True).sort_index()
    return {
        "rows": len(frame),
        "age_band": dict(
            zip(F.AGE_BAND_LABELS, matrix[:, F.AGE_SLICE].mean(0).tolist(), strict=True)
        ),
        "referral_source": dict(
            zip(F.SOURCE_CODES, matrix[:, F.SOURCE_SLICE].mean(0).tolist(), strict=True)
        ),
        "concerns": dict(
            zip(F.CONCERN_CODES, matrix[:, F.CONCERN_SLICE].mean(0).tolist(), strict=True)
        ),
        "prior_contacts_12m": {("4+" if k == 4 else str(k)): float(v) for k, v in prior.items()},
        "previous_cp_plan": float(frame["previous_cp_plan"].mean()),
        "early_help_open": float(frame["early_help_open"].mean()),
        "probability_deciles": np.quantile(probability, np.linspace(0, 1, 11)).tolist(),
    }


def train_frame(
    frame: pd.DataFrame,
    settings: Settings,
    *,
    families: tuple[Family, ...] = ("linear", "tree"),
    progress: Progress = lambda _: None,
) -> TrainResult:
    """Fit and evaluate on a typed extract, without touching the registry.

    Every metric is out of fold: each contact is estimated by models that never saw it (five
    folds), then the chosen candidate is refitted on every labelled row.
    """
    if frame["outcome_need_12m"].notna().sum() == 0:
        raise ValueError("no observed outcomes (outcome_need_12m) to train on")
    seed, strategy = settings.seed, settings.label_strategy
    x = F.build_matrix(frame)
    folds = fit.assign_folds(len(frame), folds=FOLDS, seed=seed)
    comparison, candidates = compare_strategies(
        frame, x, folds, chosen_strategy=strategy, seed=seed, progress=progress
    )
    if "linear" not in families:
        candidates = []
    labels = make_labels(frame, x, strategy)
    others = tuple(f for f in families if f != "linear")
    if others:
        candidates += fit.compare(x, labels, folds, families=others, seed=seed, progress=progress)
    candidates.sort(key=lambda c: c.cv_log_loss)
    chosen = candidates[0]
    progress("evaluating out of fold")
    out_of_fold = fit.cross_calibrated(chosen, labels, folds)
    evaluation = evaluate(frame, out_of_fold, seed=seed)
    progress("auditing the model for fairness")
    fairness = fairness_audit(frame, out_of_fold)
    judgement = judge(evaluation.metrics, fairness, settings=settings)
    progress(f"refitting {chosen.name} on every labelled row")
    model = fit.build_model(chosen, x, labels, bands=settings.risk_bands, seed=seed)
    progress("counting the training population and refitting on bootstrap resamples")
    attach_limits_and_intervals(model, frame, x, labels, seed=seed)
    info = {
        "profile": reference_profile(frame, model.probability(x)),
        "folds": FOLDS,
        "fairness_report": fairness.to_dict(),
        "fairness_gate": judgement.fairness.to_dict(),
    }
    return TrainResult(model, evaluation, judgement.gates, comparison, candidates, info=info)


def attach_limits_and_intervals(
    model: TriageModel, frame: pd.DataFrame, x: np.ndarray, labels: Labels, *, seed: int
) -> None:
    """Store with the model what its limits and intervals need: counts by cell, the training
    period (``models.limits``) and bootstrap refits (``training.intervals``)."""
    from models import interval, limits

    model.metadata[limits.METADATA_KEY] = limits.training_facts(frame, x, labels.rows)
    model.metadata[interval.METADATA_KEY] = intervals.bootstrap(model, x, labels, seed=seed)


def fairness_audit(frame: pd.DataFrame, probability: np.ndarray) -> Report:
    """Audit estimates by group (the model audit the fairness gate judges)."""
    from fairness import audit_contract

    return audit_contract(frame.assign(probability=probability), audits=["model"])


def train_file(
    path: Path,
    settings: Settings,
    *,
    families: tuple[Family, ...] = ("linear", "tree"),
    register: bool = True,
    progress: Progress = lambda _: None,
    on_promotion: PromotionHook | None = None,
) -> TrainResult:
    """Train on a contract file, log everything to MLflow and register a version.

    ``on_promotion`` is called with the event when the version becomes the champion (the
    command line connects the service's audit trail and model-trust record to it).
    """
    from data.io import read_contacts

    progress(f"reading {path}")
    frame = read_contacts(path)
    result = train_frame(frame, settings, families=families, progress=progress)
    data_info = {
        "path": str(path),
        "sha256": file_sha256(path),
        "rows": len(frame),
        "label_coverage": label_coverage(frame),
        "folds": FOLDS,
        # What the card says about inputs: census imports hold no concerns at contact.
        "no_concerns_share": float((frame["concerns"].fillna("") == "").mean()),
        "mean_surface_share": _mean_surface_share(result.model, frame, settings.seed),
    }
    if register:
        from models import registry
        from training.promotion import announce_registered

        previous = registry.champion_version(settings)
        progress("logging to MLflow and registering")
        log_and_register(result, frame, data_info, settings)
        if result.champion and on_promotion is not None:
            announce_registered(settings, str(result.version), previous, on_promotion)
    return result


def _mean_surface_share(model: TriageModel, frame: pd.DataFrame, seed: int) -> float:
    """Mean share of the estimate from surface features, on up to 2,000 training rows."""
    from models.assess import assess_frame

    sample = frame.sample(n=min(len(frame), 2000), random_state=seed)
    return float(assess_frame(model, sample[["contact_id", *MODEL_INPUTS]])["surface_share"].mean())


def log_and_register(
    result: TrainResult, frame: pd.DataFrame, data_info: dict[str, Any], settings: Settings
) -> None:
    """Log a trained result to MLflow, register it, and give it the alias if its gates pass."""
    import mlflow

    from models import registry
    from models.assess import assess_frame
    from training import plots

    experiment_id = registry.configure(settings)
    model, evaluation = result.model, result.evaluation
    with (
        mlflow.start_run(experiment_id=experiment_id) as run,
        tempfile.TemporaryDirectory() as tmp,
    ):
        work = Path(tmp)
        mlflow.log_params(registry.training_params(model, seed=settings.seed, data_info=data_info))
        mlflow.log_metrics(evaluation.flat())
        mlflow.log_metrics(_group_metrics(evaluation.groups))
        for row in result.label_comparison:
            for key, value in row.items():
                if isinstance(value, float) and np.isfinite(value):
                    mlflow.log_metric(f"labels.{row['strategy']}.{_metric_key(key)}", value)
        # For mypy: mlflow's hint says dict; log_dict writes any JSON value
        mlflow.log_dict(result.label_comparison, "label_comparison.json")  # type: ignore[arg-type]
        # For mypy: as above
        mlflow.log_dict(evaluation.groups, "metrics_by_group.json")  # type: ignore[arg-type]
        # For mypy: as above
        mlflow.log_dict([g.as_dict() for g in result.gates], "gates.json")  # type: ignore[arg-type]
        mlflow.log_dict(result.info["profile"], "reference_profile.json")
        mlflow.log_dict(result.info["fairness_report"], "fairness_model_audit.json")
        mlflow.log_dict(result.info["fairness_gate"], "fairness_gate.json")
        facts = model.metadata.get("training_facts")
        if facts is not None:
            mlflow.log_dict(facts.as_dict(), "training_facts.json")
        mlflow.log_dict(
            # For mypy: as above
            [{"name": c.name, "cv_log_loss": c.cv_log_loss} for c in result.candidates],  # type: ignore[arg-type]
            "candidates.json",
        )
        test_sample = frame.sample(n=min(len(frame), 2000), random_state=settings.seed)
        plots.save_calibration_plot(frame, model, work / "calibration.png")
        plots.save_shap_summary(model, test_sample, work / "shap_summary.png")
        mlflow.log_artifact(str(work / "calibration.png"))
        mlflow.log_artifact(str(work / "shap_summary.png"))
        example = frame[["contact_id", *MODEL_INPUTS]].head(5)
        logged = registry.log_model(
            model,
            example,
            assess_frame(model, example)[["contact_id", "probability", "band", "surface_share"]],
            work,
        )
        version = registry.register(settings, logged.model_uri)
        result.run_id, result.version = run.info.run_id, version
        registry.record_gates(settings, version, {g.name: g.passed for g in result.gates})
        card = _card(result, data_info, settings)
        mlflow.log_text(card, "model_card.md")
        registry.describe(settings, version, card)
        passed = result.passed
        if passed:
            registry.set_champion(settings, version)
        result.champion = passed


def _card(result: TrainResult, data_info: dict[str, Any], settings: Settings) -> str:
    from training.card import model_card

    return model_card(
        {
            "name": settings.model_name,
            "version": result.version,
            "data": data_info,
            "label_strategy": result.model.label_strategy,
            "family": result.model.family,
            "candidates": [
                {"name": c.name, "cv_log_loss": c.cv_log_loss} for c in result.candidates
            ],
            "calibration": result.model.calibration,
            "bands": result.model.bands,
            "metrics": result.evaluation.metrics,
            "groups": result.evaluation.groups,
            "gates": [g.as_dict() for g in result.gates],
            "fairness_notes": result.info["fairness_gate"].get("notes", []),
        }
    )


def _metric_key(key: str) -> str:
    return key.replace("[", ".").replace("]", "").replace("=", ".")


def _group_metrics(groups: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for g in groups:
        for key in ("mean_estimate", "auc_acted_on", "label_coverage", "truth_mean_ratio"):
            value = g.get(key)
            if isinstance(value, float) and np.isfinite(value):
                out[f"{key}.{g['attribute']}.{g['group']}"] = value
    return out
