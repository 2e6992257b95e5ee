"""The schema comes from Alembic migrations, brought up to date by every command."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings
from service.contacts.tables import Contact, ContactRevision, StoredAssessment
from service.db import create_engine_for, open_database
from service.migrate import current_revision, upgrade, upgrade_engine
from service.tables import metadata

runner = CliRunner()
HEAD = "0810"  # the latest migration


def test_the_migrations_build_exactly_the_tables_of_the_code(database_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=database_url)
    upgrade(settings)
    upgrade(settings)  # a second upgrade is a no-op
    engine = create_engine_for(settings)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            assert connection.execute(text("SELECT seq FROM audit_head")).scalar_one() == 0
    finally:
        engine.dispose()


def test_concurrent_upgrades_of_a_fresh_database_all_succeed(database_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=database_url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: upgrade(settings), range(4)))
    engine = create_engine_for(settings)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_a_fresh_home_needs_no_setup_step(tmp_path, monkeypatch):
    home = tmp_path / "fresh"
    monkeypatch.setenv("TRIAGE_HOME", str(home))
    monkeypatch.delenv("TRIAGE_DATABASE_URL", raising=False)
    from config.settings import get_settings

    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["users", "add", "ada", "--role", "admin"])
        assert result.exit_code == 0, result.output
        assert (home / "triage.db").exists()
        db = open_database(get_settings())
        try:
            assert "users" in inspect(db.engine).get_table_names()
            with db.engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            assert mode == "wal"
        finally:
            db.dispose()
        assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    finally:
        get_settings.cache_clear()


def test_upgrade_engine_on_an_open_database_is_idempotent(tmp_path):
    db = open_database(Settings(home=tmp_path))
    try:
        upgrade_engine(db.engine)
        upgrade_engine(db.engine)
        assert current_revision(db.engine) == HEAD
    finally:
        db.dispose()


def test_upgrading_an_existing_store_keeps_its_data(tmp_path):
    settings = Settings(home=tmp_path)
    engine = create_engine_for(settings)
    try:
        upgrade_engine(engine, "0001")
        with engine.connect() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (name, role, token_hash, created_at) "
                    "VALUES ('ada', 'admin', 'x', '2026-01-01 00:00:00')"
                )
            )
            connection.commit()
    finally:
        engine.dispose()
    upgrade(settings)
    engine = create_engine_for(settings)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM users")).scalar_one() == "ada"
        assert "outcomes" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_contacts_stored_before_revisions_become_their_own_first_revision(database_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=database_url)
    engine = create_engine_for(settings)
    received, scored = datetime(2024, 5, 1, 8, 30, tzinfo=UTC), datetime(2024, 5, 1, 9, tzinfo=UTC)
    assessment = {"contact_id": "C-OLD", "risk": {"probability": 0.2, "band": 3, "bands": 10}}
    try:
        upgrade_engine(engine, "0300")
        with engine.begin() as connection:
            connection.execute(
                Contact.__table__.insert(),
                {"contact_id": "C-OLD", "body": "{}", "body_sha256": "a" * 64,
                 "received_at": received, "child_age_years": 4, "referral_source": "2A",
                 "team_id": "north", "created_by": "ada", "created_at": scored},
            )  # fmt: skip
            connection.execute(
                StoredAssessment.__table__.insert(),
                {"contact_id": "C-OLD", "model_name": "m", "model_version": "1",
                 "model_run_id": "r", "probability": 0.2, "band": 3, "bands": 10,
                 "surface_share": 0.1, "surface_flagged": False, "substantive_probability": 0.2,
                 "substantive_band": 3, "assessment": assessment, "assessed_at": scored},
            )  # fmt: skip
        upgrade_engine(engine)
        with engine.connect() as connection:
            [row] = connection.execute(ContactRevision.__table__.select()).mappings().all()
        assert (row["contact_id"], row["revision"], row["body_sha256"]) == ("C-OLD", 1, "a" * 64)
        assert row["assessment"] == assessment and row["received_at"] == received
        assert (row["model_version"], row["created_by"], row["created_at"]) == ("1", "ada", scored)
    finally:
        engine.dispose()
