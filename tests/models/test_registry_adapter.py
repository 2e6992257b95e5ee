"""One adapter owns the registry: only it calls MLflow's client, and what it writes it reads."""

from __future__ import annotations

from pathlib import Path

import mlflow

from config.settings import Settings
from data.contract import MODEL_INPUTS
from models import registry
from models.assess import assess_frame

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "config", "data", "models", "training", "fairness", "service", "monitoring")
ADAPTER = ROOT / "models" / "registry.py"
# Spelled only in the adapter: the client, the calls that write names, and the names themselves.
REGISTRY_ONLY = (
    "MlflowClient",
    "set_model_version_tag",
    "set_registered_model_alias",
    "set_registered_model_tag",
    "get_model_version_by_alias",
    '"champion_history"',
    '"gate.',
    '"data_sha256"',
    'f"data_{',
)


def test_only_the_registry_adapter_calls_the_mlflow_client_or_spells_its_names():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ADAPTER:
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [
                f"{path.relative_to(ROOT)}: {word}" for word in REGISTRY_ONLY if word in text
            ]
    assert offenders == []
    assert "MlflowClient" in ADAPTER.read_text(encoding="utf-8")


def test_the_names_written_are_the_names_read(tmp_path, linear_model, contacts):
    settings = Settings(home=tmp_path / "home", model_name="triage-adapter-test")
    data_info = {"path": "train.csv", "sha256": "ab12", "rows": 6_000}
    example = contacts[["contact_id", *MODEL_INPUTS]].head(5)
    output = assess_frame(linear_model, example)[["contact_id", "probability", "band"]]
    experiment = registry.configure(settings)
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_params(registry.training_params(linear_model, seed=7, data_info=data_info))
        mlflow.log_metrics({"auc": 0.71, "calibration_error": 0.03})
        logged = registry.log_model(linear_model, example, output, tmp_path)
    first = registry.register(settings, logged.model_uri)
    second = registry.register(settings, logged.model_uri)
    assert (first, second) == ("1", "2")
    assert registry.champion_version(settings) is None

    registry.record_gates(settings, first, {"auc": True, "fairness": True})
    registry.record_gates(settings, second, {"auc": True, "vs_champion_auc": False})
    registry.set_champion(settings, first)
    registry.record_forced_reason(settings, second, "the old champion mislabels teenagers")
    events = [{"action": "promote", "version": "1", "at_ms": 5}]
    registry.save_history(settings, events)
    registry.log_run_dict(settings, run.info.run_id, {"seen": True}, "notes/check.json")

    listed = registry.list_versions(settings)
    assert [v.version for v in listed] == ["1", "2"]
    one, two = listed
    assert one.aliases == (registry.CHAMPION,) and two.aliases == ()
    assert one.gates == {"auc": True, "fairness": True} and one.all_gates_passed is True
    assert two.gates == {"auc": True, "vs_champion_auc": False}
    assert two.all_gates_passed is False
    assert two.forced_reason == "the old champion mislabels teenagers"
    assert one.forced_reason is None and one.run_id == run.info.run_id
    assert registry.find_version(settings).version == "1"
    assert registry.get_version(settings, "2") == registry.find_version(settings, "2")
    assert registry.champion_version(settings) == "1"
    assert registry.load_champion(settings).version == "1"
    assert registry.read_history(settings) == events
    ran = registry.read_run(settings, run.info.run_id, ("auc", "calibration_error", "rows"))
    assert ran.metrics == {"auc": 0.71, "calibration_error": 0.03}
    assert ran.family == linear_model.family and ran.data_sha256 == "ab12"
    assert registry.run_artifacts(settings, run.info.run_id, "notes") == ["notes/check.json"]
    assert registry.load_run_dict(settings, run.info.run_id, "notes/check.json") == {"seen": True}
