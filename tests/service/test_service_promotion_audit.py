"""Every change of champion made at the command line is in the service's audit trail."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings, get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from service.audit.tables import AuditEvent
from service.db import open_database
from training.pipeline import train_file

runner = CliRunner()


def test_promote_and_rollback_are_audited(champion_home, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(champion_home, home)
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.delenv("TRIAGE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        path = tmp_path / "newer.csv"
        write_contacts(generate(GeneratorConfig(rows=3_000, seed=72)), path)
        assert train_file(path, Settings(home=home), families=("linear",)).champion
        rolled = runner.invoke(cli, ["models", "rollback"])
        assert rolled.exit_code == 0, rolled.output
        promoted = runner.invoke(cli, ["models", "promote", "2"])
        assert promoted.exit_code == 0, promoted.output
        db = open_database(get_settings())
        try:
            with db.read() as session:
                query = select(func.count()).where(AuditEvent.action == "model.champion_changed")
                assert session.scalar(query) == 2
        finally:
            db.dispose()
        assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    finally:
        get_settings.cache_clear()
