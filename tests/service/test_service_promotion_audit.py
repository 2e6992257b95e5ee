"""Every change of champion made at the command line is in the service's audit trail, with the
model file's SHA-256 recorded as the service will check it (SQLite, then PostgreSQL)."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings, get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from models import registry
from service.audit.tables import AuditEvent
from service.db import open_database
from service.model_trust.tables import ModelTrust
from training.pipeline import train_file

runner = CliRunner()


def test_promote_and_rollback_are_audited_and_recorded(
    champion_home, database_url, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    shutil.copytree(champion_home, home)
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        path = tmp_path / "newer.csv"
        write_contacts(generate(GeneratorConfig(rows=3_000, seed=72)), path)
        assert train_file(path, Settings(home=home), families=("linear",)).champion
        rolled = runner.invoke(cli, ["models", "rollback"])
        assert rolled.exit_code == 0, rolled.output
        promoted = runner.invoke(cli, ["models", "promote", "2"])
        assert promoted.exit_code == 0, promoted.output
        settings = get_settings()
        db = open_database(settings)
        try:
            with db.read() as session:
                query = select(func.count()).where(AuditEvent.action == "model.champion_changed")
                assert session.scalar(query) == 2
                for version in ("1", "2"):  # rolled back to 1, then promoted 2
                    record = session.get(ModelTrust, (settings.model_name, version))
                    fetched = registry.fetch_artifact(settings, version=version)
                    assert record is not None and record.gates_passed and not record.forced
                    assert record.sha256 == fetched.sha256
        finally:
            db.dispose()
        assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    finally:
        get_settings.cache_clear()
