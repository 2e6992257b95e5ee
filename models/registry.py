"""The model registry (MLflow): where versions live and which one is the ``champion``.

MLflow's tracking store and artifacts both live under ``TRIAGE_HOME`` by default (SQLite and a
folder), never in ``./mlruns`` of the working directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from config.settings import Settings
    from models.model import TriageModel

CHAMPION = "champion"
EXPERIMENT = "front-door-triage"
MODEL_ARTIFACT = "triage_model.joblib"


class NoChampionError(LookupError):
    """The registry has no version with the ``champion`` alias."""


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version, loaded for scoring."""

    name: str
    version: str
    run_id: str
    model: TriageModel


def configure(settings: Settings) -> str:
    """Point MLflow at the settings' store; create the experiment; return its id."""
    import logging
    import os

    import mlflow

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    settings.home.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.mlflow_uri)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return experiment.experiment_id
    if settings.mlflow_uri.startswith(("http://", "https://")):
        # A tracking server keeps the artifacts (``mlflow server --serve-artifacts``), so every
        # replica and the server's UI see the same models.
        return mlflow.create_experiment(EXPERIMENT)
    settings.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
    return mlflow.create_experiment(
        EXPERIMENT, artifact_location=settings.mlflow_artifacts.as_uri()
    )


def log_model(model: TriageModel, example: pd.DataFrame, output: pd.DataFrame, workdir: Path):
    """Log the fitted model to the active run as an MLflow pyfunc with its signature."""
    import warnings

    import joblib
    import mlflow
    from mlflow.models import infer_signature

    path = workdir / MODEL_ARTIFACT
    joblib.dump(model, path)
    with warnings.catch_warnings():
        # MLflow hints that integer columns cannot hold missing values: ours never do.
        warnings.simplefilter("ignore", UserWarning)
        signature = infer_signature(example, output)
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("mlflow_pyfunc.py")),
            artifacts={"triage_model": str(path)},
            signature=signature,
            input_example=example,
        )


def load_version(settings: Settings, *, version: str | None = None) -> LoadedModel:
    """Load a version of the settings' model (default: the ``champion``)."""
    import joblib
    import mlflow
    from mlflow.exceptions import MlflowException

    configure(settings)
    client = mlflow.MlflowClient()
    try:
        if version is None:
            found = client.get_model_version_by_alias(settings.model_name, CHAMPION)
        else:
            found = client.get_model_version(settings.model_name, version)
    except MlflowException as error:
        what = "no champion" if version is None else f"no version {version}"
        raise NoChampionError(
            f"The registry has {what} for {settings.model_name!r}: run `triage train`."
        ) from error
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.model_name}/{found.version}"
    )
    model_file = next(Path(local).rglob(MODEL_ARTIFACT))
    return LoadedModel(
        settings.model_name, str(found.version), found.run_id, joblib.load(model_file)
    )


def champion_version(settings: Settings) -> str | None:
    """The version the ``champion`` alias points at now (None without one); cheap to poll."""
    import mlflow
    from mlflow.exceptions import MlflowException

    configure(settings)
    try:
        found = mlflow.MlflowClient().get_model_version_by_alias(settings.model_name, CHAMPION)
    except MlflowException:
        return None
    return str(found.version)


def load_champion(settings: Settings | None = None) -> LoadedModel:
    """Load the version with the ``champion`` alias."""
    from config.settings import get_settings

    return load_version(settings or get_settings())
