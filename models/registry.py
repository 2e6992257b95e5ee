"""The model registry (MLflow): where versions live and which one is the ``champion``.

MLflow's tracking store and artifacts both live under ``TRIAGE_HOME`` by default (SQLite and a
folder), never in ``./mlruns`` of the working directory.

This module is the one adapter to the registry: it alone builds an ``MlflowClient`` and spells
the names other code relies on (the ``champion`` alias, the ``gate.<name>`` and ``gates`` version
tags, the ``champion_history`` model tag, the ``data_<key>`` run parameters). Everyone else calls
its functions, so a name written is always the name read (docs/model.md, "Promotion policy").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from config.settings import Settings
    from models.model import TriageModel

CHAMPION = "champion"
EXPERIMENT = "front-door-triage"
MODEL_ARTIFACT = "triage_model.joblib"
# Version tags: one per gate (``gate.auc``: pass/fail), and every gate together (``gates``).
GATE_TAG_PREFIX = "gate."
GATES_TAG = "gates"
PASS, FAIL = "pass", "fail"
# The reason given for a promotion forced past failed gates (``triage models promote --force``).
FORCED_REASON_TAG = "forced_reason"
# Registered-model tag: every change of champion, a JSON list (training/promotion.py).
HISTORY_TAG = "champion_history"
# Run parameters: the model's family, and the training file's provenance as ``data_<key>``.
FAMILY_PARAM = "family"
DATA_PARAM_PREFIX = "data_"
DATA_SHA256_PARAM = f"{DATA_PARAM_PREFIX}sha256"


class NoChampionError(LookupError):
    """The registry has no version with the ``champion`` alias."""


class UnknownVersionError(LookupError):
    """The registry has no such version of the model."""


@dataclass(frozen=True)
class VersionRecord:
    """A registered version as the registry holds it: run, aliases and gate verdicts."""

    version: str
    run_id: str
    created_ms: int
    aliases: tuple[str, ...]
    gates: dict[str, bool]
    all_gates_passed: bool | None
    forced_reason: str | None


@dataclass(frozen=True)
class RunRecord:
    """What a version's training run logged that promotion reads back."""

    metrics: dict[str, float]
    family: str | None
    data_sha256: str | None


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


def log_model(
    model: TriageModel, example: pd.DataFrame, output: pd.DataFrame, workdir: Path
) -> Any:
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


@dataclass(frozen=True)
class ModelArtifact:
    """A version's model file as bytes, not yet unpickled: hash it before :func:`load_artifact`."""

    name: str
    version: str
    run_id: str
    data: bytes

    @property
    def sha256(self) -> str:
        """The SHA-256 of the file's bytes (hex)."""
        import hashlib

        return hashlib.sha256(self.data).hexdigest()


def fetch_artifact(settings: Settings, *, version: str | None = None) -> ModelArtifact:
    """Read a version's model file (default: the ``champion``'s) as bytes, without loading it."""
    import mlflow

    found = _find(_client(settings), settings, version)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.model_name}/{found.version}"
    )
    model_file = next(Path(local).rglob(MODEL_ARTIFACT))
    return ModelArtifact(
        settings.model_name, str(found.version), found.run_id, model_file.read_bytes()
    )


def load_artifact(artifact: ModelArtifact) -> LoadedModel:
    """Unpickle the very bytes that were fetched (and, in the service, hashed and checked)."""
    import io

    import joblib

    model = joblib.load(io.BytesIO(artifact.data))
    return LoadedModel(artifact.name, artifact.version, artifact.run_id, model)


def load_version(settings: Settings, *, version: str | None = None) -> LoadedModel:
    """Load a version of the settings' model (default: the ``champion``) without a trust check.

    For the command line (scoring, evaluation, monitoring); the service loads only through
    ``service.model_trust``.
    """
    return load_artifact(fetch_artifact(settings, version=version))


def champion_version(settings: Settings) -> str | None:
    """The version the ``champion`` alias points at now (None without one); cheap to poll."""
    import mlflow
    from mlflow.exceptions import MlflowException

    # The service polls this from a worker thread: a client bound to the settings' store leaves
    # MLflow's process-wide tracking URI alone, so a poll never redirects a run in progress.
    settings.home.mkdir(parents=True, exist_ok=True)
    uri = settings.mlflow_uri
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        found = client.get_model_version_by_alias(settings.model_name, CHAMPION)
    except MlflowException:
        return None
    return str(found.version)


def load_champion(settings: Settings | None = None) -> LoadedModel:
    """Load the version with the ``champion`` alias."""
    from config.settings import get_settings

    return load_version(settings or get_settings())


def _client(settings: Settings) -> Any:
    import mlflow

    configure(settings)
    return mlflow.MlflowClient()


def _find(client: Any, settings: Settings, version: str | None) -> Any:
    """The champion's (or a version's) MLflow record; NoChampionError when there is none."""
    from mlflow.exceptions import MlflowException

    try:
        if version is None:
            return client.get_model_version_by_alias(settings.model_name, CHAMPION)
        return client.get_model_version(settings.model_name, str(version))
    except MlflowException as error:
        what = "no champion" if version is None else f"no version {version}"
        raise NoChampionError(
            f"The registry has {what} for {settings.model_name!r}: run `triage train`."
        ) from error


def _record(found: Any, champion: str | None = None) -> VersionRecord:
    tags = dict(found.tags or {})
    aliases = set(found.aliases or ())
    if champion == str(found.version):
        aliases.add(CHAMPION)
    overall = tags.get(GATES_TAG)
    return VersionRecord(
        version=str(found.version),
        run_id=found.run_id,
        created_ms=int(found.creation_timestamp),
        aliases=tuple(sorted(aliases)),
        gates={
            k[len(GATE_TAG_PREFIX) :]: v == PASS
            for k, v in tags.items()
            if k.startswith(GATE_TAG_PREFIX)
        },
        all_gates_passed=None if overall is None else overall == PASS,
        forced_reason=tags.get(FORCED_REASON_TAG),
    )


# Writing a version's facts (training, retraining, promotion).


def training_params(
    model: TriageModel, *, seed: int, data_info: Mapping[str, Any]
) -> dict[str, Any]:
    """The run parameters logged with a trained model: its settings and its data's provenance."""
    from models.interval import replicates_of

    replicates = replicates_of(model)
    interval = (
        {}
        if replicates is None
        else {
            "interval_method": "bootstrap",
            "interval_replicates": replicates.count,
            "interval_level": replicates.level,
        }
    )
    return {
        "label_strategy": model.label_strategy,
        FAMILY_PARAM: model.family,
        **{f"param_{k}": v for k, v in model.metadata["params"].items()},
        "seed": seed,
        "risk_bands": model.bands,
        "calibration_a": model.calibration[0],
        "calibration_b": model.calibration[1],
        **{f"{DATA_PARAM_PREFIX}{k}": v for k, v in data_info.items()},
        **interval,
    }


def register(settings: Settings, model_uri: str) -> str:
    """Register a logged model as a new version of the settings' model; return the version."""
    import mlflow

    configure(settings)
    return str(mlflow.register_model(model_uri, settings.model_name).version)


def record_gates(settings: Settings, version: str, verdicts: Mapping[str, bool]) -> None:
    """Tag a version with each gate's verdict and with whether every gate passed."""
    client, name = _client(settings), settings.model_name
    for gate, passed in verdicts.items():
        verdict = PASS if passed else FAIL
        client.set_model_version_tag(name, version, GATE_TAG_PREFIX + gate, verdict)
    overall = PASS if all(verdicts.values()) else FAIL
    client.set_model_version_tag(name, version, GATES_TAG, overall)


def record_forced_reason(settings: Settings, version: str, reason: str) -> None:
    """Tag a version with the reason it was promoted past failed gates."""
    _client(settings).set_model_version_tag(settings.model_name, version, FORCED_REASON_TAG, reason)


def describe(settings: Settings, version: str, text: str) -> None:
    """Set a version's description (the registry shows its first 5,000 characters)."""
    _client(settings).update_model_version(settings.model_name, version, description=text[:5000])


def set_champion(settings: Settings, version: str) -> None:
    """Point the ``champion`` alias at a version."""
    _client(settings).set_registered_model_alias(settings.model_name, CHAMPION, str(version))


# Reading versions back (promotion, listing, monitoring).


def find_version(settings: Settings, version: str | None = None) -> VersionRecord:
    """The champion (or a given version); NoChampionError when there is none."""
    return _record(_find(_client(settings), settings, version))


def get_version(settings: Settings, version: str) -> VersionRecord:
    """A given version, with the champion alias if it has it; UnknownVersionError if none."""
    from mlflow.exceptions import MlflowException

    client = _client(settings)
    try:
        found = client.get_model_version(settings.model_name, str(version))
    except MlflowException as error:
        raise UnknownVersionError(f"{settings.model_name} has no version {version}") from error
    return _record(found)


def list_versions(settings: Settings) -> list[VersionRecord]:
    """Every registered version of the settings' model, oldest first."""
    client = _client(settings)
    model = _registered(client, settings.model_name)
    if model is None:
        return []
    champion = (model.aliases or {}).get(CHAMPION)
    champion = None if champion is None else str(champion)
    found = client.search_model_versions(f"name='{settings.model_name}'")
    ordered = sorted(found, key=lambda v: (int(v.creation_timestamp), int(v.version)))
    return [_record(v, champion) for v in ordered]


def read_run(settings: Settings, run_id: str, metrics: Sequence[str] = ()) -> RunRecord:
    """The named metrics, the family and the data hash a training run logged."""
    run = _client(settings).get_run(run_id)
    return RunRecord(
        metrics={k: run.data.metrics[k] for k in metrics if k in run.data.metrics},
        family=run.data.params.get(FAMILY_PARAM),
        data_sha256=run.data.params.get(DATA_SHA256_PARAM),
    )


def _registered(client: Any, name: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(name)
    except MlflowException:
        return None


# The champion's history (a tag on the registered model).


def is_registered(settings: Settings) -> bool:
    """True once the settings' model has been registered at least once."""
    return _registered(_client(settings), settings.model_name) is not None


def read_history(settings: Settings) -> list[dict[str, Any]]:
    """The recorded changes of champion, oldest first ([] before any)."""
    model = _registered(_client(settings), settings.model_name)
    if model is None:
        return []
    return json.loads((model.tags or {}).get(HISTORY_TAG, "[]"))


def save_history(settings: Settings, events: Sequence[Mapping[str, Any]]) -> None:
    """Store the changes of champion on the registered model."""
    _client(settings).set_registered_model_tag(
        settings.model_name, HISTORY_TAG, json.dumps(list(events))
    )


# Artifacts of a version's run (comparisons, monitoring summaries, the model card).


def log_run_dict(settings: Settings, run_id: str, data: Any, path: str) -> None:
    """Log a JSON artifact to a (finished) run."""
    _client(settings).log_dict(run_id, data, path)


def log_run_text(settings: Settings, run_id: str, text: str, path: str) -> None:
    """Log a text artifact to a (finished) run, replacing one at the same path."""
    _client(settings).log_text(run_id, text, path)


def run_artifacts(settings: Settings, run_id: str, folder: str) -> list[str]:
    """Paths of the artifacts in a folder of a run, sorted."""
    return sorted(f.path for f in _client(settings).list_artifacts(run_id, folder))


def load_run_dict(settings: Settings, run_id: str, path: str) -> Any:
    """A JSON artifact of a run."""
    import mlflow

    configure(settings)
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/{path}")


def load_run_text(settings: Settings, run_id: str, path: str) -> str:
    """A text artifact of a run."""
    import mlflow

    configure(settings)
    return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
