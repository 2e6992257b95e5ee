"""Where the registry's experiment keeps artifacts: under TRIAGE_HOME, or on a tracking server."""

from __future__ import annotations

import mlflow

from config.settings import Settings
from models import registry


def test_a_local_store_keeps_artifacts_under_triage_home(tmp_path):
    settings = Settings(home=tmp_path)
    experiment_id = registry.configure(settings)
    location = mlflow.get_experiment(experiment_id).artifact_location
    assert location == (tmp_path / "mlartifacts").resolve().as_uri()


def test_a_tracking_server_keeps_the_artifacts_itself(tmp_path, monkeypatch):
    created = {}

    def create_experiment(name, artifact_location=None, tags=None):
        created.update(name=name, artifact_location=artifact_location)
        return "1"

    monkeypatch.setattr(mlflow, "set_tracking_uri", lambda uri: created.update(uri=uri))
    monkeypatch.setattr(mlflow, "get_experiment_by_name", lambda name: None)
    monkeypatch.setattr(mlflow, "create_experiment", create_experiment)
    settings = Settings(home=tmp_path, mlflow_tracking_uri="http://mlflow:5000")
    assert registry.configure(settings) == "1"
    assert created == {
        "uri": "http://mlflow:5000",
        "name": registry.EXPERIMENT,
        "artifact_location": None,
    }
    assert not (tmp_path / "mlartifacts").exists()
