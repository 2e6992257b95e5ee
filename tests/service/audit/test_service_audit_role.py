"""The compose file's service role (docker/postgres-init.sql) may only INSERT and SELECT audit
entries once the migrations have run: checked on a real PostgreSQL with the init file's grants."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from config.settings import Settings
from service.audit.service import verify
from service.auth.schemas import Caller, Role
from service.auth.service import add_user
from service.db import open_database
from service.migrate import upgrade

INIT = Path(__file__).parents[3] / "docker" / "postgres-init.sql"


def grants(owner: str, role: str, database: str) -> list[str]:
    """The init file's GRANT and ALTER DEFAULT PRIVILEGES statements, for these names."""
    statements = re.findall(r"^(?:GRANT|ALTER DEFAULT)[^;]*;", INIT.read_text(), re.M)
    assert len(statements) == 4, statements
    return [
        s.replace("triage_service", role)
        .replace("FOR ROLE triage ", f'FOR ROLE "{owner}" ')
        .replace("DATABASE triage ", f'DATABASE "{database}" ')
        for s in statements
    ]


@pytest.fixture
def service_role(postgres_admin_url):
    """A fresh database migrated by its owner, and the URL of the service role in it."""
    admin_url = make_url(postgres_admin_url)
    name, role = f"triage_role_{uuid.uuid4().hex[:12]}", f"svc_{uuid.uuid4().hex[:8]}"
    password = "pw-9x"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        owner_url = admin_url.set(database=name).render_as_string(hide_password=False)
        inside = create_engine(owner_url, isolation_level="AUTOCOMMIT")
        try:
            with inside.connect() as connection:
                for statement in grants(admin_url.username, role, name):
                    connection.execute(text(statement))
        finally:
            inside.dispose()
        upgrade(Settings(database_url=owner_url))  # the migrate job, as the owner
        yield admin_url.set(database=name, username=role, password=password).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_the_service_role_appends_and_reads_but_never_changes_an_entry(service_role, tmp_path):
    db = open_database(Settings(home=tmp_path, database_url=service_role))
    try:
        with db.write.begin() as session:  # the service's ordinary work appends entries
            add_user(session, "ada", Role.ADMIN, by=Caller("cli:test", Role.ADMIN))
        for statement in (
            "UPDATE audit_events SET actor = 'someone'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ):
            with (
                pytest.raises(ProgrammingError, match="permission denied"),
                db.engine.begin() as connection,
            ):
                connection.execute(text(statement))
        with db.read() as session:
            assert verify(session).ok and verify(session).checked == 1
    finally:
        db.dispose()
