"""The pages' sessions are kept server-side: signing out ends every copy of the cookie, a
session ends after TRIAGE_SESSION_HOURS, and token sign-ins, refusals and sign-outs are audited."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.audit.tables import AuditEvent
from service.auth import page_sessions
from service.auth.tables import PageSessionRecord, User
from service.db import utcnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def token_sign_in(browser: TestClient, headers: dict[str, str]):
    token = headers["Authorization"].removeprefix("Bearer ")
    csrf = csrf_of(browser.get("/ui/login").text)
    return browser.post("/ui/login", data={"csrf_token": csrf, "token": token})


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A browser-like client of the started service (cookies kept, redirects not followed)."""
    with TestClient(app, base_url="http://localhost", follow_redirects=False) as started:
        yield started


def another_browser(app) -> TestClient:
    """A second browser of the already started service (no second start-up)."""
    return TestClient(app, base_url="http://localhost", follow_redirects=False)


def last_audit(app) -> tuple[str, str, dict]:
    with app.state.db.read() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        return event.action, event.entity_id, json.loads(event.details)


def test_signing_out_ends_a_copied_cookie_too(app, browser, auth_for):
    assert token_sign_in(browser, auth_for(app, "leader")).status_code == 303
    assert last_audit(app) == (
        "user.signed_in",
        "leader",
        {"method": "token", "role": "team_leader"},
    )
    copied = dict(browser.cookies)
    csrf = csrf_of(browser.get("/ui/reviews").text)
    response = browser.post("/ui/logout", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"
    assert last_audit(app) == ("user.signed_out", "leader", {"method": "token"})
    thief = another_browser(app)
    for name, value in copied.items():
        thief.cookies.set(name, value, domain="localhost", path="/ui")
    response = thief.get("/ui/reviews")
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_the_cookie_holds_no_user_name_and_the_store_no_session_id(app, browser, auth_for):
    token_sign_in(browser, auth_for(app, "worker"))
    payload = app.state.ui_signer.loads(browser.cookies["triage_session"])
    assert set(payload) == {"csrf", "sid"} and "worker" not in json.dumps(payload)
    with app.state.db.read() as session:
        record = session.scalars(select(PageSessionRecord)).one()
    assert record.user_name == "worker" and record.method == "token"
    assert record.id_hash == page_sessions.id_hash(payload["sid"]) != payload["sid"]


def test_a_wrong_token_is_refused_and_audited_without_the_token(app, browser):
    csrf = csrf_of(browser.get("/ui/login").text)
    response = browser.post("/ui/login", data={"csrf_token": csrf, "token": "not-a-token"})
    assert response.status_code == 401
    action, who, details = last_audit(app)
    assert (action, who) == ("user.sign_in_refused", "unknown")
    assert details == {"method": "token", "reason": "unknown_or_revoked_token"}


def test_a_session_ends_after_its_hours(app, browser, auth_for):
    auth_for(app, "worker")
    with app.state.db.write.begin() as session:
        user = session.get(User, "worker")
        sid = page_sessions.start(session, user, method="token", request_id=None)
    with app.state.db.read() as session:
        assert page_sessions.current(session, sid, hours=8) is not None
        later = utcnow() + timedelta(hours=8, minutes=1)
        assert page_sessions.current(session, sid, hours=8, now=later) is None
        assert page_sessions.current(session, "another-id", hours=8) is None
