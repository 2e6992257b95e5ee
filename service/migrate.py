"""Bring the service database's schema up to date with Alembic, from code (no alembic.ini).

Every command that opens the database calls :func:`upgrade` first, so a fresh ``TRIAGE_HOME``
needs no setup step. Concurrent upgrades (several workers starting at once) are serialised: by
``BEGIN IMMEDIATE`` on SQLite, by an advisory lock on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

    from config.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
# An arbitrary 64-bit key for pg_advisory_xact_lock, unique to this schema's migrations.
ADVISORY_LOCK_KEY = 0x7472696167650001


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Upgrade the engine's database to ``revision`` in one transaction."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade(settings: Settings) -> None:
    """Upgrade the settings' database to the latest schema."""
    from service.db import create_engine_for

    engine = create_engine_for(settings)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
