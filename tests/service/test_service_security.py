"""Security: hashed tokens, the per-user rate limit, headers, closed CORS, refused default
secrets, and logs without free text or identifiers (SECURITY.md)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import InsecureSettings, Settings, get_settings, insecure_settings
from service.app import create_app
from service.auth.tables import User
from service.security import API_CSP, PAGE_CSP, RateLimiter, SlidingWindow
from service.ui.session import MissingSecretKey

STRONG_KEY = "kXo9P2mQ_7vR4sLwT1zYbN8cJ3eH6fGaU5iD0oKpMqA"
STRONG_AUDIT_KEY = "Vb3-another-vault-kept-audit-key-6Tz"
PLACEHOLDERS = ["change-me", "CHANGE_ME", "changeme", "secret", "change-me-to-a-long-random-string"]
BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def limited(settings, limiter_clock):
    """An app that allows each user 3 requests a minute."""
    return create_app(settings.model_copy(update={"rate_limit": "3/minute"}))


# --- tokens ----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_compared_in_constant_time(app, client, auth, monkeypatch):
    compared, compare = [], hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr("service.auth.service.hmac.compare_digest", spy)
    token = auth["worker"]["Authorization"].removeprefix("Bearer ")
    assert client.get("/v1/me", headers=auth["worker"]).status_code == 200
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert compared == [(digest, digest)]
    with app.state.db.read() as session:
        stored = session.scalars(select(User.token_hash)).all()
    assert digest in stored and token not in stored


# --- rate limit ------------------------------------------------------------------------------


def test_a_user_over_the_rate_limit_gets_429_until_the_window_passes(
    limited, started, auth_for, limiter_clock
):
    with started(limited) as client:
        worker = auth_for(limited, "worker")
        answers = [client.get("/v1/me", headers=worker) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.json() == {
            "type": "rate_limited",
            "detail": refused.json()["detail"],
        }
        assert "3/minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 120
        assert refused.headers["x-request-id"]  # still a normal answer of the service
        limiter_clock.now += 120  # the window and the one before it have passed
        assert client.get("/v1/me", headers=worker).status_code == 200


def test_the_rate_limit_counts_per_user_after_authentication(limited, started, auth_for):
    with started(limited) as client:
        worker, leader = auth_for(limited, "worker"), auth_for(limited, "leader")
        for _ in range(3):
            client.get("/v1/me", headers=worker)
        assert client.get("/v1/me", headers=worker).status_code == 429
        assert client.get("/v1/reviews", headers=leader).status_code == 200  # another user
        # Without a valid token the answer stays 401, however often it is tried.
        for _ in range(5):
            assert client.get("/v1/me", headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_429_is_documented_on_every_v1_route(limited):
    paths = limited.openapi()["paths"]
    for path, operations in paths.items():
        for operation in operations.values():
            assert ("429" in operation["responses"]) == path.startswith("/v1"), path


def test_the_rate_limit_is_set_by_environment_and_can_be_turned_off(
    settings, started, auth_for, monkeypatch
):
    monkeypatch.setenv("TRIAGE_RATE_LIMIT", "100000/second")
    assert Settings().rate_limit == "100000/second"
    monkeypatch.setenv("TRIAGE_RATE_LIMIT", "lots")
    with pytest.raises(ValidationError, match="rate_limit"):
        Settings()
    monkeypatch.setenv("TRIAGE_RATE_LIMIT", "0")
    get_settings.cache_clear()
    app = create_app(get_settings())
    assert app.state.rate_limiter is None
    with started(app) as client:
        worker = auth_for(app, "worker")
        assert {client.get("/v1/me", headers=worker).status_code for _ in range(5)} == {200}


# --- headers and CORS ------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(client, auth):
    answers = {
        "api": client.get("/v1/me", headers=auth["worker"]),
        "401": client.get("/v1/me"),
        "404": client.get("/v1/nowhere", headers=auth["worker"]),
        "health": client.get("/health"),
        "page": client.get("/ui/login"),
        "static": client.get("/ui/static/app.css"),
        "docs": client.get("/docs"),
    }
    for name, answer in answers.items():
        for header, value in BASE_HEADERS.items():
            assert answer.headers.get(header) == value, (name, header)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], name
        assert "strict-transport-security" not in answer.headers, name  # development
    assert answers["api"].headers["content-security-policy"] == API_CSP
    assert answers["page"].headers["content-security-policy"] == PAGE_CSP
    assert answers["static"].headers["content-security-policy"] == PAGE_CSP
    for name in ("api", "401", "health", "page", "docs"):
        assert answers[name].headers["cache-control"] == "no-store", name
    assert "cache-control" not in answers["static"].headers  # no personal data: cacheable


def test_the_pages_load_only_their_own_scripts_and_styles(client):
    """The pages' CSP forbids inline script and style: the templates must use neither."""
    page = client.get("/ui/login").text
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    assert "script-src 'self';" in PAGE_CSP and "style-src 'self';" in PAGE_CSP


def test_production_answers_ask_browsers_for_https_only(champion_home, tmp_path, started):
    production = Settings(
        home=champion_home,
        database_url=f"sqlite:///{tmp_path / 'production.db'}",
        environment="production",
        secret_key=STRONG_KEY,
        audit_key=STRONG_AUDIT_KEY,
    )
    with started(create_app(production)) as client:
        hsts = client.get("/health").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")


def test_cors_is_closed_by_default(client, auth):
    origin = {"Origin": "https://evil.example"}
    preflight = client.options(
        "/v1/contacts/score",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 405
    simple = client.get("/v1/me", headers={**origin, **auth["worker"]})
    for answer in (preflight, simple):
        assert not any(h.startswith("access-control-") for h in answer.headers), answer.headers


def test_cors_opens_only_to_the_listed_origins(settings, started):
    app = create_app(settings.model_copy(update={"cors_origins": ["https://portal.example"]}))
    request = {"Access-Control-Request-Method": "POST"}
    with started(app) as client:
        allowed = client.options("/v1/me", headers={"Origin": "https://portal.example", **request})
        refused = client.options("/v1/me", headers={"Origin": "https://evil.example", **request})
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
    assert "access-control-allow-origin" not in refused.headers


# --- refusing default secrets ----------------------------------------------------------------


@pytest.mark.parametrize("key", [None, *PLACEHOLDERS, "x" * 40, "short-but-random-Q7"])
def test_production_refuses_to_start_with_a_default_secret(tmp_path, key):
    settings = Settings(
        home=tmp_path, environment="production", secret_key=key, audit_key=STRONG_AUDIT_KEY
    )
    [problem] = insecure_settings(settings)
    assert problem.startswith("TRIAGE_SECRET_KEY is ")
    with pytest.raises((InsecureSettings, MissingSecretKey), match="TRIAGE_SECRET_KEY"):
        create_app(settings)


def test_insecure_settings_name_each_problem_outside_development(tmp_path):
    risky = {
        "home": tmp_path,
        "secret_key": "change-me",
        "database_url": "postgresql+psycopg://triage:postgres@db:5432/triage",
        "mlflow_tracking_uri": "postgresql://mlflow:@db/mlflow",
        "cookie_secure": False,
        "cors_origins": ["*"],
    }
    assert insecure_settings(Settings(**risky)) == []  # development: anything goes
    for environment in ("test", "production"):
        problems = insecure_settings(Settings(environment=environment, **risky))
        assert [p.split()[0] for p in problems] == [
            "TRIAGE_SECRET_KEY",
            "TRIAGE_AUDIT_KEY",
            "TRIAGE_DATABASE_URL",
            "TRIAGE_MLFLOW_TRACKING_URI",
            "TRIAGE_COOKIE_SECURE",
            "TRIAGE_CORS_ORIGINS",
        ]
        assert "postgres@" not in " ".join(problems)  # the password is not repeated
    sound = Settings(
        home=tmp_path,
        environment="production",
        secret_key=STRONG_KEY,
        audit_key=STRONG_AUDIT_KEY,
        database_url="postgresql+psycopg://triage:uN7-long-Random@db:5432/triage",
        mlflow_tracking_uri="http://mlflow:5000",
        cors_origins=["https://portal.example"],
    )
    assert insecure_settings(sound) == []


def test_triage_serve_refuses_before_starting_the_server(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("uvicorn must not start")

    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.setenv("TRIAGE_HOME", str(tmp_path))
    monkeypatch.setenv("TRIAGE_ENVIRONMENT", "production")
    monkeypatch.setenv("TRIAGE_SECRET_KEY", "change-me")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "TRIAGE_SECRET_KEY" in result.output and "change-me" not in result.output
    assert not (tmp_path / "triage.db").exists()  # refused before touching the database


# --- logs ------------------------------------------------------------------------------------


@contextmanager
def every_logger_at_debug() -> Iterator[None]:
    """Set every logger that exists to DEBUG (caplog sets only the root), then restore them."""
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def test_a_full_scoring_and_decision_logs_no_free_text_tokens_or_identifiers(
    client, auth, contact, high_risk, caplog
):
    narrative = "Narrative-QX7: mum's new partner Zebedee shouted at the school gate."
    note = "Note-QX7: spoke to the health visitor, Zebedee is known to police."
    review_note = "Review-QX7: overturned after a call with the school nurse."
    contact_id = "C-QX7-80417"
    secrets = [narrative, note, review_note, contact_id, "Zebedee", "QX7"]
    secrets += [headers["Authorization"].removeprefix("Bearer ") for headers in auth.values()]

    with caplog.at_level(logging.DEBUG), every_logger_at_debug():
        body = contact(contact_id, narrative=narrative, **high_risk)
        scored = client.post("/v1/contacts/score", json=body, headers=auth["worker"])
        decision = {"decision": "nfa", "reasons": ["concerns_not_substantiated"], "note": note}
        decided = client.post(
            f"/v1/contacts/{contact_id}/decision", json=decision, headers=auth["worker"]
        )
        review_id = decided.json()["review_id"]
        client.get("/v1/reviews", headers=auth["leader"])
        resolved = client.post(
            f"/v1/reviews/{review_id}",
            json={"outcome": "overturned", "decision": "assessment", "note": review_note},
            headers=auth["leader"],
        )
        read = client.get(f"/v1/contacts/{contact_id}", headers=auth["worker"])
        client.get(f"/v1/contacts/{contact_id}", headers={"Authorization": "Bearer QX7-guess"})

    assert [scored.status_code, decided.status_code, resolved.status_code] == [200, 200, 200]
    assert read.json()["contact"]["narrative"] == narrative  # stored whole, as it was sent
    assert "POST /v1/contacts/score 200" in caplog.text  # the access lines are captured
    assert "GET /v1/contacts/{contact_id} 200" in caplog.text
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test's own HTTP client, which logs the URLs it calls
        logged = record.getMessage() + (record.exc_text or "") + str(record.__dict__)
        for secret in secrets:
            assert secret not in logged, (record.name, secret)


def test_the_sliding_window_weights_the_previous_window_by_its_overlap():
    window = SlidingWindow(limit=10, seconds=60.0)
    assert all(window.hit("sam", 30.0 + i) is None for i in range(10))
    assert window.hit("sam", 45.0) == pytest.approx(15.0)  # from the next window on
    assert window.hit("kim", 45.0) is None  # each key counts alone
    # 15 s into the next window the previous 10 weigh 7.5 (counted 7): three more, not four.
    assert [window.hit("sam", 75.0) for _ in range(3)] == [None, None, None]
    wait = window.hit("sam", 75.0)
    assert wait == pytest.approx(3.0)  # the previous window weighs 7 once 18 s of 60 are gone
    assert window.hit("sam", 75.0 + wait + 0.01) is None
    assert window.hit("sam", 200.0) is None  # a window later, nothing of before counts


def test_the_limiter_refuses_on_the_first_exhausted_limit_with_a_whole_second_wait(limiter_clock):
    limiter = RateLimiter((SlidingWindow(2, 1.0), SlidingWindow(100, 60.0)), "2/second")
    assert [limiter.retry_after("sam") for _ in range(3)] == [None, None, 1]
    assert limiter.retry_after("kim") is None
