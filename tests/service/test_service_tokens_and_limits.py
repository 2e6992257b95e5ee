"""Expiring and rotated tokens, throttled failed sign-ins, idle page sessions, body and note caps,
the Secure page cookie in production, and CSV exports safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings
from service.app import create_app
from service.auth import service as auth_service
from service.auth.schemas import Caller, Role
from service.auth.service import add_user, hash_token, token_holder
from service.auth.tables import User
from service.db import create_engine_for, utcnow
from service.migrate import upgrade_engine
from service.ui import session as page_session

runner = CliRunner()
ADMIN = Caller("cli:test", Role.ADMIN)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def later(monkeypatch):
    """Move the auth service's clock forward by a timedelta: ``later(timedelta(days=2))``."""
    start = utcnow()

    def move(by: timedelta) -> None:
        monkeypatch.setattr(auth_service, "utcnow", lambda: start + by)

    return move


def new_token(app, name: str, days: int = 90) -> str:
    with app.state.db.write.begin() as session:
        return add_user(
            session, name, Role.DUTY_WORKER, by=ADMIN, days=days, max_days=365, teams=["north"]
        )


# --- expiry and rotation ---------------------------------------------------------------------


def test_a_token_works_until_it_expires_then_gets_401_token_expired(app, client, later):
    token = new_token(app, "ada", days=1)
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    later(timedelta(hours=23))
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    later(timedelta(days=1, seconds=1))
    expired = client.get("/v1/me", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json() == {"type": "unauthorized", "detail": "token expired"}
    assert expired.headers["www-authenticate"] == "Bearer"


def test_an_expired_token_cannot_sign_in_to_the_pages(app, started, later):
    with started(app, base_url="http://localhost", follow_redirects=False) as browser:
        token = new_token(app, "ada", days=1)
        later(timedelta(days=2))
        csrf = CSRF.search(browser.get("/ui/login").text).group(1)
        response = browser.post("/ui/login", data={"csrf_token": csrf, "token": token})
        assert response.status_code == 401 and "expired" in response.text


def test_the_cli_gives_tokens_a_lifetime_capped_by_the_setting(app, client, monkeypatch, later):
    monkeypatch.setenv("TRIAGE_TOKEN_MAX_DAYS", "30")
    from config.settings import get_settings

    get_settings.cache_clear()

    def add_ada(days: int):
        add = ["users", "add", "ada", "--role", "duty_worker", "--team", "north"]
        return runner.invoke(cli, [*add, "--expires-in-days", str(days)])

    over = add_ada(31)
    assert over.exit_code == 2 and "--expires-in-days" in over.output
    made = add_ada(7)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    later(timedelta(days=6))
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    later(timedelta(days=7, minutes=1))
    assert client.get("/v1/me", headers=bearer(token)).json()["detail"] == "token expired"
    listed = runner.invoke(cli, ["users", "list"])
    assert "expires " in listed.stdout


def test_the_default_lifetime_is_90_days(app, client, later):
    made = runner.invoke(cli, ["users", "add", "ada", "--role", "duty_worker", "--team", "north"])
    token = made.stdout.strip().splitlines()[0]
    later(timedelta(days=89))
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    later(timedelta(days=90, minutes=1))
    assert client.get("/v1/me", headers=bearer(token)).status_code == 401


def test_rotation_without_overlap_stops_the_old_token_at_once(app, client):
    old = new_token(app, "ada")
    rotated = runner.invoke(cli, ["users", "rotate", "ada"])
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[0]
    assert new != old
    assert client.get("/v1/me", headers=bearer(new)).json()["name"] == "ada"
    refused = client.get("/v1/me", headers=bearer(old))
    assert refused.status_code == 401 and refused.json()["detail"] != "token expired"


def test_rotation_with_overlap_keeps_the_old_token_working_for_the_overlap(app, client, later):
    old = new_token(app, "ada")
    rotated = runner.invoke(
        cli, ["users", "rotate", "ada", "--overlap-hours", "2", "--expires-in-days", "30"]
    )
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[0]
    for token in (old, new):
        assert client.get("/v1/me", headers=bearer(token)).json()["name"] == "ada"
    later(timedelta(hours=2, seconds=1))
    expired = client.get("/v1/me", headers=bearer(old))
    assert expired.status_code == 401 and expired.json()["detail"] == "token expired"
    assert client.get("/v1/me", headers=bearer(new)).status_code == 200
    later(timedelta(days=30, seconds=1))
    assert client.get("/v1/me", headers=bearer(new)).json()["detail"] == "token expired"


def test_rotating_again_ends_the_first_overlap(app, client):
    first = new_token(app, "ada")
    runner.invoke(cli, ["users", "rotate", "ada", "--overlap-hours", "2"])
    runner.invoke(cli, ["users", "rotate", "ada", "--overlap-hours", "2"])
    assert client.get("/v1/me", headers=bearer(first)).status_code == 401


def test_rotating_an_unknown_or_revoked_user_fails(app, client):
    new_token(app, "ada")
    assert runner.invoke(cli, ["users", "revoke", "ada"]).exit_code == 0
    assert runner.invoke(cli, ["users", "rotate", "ada"]).exit_code != 0
    assert runner.invoke(cli, ["users", "rotate", "nobody"]).exit_code != 0


# --- failed sign-ins -------------------------------------------------------------------------


@pytest.fixture
def throttled(settings, limiter_clock):
    """An app allowing 3 failed sign-ins per 15 minutes per address and per token prefix."""
    return create_app(settings.model_copy(update={"signin_failure_limit": "3/15 minutes"}))


def test_failed_bearer_tokens_from_one_address_are_throttled(throttled, started, limiter_clock):
    with started(throttled, client=("10.0.0.1", 1000)) as client:
        good = new_token(throttled, "ada")
        for guess in ("aaaaaaaa1", "bbbbbbbb2", "cccccccc3"):
            assert client.get("/v1/me", headers=bearer(guess)).status_code == 401
        refused = client.get("/v1/me", headers=bearer(good))  # even a good token waits
        assert refused.status_code == 429
        assert refused.json()["type"] == "rate_limited"
        assert "failed sign-ins" in refused.json()["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 30 * 60
        # The running app from another address: a second client, not a second start-up (a
        # stopping app closes its database for good).
        elsewhere = started(throttled, client=("10.0.0.2", 1000))
        assert elsewhere.get("/v1/me", headers=bearer(good)).status_code == 200
        limiter_clock.now += 30 * 60
        assert client.get("/v1/me", headers=bearer(good)).status_code == 200


def test_failed_tries_of_one_token_prefix_are_throttled_across_addresses(throttled, started):
    with started(throttled) as client:
        good = new_token(throttled, "ada")
    stolen = good[:8] + "x" * 35
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        with started(throttled, client=(host, 1000)) as client:
            assert client.get("/v1/me", headers=bearer(stolen)).status_code == 401
    with started(throttled, client=("10.0.0.4", 1000)) as client:
        refused = client.get("/v1/me", headers=bearer(good))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        other = new_token(throttled, "bob")
        assert client.get("/v1/me", headers=bearer(other)).status_code == 200


def test_failed_page_sign_ins_are_throttled(throttled, started):
    with started(throttled, base_url="http://localhost", follow_redirects=False) as browser:
        good = new_token(throttled, "ada")
        csrf = CSRF.search(browser.get("/ui/login").text).group(1)
        for guess in ("aaaaaaaa1", "bbbbbbbb2", "cccccccc3"):
            wrong = browser.post("/ui/login", data={"csrf_token": csrf, "token": guess})
            assert wrong.status_code == 401
        refused = browser.post("/ui/login", data={"csrf_token": csrf, "token": good})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "too many failed sign-ins" in refused.text
        assert good not in refused.text


def test_the_throttle_is_set_by_environment_and_can_be_turned_off(settings, monkeypatch):
    monkeypatch.setenv("TRIAGE_SIGNIN_FAILURE_LIMIT", "5/minute")
    assert Settings().signin_failure_limit == "5/minute"
    monkeypatch.setenv("TRIAGE_SIGNIN_FAILURE_LIMIT", "often")
    with pytest.raises(ValueError, match="signin_failure_limit"):
        Settings()
    app = create_app(settings.model_copy(update={"signin_failure_limit": "off"}))
    assert app.state.signin_throttle is None


# --- page sessions ---------------------------------------------------------------------------


@pytest.fixture
def page_clock(monkeypatch):
    """The page session's clock, moved by hand (seconds from now)."""
    import time

    state = {"now": time.time()}
    monkeypatch.setattr(page_session, "now", lambda: state["now"])
    return state


def sign_in(browser, token: str) -> None:
    csrf = CSRF.search(browser.get("/ui/login").text).group(1)
    assert browser.post("/ui/login", data={"csrf_token": csrf, "token": token}).status_code == 303


def test_a_page_session_ends_after_the_idle_hours(app, started, page_clock, settings):
    with started(app, base_url="http://localhost", follow_redirects=False) as browser:
        sign_in(browser, new_token(app, "ada"))
        idle = settings.session_hours * 3600
        page_clock["now"] += idle - 60
        assert browser.get("/ui/contacts/new").status_code == 200  # used: last seen now
        page_clock["now"] += idle - 60  # long after sign-in, not long after last use
        assert browser.get("/ui/contacts/new").status_code == 200
        page_clock["now"] += idle + 1
        gone = browser.get("/ui/contacts/new")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/ui/login")


def test_the_page_cookie_is_secure_in_production_on_a_plain_http_host(
    champion_home, tmp_path, started
):
    production = Settings(
        home=champion_home,
        database_url=f"sqlite:///{tmp_path / 'production.db'}",
        environment="production",
        secret_key="kXo9P2mQ_7vR4sLwT1zYbN8cJ3eH6fGaU5iD0oKpMqA",
        audit_key="Vb3-another-vault-kept-audit-key-6Tz",
    )
    for host in ("http://localhost", "http://triage.internal"):
        with started(create_app(production), base_url=host) as client:
            cookie = client.get("/ui/login").headers["set-cookie"]
        assert "Secure" in cookie and "SameSite=strict" in cookie and "HttpOnly" in cookie


# --- bodies and notes ------------------------------------------------------------------------


@pytest.fixture
def small_bodies(settings):
    return create_app(settings.model_copy(update={"max_body_bytes": 4096}))


def test_an_oversized_body_gets_413_with_or_without_content_length(small_bodies, started):
    with started(small_bodies) as client:
        worker = bearer(new_token(small_bodies, "ada"))
        headers = {**worker, "Content-Type": "application/json"}
        declared = client.post("/v1/contacts/score", content=b" " * 5000, headers=headers)
        assert declared.status_code == 413
        assert declared.json()["type"] == "too_large" and "4096" in declared.json()["detail"]

        def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = client.post("/v1/contacts/score", content=chunks(), headers=headers)
        assert streamed.status_code == 413
        assert streamed.json()["type"] == "too_large"
        assert streamed.headers["x-request-id"]
        small = client.post("/v1/contacts/score", content=b"{}", headers=headers)
        assert small.status_code == 422  # under the limit: read and validated as usual


def test_the_default_body_limit_fits_a_full_batch_of_long_narratives(settings, contact):
    import json

    batch = {
        "contacts": [
            contact(f"C-{i:05d}", narrative="x" * 10_000) for i in range(settings.max_batch)
        ]
    }
    size = len(json.dumps(batch).encode())
    assert size < settings.max_body_bytes
    assert settings.max_body_bytes < 4 * size  # and not so far above it as to mean nothing


def test_a_note_over_the_cap_is_refused_naming_the_field(client, auth, scored):
    scored("C-1")
    url = "/v1/contacts/C-1/decision"
    long = {"decision": "nfa", "reasons": ["other"], "note": "x" * 100_001}
    refused = client.post(url, json=long, headers=auth["worker"])
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "note"]]
    fits = {"decision": "nfa", "reasons": ["other"], "note": "x" * 100_000}
    assert client.post(url, json=fits, headers=auth["worker"]).status_code == 200


def test_every_note_field_is_capped(app):
    schemas = app.openapi()["components"]["schemas"]
    notes = {
        (name, field): spec.get("maxLength")
        for name, schema in schemas.items()
        if name.endswith("In")
        for field, spec in schema.get("properties", {}).items()
        if field == "note" or field.endswith("_note")
    }
    # Decisions (note, late_note), review resolutions (note), completions (note, late_note).
    assert {
        ("DecisionIn", "note"),
        ("DecisionIn", "late_note"),
        ("ResolveIn", "note"),
        ("CompletionIn", "note"),
        ("CompletionIn", "late_note"),
    } <= set(notes)
    assert notes == dict.fromkeys(notes, 100_000)


def test_late_and_completion_notes_over_the_cap_are_refused_naming_the_field(
    app, client, auth, scored
):
    from data.workdays import FixedClock

    scored("C-1")
    app.state.clock = FixedClock(date(2024, 6, 3))  # the decision is now late
    url = "/v1/contacts/C-1/decision"
    late = {"decision": "assessment", "reasons": ["other"], "late_reasons": ["worker_absence"]}
    refused = client.post(url, json=late | {"late_note": "x" * 100_001}, headers=auth["worker"])
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "late_note"]]
    fits = late | {"late_note": "x" * 100_000}
    assert client.post(url, json=fits, headers=auth["worker"]).status_code == 200, fits

    completion = {"completed_on": "2024-06-03", "outcome": "nfa"}
    url = "/v1/contacts/C-1/assessment"
    for field in ("note", "late_note"):
        body = completion | {field: "x" * 100_001}
        refused = client.post(url, json=body, headers=auth["worker"])
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["detail"]] == [["body", field]]


# --- exports ---------------------------------------------------------------------------------


def test_the_csv_export_neutralises_formulas_and_parquet_keeps_text(
    app, client, auth, scored, tmp_path
):
    from service.auth.service import change_teams

    with app.state.db.write.begin() as session:  # the worker decides on these teams' contacts
        change_teams(session, "worker", ["@team", "\tnorth", "north"], by=ADMIN)
    scored("C-1", narrative="=cmd|' /C calc'!A0", team_id="@team")
    scored("C-2", narrative="-1+1", team_id="\tnorth")
    scored("C-3", narrative="plain words", team_id="north")
    for contact_id, note in (("C-1", "+SUM(A1)"), ("C-2", "\r=1"), ("C-3", "a - b = c")):
        decision = {"decision": "nfa", "reasons": ["other"], "note": note}
        response = client.post(
            f"/v1/contacts/{contact_id}/decision", json=decision, headers=auth["worker"]
        )
        assert response.status_code == 200, response.text

    out = tmp_path / "export.csv"
    result = runner.invoke(cli, ["export", "--out", str(out), "--with-free-text"])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = {row["contact_id"]: row for row in csv.DictReader(handle)}
    assert rows["C-1"]["narrative"] == "'=cmd|' /C calc'!A0"
    assert rows["C-1"]["team_id"] == "'@team"
    assert rows["C-1"]["decision_note"] == "'+SUM(A1)"
    assert rows["C-2"]["narrative"] == "'-1+1"
    assert rows["C-2"]["team_id"] == "'\tnorth"
    assert rows["C-2"]["decision_note"] == "'\r=1"
    assert rows["C-3"]["narrative"] == "plain words" and rows["C-3"]["team_id"] == "north"
    assert rows["C-3"]["decision_note"] == "a - b = c"

    parquet = tmp_path / "export.parquet"
    result = runner.invoke(cli, ["export", "--out", str(parquet), "--with-free-text"])
    assert result.exit_code == 0, result.output
    kept = pd.read_parquet(parquet).set_index("contact_id")
    assert kept.loc["C-1", "narrative"] == "=cmd|' /C calc'!A0"
    assert kept.loc["C-1", "team_id"] == "@team"


def test_every_text_column_of_the_contract_is_neutralised_in_a_csv(app, client, scored, tmp_path):
    from data.contract import FIELDS
    from data.io import write_contacts
    from service.exports.contract import contract_extract, spreadsheet_safe

    scored("C-1")
    with app.state.db.read() as session:
        frame = contract_extract(session, free_text=True)
    text_columns = [field.name for field in FIELDS if field.kind == "text"]
    # The timeliness columns are free text too, and every one starts like a formula here.
    assert {"late_note", "assessment_late_note", "decision_note", "narrative"} <= set(text_columns)
    for column in text_columns:
        frame[column] = pd.Series(["=HYPERLINK(1)"], dtype="string")
    out = tmp_path / "safe.csv"
    write_contacts(spreadsheet_safe(frame), out)
    with out.open(newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert {column: row[column] for column in text_columns} == dict.fromkeys(
        text_columns, "'=HYPERLINK(1)"
    )


def test_the_throttles_429_is_documented_even_without_a_rate_limit(settings):
    app = create_app(settings.model_copy(update={"rate_limit": "0"}))
    assert app.state.signin_throttle is not None
    for path, operations in app.openapi()["paths"].items():
        for operation in operations.values():
            assert ("429" in operation["responses"]) == path.startswith("/v1"), path


def test_tokens_from_before_expiry_end_90_days_after_the_upgrade(database_url, tmp_path):
    engine = create_engine_for(Settings(home=tmp_path, database_url=database_url))
    try:
        upgrade_engine(engine, "0500")  # the migration before expiry
        with engine.connect() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (name, role, token_hash, created_at) "
                    "VALUES ('ada', 'duty_worker', :digest, '2020-01-01 00:00:00')"
                ),
                {"digest": hash_token("old-token")},
            )
            connection.commit()
        upgrade_engine(engine)
        with engine.connect() as connection:
            assert token_holder(connection, "old-token") == ("ada", "duty_worker")
        with Session(engine) as session:
            ends = session.get(User, "ada").expires_at
        assert timedelta(days=89) < ends - utcnow() <= timedelta(days=90)
    finally:
        engine.dispose()
