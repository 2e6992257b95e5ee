"""The service loads a champion only as the service database recorded it at promotion."""

from __future__ import annotations

import logging
import pickle
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from models import registry
from service.app import create_app
from service.audit.service import verify
from service.audit.tables import AuditEvent
from service.model_trust.service import CHANGED, GATES_FAILED, NOT_RECORDED, refusal
from service.model_trust.tables import ModelTrust
from service.model_watch import refresh_champion
from training.pipeline import train_file

runner = CliRunner()


class TouchOnUnpickle:
    """Unpickling this runs code: it creates ``marker`` (what a hostile model file could do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def home(champion_home, database_url, tmp_path, monkeypatch):
    """A copy of the shared champion's home, its champion recorded in a fresh database."""
    from trust_records import trust_champion

    home = tmp_path / "home"
    shutil.copytree(champion_home, home)
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIAGE_MODEL_POLL_SECONDS", "0")  # the tests call the watch themselves
    get_settings.cache_clear()
    trust_champion(get_settings())
    yield get_settings()
    get_settings.cache_clear()


def train_version_2(settings, tmp_path, **options) -> None:
    path = tmp_path / "newer.csv"
    write_contacts(generate(GeneratorConfig(rows=3_000, seed=71)), path)
    assert train_file(path, settings, families=("linear",), **options).champion


def model_file(settings, version: str) -> Path:
    """The registry's stored model file of a version (a local file store)."""
    from urllib.parse import urlparse

    import mlflow

    uri = settings.mlflow_uri
    client = mlflow.MlflowClient(uri, uri)
    found = client.get_model_version(settings.model_name, version)
    logged = client.get_logged_model(found.source.rsplit("/", 1)[-1])  # models:/m-...
    return next(Path(urlparse(logged.artifact_location).path).rglob(registry.MODEL_ARTIFACT))


def trail(app) -> list[AuditEvent]:
    with app.state.db.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_a_model_file_changed_after_promotion_is_refused_and_never_unpickled(
    home, tmp_path, started, caplog
):
    from cli.models_cmd import audit_hook

    train_version_2(home, tmp_path, on_promotion=audit_hook())  # recorded as it is promoted
    marker = tmp_path / "unpickled"
    model_file(home, "2").write_bytes(pickle.dumps(TouchOnUnpickle(marker)))
    app = create_app(home)
    with started(app) as client:  # version 2 is refused at start-up too: nothing serves
        assert client.get("/health").status_code == 503
    registry.set_champion(home, "1")
    with started(app) as client:
        assert client.get("/health").json()["model"]["version"] == "1"
        registry.set_champion(home, "2")
        with caplog.at_level(logging.WARNING, logger="triage.service"):
            assert refresh_champion(app) is False
            assert refresh_champion(app) is False  # polled again: logged once
        assert client.get("/health").json()["model"]["version"] == "1"  # the old one serves
        refused = [e for e in trail(app) if e.action == "model.refused"]
        assert [e.entity_id for e in refused] == [f"{home.model_name}:2"]
        with app.state.db.read() as session:  # while the app's database is open
            assert verify(session).ok
    assert not marker.exists(), "the changed model file was unpickled"
    expected = CHANGED.format(model=home.model_name, version="2")
    refusals = [r.getMessage() for r in caplog.records if "not loading" in r.getMessage()]
    assert refusals == [f"not loading the champion (keeping version 1): {expected}"]


def test_an_unrecorded_champion_is_refused(home, tmp_path, started):
    app = create_app(home)
    with started(app) as client:
        train_version_2(home, tmp_path)  # registered as champion in MLflow, never recorded
        assert refresh_champion(app) is False
        assert client.get("/health").json()["model"]["version"] == "1"
        assert app.state.model_refused == (
            "2",
            NOT_RECORDED.format(model=home.model_name, version="2"),
        )
        recorded = runner.invoke(cli, ["models", "trust"])  # an operator records it
        assert recorded.exit_code == 0, recorded.output
        assert refresh_champion(app) is True
        assert client.get("/health").json()["model"]["version"] == "2"


def test_a_forced_promotion_with_a_reason_loads(home, tmp_path, started):
    train_version_2(home, tmp_path)
    registry.set_champion(home, "1")
    registry.record_gates(home, "2", {"auc": False})  # version 2 failed a gate
    app = create_app(home)
    with started(app) as client:
        refused = runner.invoke(cli, ["models", "promote", "2"])
        assert refused.exit_code == 1 and "failed its gates" in refused.output
        forced = runner.invoke(
            cli, ["models", "promote", "2", "--force", "--reason", "urgent fix agreed by the DPO"]
        )
        assert forced.exit_code == 0, forced.output
        assert refresh_champion(app) is True
        assert client.get("/health").json()["model"]["version"] == "2"
        with app.state.db.read() as session:  # while the app's database is open
            record = session.get(ModelTrust, (home.model_name, "2"))
        changed = [e for e in trail(app) if e.action == "model.champion_changed"]
    assert record.forced and not record.gates_passed
    assert record.reason.startswith("urgent fix agreed by the DPO")
    assert record.sha256 == registry.fetch_artifact(home, version="2").sha256
    assert changed[-1].entity_id == f"{home.model_name}:2"
    assert record.sha256 in changed[-1].details and '"forced":true' in changed[-1].details


def test_a_recorded_model_is_refused_when_its_gates_failed_unless_forced_with_a_reason():
    record = ModelTrust(sha256="a" * 64, gates_passed=False, forced=False, reason=None)
    names = {"model": "m", "version": "3"}
    assert refusal(record, "a" * 64, **names) == GATES_FAILED.format(**names)
    assert refusal(record, "b" * 64, **names) == CHANGED.format(**names)
    assert refusal(None, "a" * 64, **names) == NOT_RECORDED.format(**names)
    forced = ModelTrust(sha256="a" * 64, gates_passed=False, forced=True, reason="  ")
    assert refusal(forced, "a" * 64, **names) == GATES_FAILED.format(**names)
    forced.reason = "agreed"
    assert refusal(forced, "a" * 64, **names) is None
    passed = ModelTrust(sha256="a" * 64, gates_passed=True, forced=False, reason=None)
    assert refusal(passed, "a" * 64, **names) is None
