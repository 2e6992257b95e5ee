"""Service test fixtures: one small champion per session, a fresh database per test.

The ``backend`` parameter runs each API test on SQLite and on PostgreSQL. For PostgreSQL the
session starts a throwaway cluster wherever PostgreSQL's server binaries are installed
(postgres_cluster.py); ``TRIAGE_TEST_POSTGRES_URL`` (a superuser URL, e.g.
``postgresql+psycopg://postgres:triage@127.0.0.1:5432/postgres``) overrides it with a server of
your own. Each test creates its own database and drops it afterwards. With neither, the
PostgreSQL cases are skipped with one line saying how to get them; set but unreachable, or
installed but unable to start, they fail.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config.settings import Settings, get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from service.app import create_app
from service.auth.schemas import Caller, Role
from service.auth.service import add_user
from training.pipeline import train_file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette would rather its test client used httpx2
    from fastapi.testclient import TestClient

from postgres_cluster import SKIP_REASON, find_bin_dir, throwaway_cluster
from trust_records import trust_champion

POSTGRES_ENV = "TRIAGE_TEST_POSTGRES_URL"
USERS = {
    "worker": Role.DUTY_WORKER,
    "worker2": Role.DUTY_WORKER,
    "leader": Role.TEAM_LEADER,
    "leader2": Role.TEAM_LEADER,
    "data": Role.DATA_TEAM,
    "admin": Role.ADMIN,
}
# The teams of the duty workers and team leaders above: the fixtures' and the synthetic
# generator's teams. Tests of team scoping add users of one team each (tests/service/teams).
TEST_TEAMS = ("north", "south", "T1", "T2", "T3", "T4")


def teams_of(role: Role) -> tuple[str, ...]:
    """The teams a test user of ``role`` is added with (none for the unscoped roles)."""
    return TEST_TEAMS if role in (Role.DUTY_WORKER, Role.TEAM_LEADER) else ()


# Heavy substantive concerns, a previous child protection plan and many earlier contacts.
HIGH_RISK = {
    "concerns": ["3B", "16A", "17A", "18C", "19C", "11A"],
    "prior_contacts_12m": 5,
    "previous_cp_plan": True,
}


@pytest.fixture(scope="session")
def champion_home(tmp_path_factory) -> Path:
    """A TRIAGE_HOME whose registry holds one small linear champion (shared, read-only)."""
    home = tmp_path_factory.mktemp("champion-home")
    path = home / "data" / "train.csv"
    write_contacts(generate(GeneratorConfig(rows=3_000, seed=5)), path)
    result = train_file(path, Settings(home=home), families=("linear",))
    assert result.champion, "the small test model must pass its gates"
    return home


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The PostgreSQL superuser URL tests create databases through: TRIAGE_TEST_POSTGRES_URL's,
    else a throwaway cluster's for the session; skipped where there is neither (failed in CI)."""
    configured = os.environ.get(POSTGRES_ENV)
    if configured:
        yield configured
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):  # CI runs both databases (.ci/run installs PostgreSQL)
            pytest.fail(SKIP_REASON)
        pytest.skip(SKIP_REASON)
    with throwaway_cluster(bin_dir) as url:
        yield url


def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it."""
    name = f"triage_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The database backend of this test run."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_admin_url")  # started (or skipped) only when needed
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> Iterator[str]:
    """A fresh, empty database of the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
    else:
        yield from fresh_postgres_database(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def settings(champion_home, database_url, monkeypatch) -> Iterator[Settings]:
    """Settings (and environment) pointing at the shared champion and the fresh database,
    which holds the champion's trust record."""
    monkeypatch.setenv("TRIAGE_HOME", str(champion_home))
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    trust_champion(get_settings())
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def app(settings):
    """The service, built as `triage serve` builds it, its clock standing on the day the
    fixture contacts are received (2024-05-01), so decisions on them are in time unless a test
    moves the clock (``app.state.clock = FixedClock(day)``)."""
    from data.workdays import FixedClock

    built = create_app(settings)
    built.state.clock = FixedClock(date(2024, 5, 1))
    return built


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """A client of the started app (lifespan run: schema migrated, champion loaded)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def started() -> Callable[[Any], TestClient]:
    """Start another app under a test client: ``with started(app) as client: ...``."""
    return TestClient


@pytest.fixture
def auth_for() -> Callable[[Any, str], dict[str, str]]:
    """Headers of a new user of ``app`` with the role of ``USERS[name]``."""

    def make(app: Any, name: str) -> dict[str, str]:
        with app.state.db.write.begin() as session:
            role = USERS[name]
            token = add_user(
                session, name, role, by=Caller("cli:test", Role.ADMIN), teams=teams_of(role)
            )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def auth(app, client) -> dict[str, dict[str, str]]:
    """Authorization headers of one user per role (two duty workers, two team leaders)."""
    headers = {}
    for name, role in USERS.items():
        with app.state.db.write.begin() as session:
            token = add_user(
                session, name, role, by=Caller("cli:test", Role.ADMIN), teams=teams_of(role)
            )
        headers[name] = {"Authorization": f"Bearer {token}"}
    return headers


def contact_body(contact_id: str = "C-1", /, **changes: Any) -> dict[str, Any]:
    """A valid contact record with a few concerns."""
    body = {
        "contact_id": contact_id,
        "received_at": "2024-05-01T09:30:00+01:00",
        "child_age_years": 6,
        "referral_source": "2A",
        "concerns": ["4B"],
        "prior_contacts_12m": 0,
        "previous_cp_plan": False,
        "team_id": "north",
    }
    return {**body, **changes}


@pytest.fixture
def contact() -> Callable[..., dict[str, Any]]:
    """Build a valid contact record: ``contact("C-2", child_age_years=3)``."""
    return contact_body


@pytest.fixture
def high_risk() -> dict[str, Any]:
    """Field values that put a contact's substantive band at the top."""
    return dict(HIGH_RISK)


@pytest.fixture
def scored(client, auth, contact) -> Callable[..., dict[str, Any]]:
    """Score a contact as the duty worker and return its assessment."""

    def score(contact_id: str = "C-1", **changes: Any) -> dict[str, Any]:
        response = client.post(
            "/v1/contacts/score", json=contact(contact_id, **changes), headers=auth["worker"]
        )
        assert response.status_code == 200, response.text
        return response.json()

    return score


def generated_contact(row: Any) -> dict[str, Any]:
    """A row of a generated extract (``data.synthetic``) as the API's contact JSON."""
    return {
        "contact_id": row["contact_id"],
        "received_at": row["received_at"].isoformat(),
        "child_age_years": int(row["child_age_years"]),
        "referral_source": row["referral_source"],
        "concerns": [c for c in row["concerns"].split(";") if c],
        "prior_contacts_12m": int(row["prior_contacts_12m"]),
        "previous_cp_plan": bool(row["previous_cp_plan"]),
        "early_help_open": bool(row["early_help_open"]),
        "child_sex": row["child_sex"],
        "child_ethnicity": row["child_ethnicity"],
        "child_disability": row["child_disability"],
        "team_id": row["team_id"],
    }


@pytest.fixture
def as_contact() -> Callable[[Any], dict[str, Any]]:
    """Turn a generated row into the API's contact JSON: ``as_contact(row)``."""
    return generated_contact


class LimiterClock:
    """A wall clock the test moves by hand (the rate limiter reads ``time.time()``)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def limiter_clock(monkeypatch) -> LimiterClock:
    """Freeze the limiter's clock 10 s into a minute, so no window ends mid-test."""
    fake = LimiterClock(60 * 30_000_000 + 10.0)
    for module in ("limits.storage.memory", "limits.strategies", "service.security"):
        monkeypatch.setattr(f"{module}.time", fake)
    return fake
