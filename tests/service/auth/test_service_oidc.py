"""OpenID Connect sign-in to the pages against a real provider (tests/oidc_provider): role and
team mapping, users created and updated, refusals audited, state used once and bound to the
browser, and ID tokens refused when tampered, expired, for another audience, issuer or nonce,
or signed by a key the provider does not publish.

The claims mapping itself is pure and tested without a provider.
"""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import RSAKey
from pydantic import ValidationError
from sqlalchemy import select

from config.settings import OIDC_INCOMPLETE, Settings, insecure_settings
from service.app import create_app
from service.audit.tables import AuditEvent
from service.auth.claims import Refused, identity_from_claims, role_of
from service.auth.oidc_users import claimed_teams
from service.auth.schemas import Caller, Role
from service.auth.service import add_user
from service.auth.tables import User
from service.auth.teams import user_teams

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from oidc_server import ROLE_MAP, Provider, running_provider, sign_in_at_provider
from trust_records import trust_champion

BASE = "http://localhost"
ADMIN = Caller("cli:test", Role.ADMIN)
# Expired ten minutes ago (beyond the one minute of leeway for clocks), issued an hour before.
EXPIRED = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200}
CSRF_FIELD = 'name="csrf_token" value="'


# --- the claims mapping (pure) ---------------------------------------------------------------


def identity(claims: dict[str, Any], **options: Any):
    base = {"iss": "https://idp", "sub": "s-1", "preferred_username": "amira"}
    settings = {"role_claim": "groups", "role_map": ROLE_MAP, "team_claim": "teams"}
    return identity_from_claims(
        {**base, **claims}, **{"name_claim": "preferred_username", **settings, **options}
    )


def test_groups_map_to_one_role_and_teams_are_kept():
    found = identity({"groups": ["g-other", "g-duty"], "teams": ["south", "north", "south"]})
    assert (found.name, found.role, found.teams) == ("amira", Role.DUTY_WORKER, ("north", "south"))
    assert (found.issuer, found.subject) == ("https://idp", "s-1")


def test_a_leader_in_the_duty_group_too_is_a_team_leader():
    assert role_of(("g-duty", "g-leaders"), ROLE_MAP) is Role.TEAM_LEADER


def test_one_group_as_a_string_counts():
    assert identity({"groups": "g-data"}).role is Role.DATA_TEAM


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ([], "no_mapped_role"),
        (["g-finance"], "no_mapped_role"),
        (["g-duty", "g-data"], "several_roles"),
    ],
)
def test_no_role_or_an_unclear_one_is_refused(groups, reason):
    with pytest.raises(Refused) as refused:
        identity({"groups": groups})
    assert refused.value.reason == reason and refused.value.name == "amira"


def test_without_a_team_claim_there_are_no_teams_and_odd_team_values_are_dropped():
    assert identity({"groups": ["g-duty"], "teams": ["north"]}, team_claim=None).teams == ()
    odd = identity({"groups": ["g-duty"], "teams": ["north", "<script>", "x" * 65, {"id": 7}]})
    assert odd.teams == ("north",)


def test_a_name_the_service_cannot_use_is_refused():
    with pytest.raises(Refused) as refused:
        identity({"groups": ["g-duty"], "preferred_username": "not a name!"})
    assert refused.value.reason == "no_name"


# --- settings --------------------------------------------------------------------------------


def test_an_issuer_without_client_or_role_map_is_refused(tmp_path):
    with pytest.raises(ValidationError, match=OIDC_INCOMPLETE):
        Settings(home=tmp_path, oidc_issuer="https://idp", oidc_client_id="triage")
    with pytest.raises(ValidationError, match="unknown roles"):
        Settings(home=tmp_path, oidc_role_map={"g": "superuser"})


def test_token_sign_in_is_off_with_oidc_unless_asked_for(tmp_path):
    oidc = {"oidc_issuer": "https://idp", "oidc_client_id": "c", "oidc_role_map": ROLE_MAP}
    assert Settings(home=tmp_path).token_signin_enabled
    assert not Settings(home=tmp_path, **oidc).token_signin_enabled
    assert Settings(home=tmp_path, page_token_signin=True, **oidc).token_signin_enabled


def test_production_refuses_a_plain_http_issuer(tmp_path):
    oidc = {"oidc_client_id": "c", "oidc_role_map": ROLE_MAP, "environment": "production"}
    problems = insecure_settings(Settings(home=tmp_path, oidc_issuer="http://idp", **oidc))
    assert any("TRIAGE_OIDC_ISSUER is not https" in p for p in problems)
    problems = insecure_settings(Settings(home=tmp_path, oidc_issuer="https://idp", **oidc))
    assert not any("OIDC" in p for p in problems)


# --- against the provider --------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[Provider]:
    """The real provider, with this module's service registered at http://localhost."""
    with running_provider(tmp_path_factory.mktemp("oidc"), [BASE]) as running:
        yield running


@pytest.fixture
def oidc_app(provider, champion_home, database_url):
    """The service with OIDC sign-in through the provider (token sign-in off)."""
    return create_app(
        Settings(home=champion_home, database_url=database_url, **provider.settings())
    )


@pytest.fixture
def browser(oidc_app) -> Iterator[TestClient]:
    """A browser-like client of the service (cookies kept, redirects not followed)."""
    with TestClient(oidc_app, base_url=BASE, follow_redirects=False) as client:
        yield client


def start_sign_in(browser: TestClient) -> str:
    """Press "Sign in with your organisation's account": the provider URL it sends us to."""
    response = browser.get("/ui/oidc/login")
    assert response.status_code == 303, response.text
    return response.headers["location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/ui/oidc/callback", url
    return f"{parts.path}?{parts.query}"


def sign_in(browser: TestClient, login: str):
    """A whole sign-in as ``login``: the service's answer to the provider's redirect back."""
    back = sign_in_at_provider(start_sign_in(browser), login)
    return browser.get(callback_path(back))


def audit_of(app) -> list[tuple[str, str, str, dict[str, Any]]]:
    with app.state.db.read() as session:
        found = session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
        return [(e.actor, e.action, e.entity_id, json.loads(e.details)) for e in found]


def user_of(app, name: str) -> User | None:
    with app.state.db.read() as session:
        return session.get(User, name)


def test_the_authorization_request_uses_pkce_state_and_nonce(browser, provider):
    url = start_sign_in(browser)
    assert url.startswith(f"{provider.issuer}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == [f"{BASE}/ui/oidc/callback"]
    assert start_sign_in(browser) != url  # a new state and nonce every time


def test_a_duty_worker_signs_in_and_is_created_with_role_and_team(browser, oidc_app):
    response = sign_in(browser, "amira")
    assert response.status_code == 303 and response.headers["location"] == "/ui/inbox"
    assert browser.get("/ui/inbox").status_code == 200
    assert browser.get("/ui/reviews").status_code == 403  # a duty worker's role, not more
    user = user_of(oidc_app, "amira")
    assert user is not None and user.role == "duty_worker"
    with oidc_app.state.db.read() as session:
        assert claimed_teams(session, "amira") == ["north"]
    actions = [(a[1], a[2]) for a in audit_of(oidc_app)]
    assert actions == [
        ("user.added", "amira"),
        ("user.teams", "amira"),
        ("user.signed_in", "amira"),
    ]
    signed_in = audit_of(oidc_app)[-1][3]
    assert signed_in == {"method": "oidc", "role": "duty_worker", "teams": ["north"]}


def test_a_team_leader_gets_the_leaders_role_and_both_teams(browser, oidc_app):
    assert sign_in(browser, "lee").status_code == 303
    assert browser.get("/ui/reviews").status_code == 200
    assert user_of(oidc_app, "lee").role == "team_leader"
    with oidc_app.state.db.read() as session:
        assert claimed_teams(session, "lee") == ["north", "south"]


def test_the_pending_sign_in_survives_the_strict_session_cookie(browser, oidc_app):
    # The provider's redirect back is started by another site: a browser sends it the Lax
    # binding cookie, never the Strict session cookie.
    started = browser.get("/ui/oidc/login")
    binding = started.headers["set-cookie"]
    assert binding.startswith("triage_oidc=") and "SameSite=lax" in binding
    assert "Path=/ui/oidc" in binding and "HttpOnly" in binding
    browser.cookies.delete("triage_session")
    back = sign_in_at_provider(started.headers["location"], "amira")
    assert browser.get(callback_path(back)).status_code == 303
    # Signed in, "Sign in with your organisation's account" goes straight on.
    again = browser.get("/ui/oidc/login?next=/ui/contacts/new")
    assert again.status_code == 303 and again.headers["location"] == "/ui/contacts/new"


def test_the_team_claim_scopes_what_an_oidc_user_sees(
    provider, champion_home, database_url, contact
):
    settings = Settings(home=champion_home, database_url=database_url, **provider.settings())
    trust_champion(settings)
    app = create_app(settings)
    with TestClient(app, base_url=BASE, follow_redirects=False) as browser:
        with app.state.db.write.begin() as session:
            token = add_user(session, "sam", Role.DUTY_WORKER, by=ADMIN, teams=["north", "south"])
        bearer = {"Authorization": f"Bearer {token}"}
        for contact_id, team in (("N-1", "north"), ("S-1", "south")):
            body = contact(contact_id, team_id=team)
            scored = browser.post("/v1/contacts/score", json=body, headers=bearer)
            assert scored.status_code == 200, scored.text
        assert sign_in(browser, "amira").status_code == 303  # the provider claims "north"
        with app.state.db.read() as session:
            assert user_teams(session, "amira") == {"north"}
        assert browser.get("/ui/contacts/N-1").status_code == 200
        assert browser.get("/ui/contacts/S-1").status_code == 404  # another team's contact


def test_an_existing_user_is_linked_and_their_role_follows_their_groups(browser, oidc_app):
    with oidc_app.state.db.write.begin() as session:
        add_user(session, "amira", Role.DATA_TEAM, by=Caller("cli:test", Role.ADMIN))
    assert sign_in(browser, "amira").status_code == 303
    assert user_of(oidc_app, "amira").role == "duty_worker"
    changed = [a for a in audit_of(oidc_app) if a[1] == "user.role_changed"]
    assert changed == [
        ("oidc:amira", "user.role_changed", "amira", {"from": "data_team", "to": "duty_worker"})
    ]


def test_a_revoked_user_is_refused(browser, oidc_app):
    sign_in(browser, "amira")
    browser.cookies.clear()
    with oidc_app.state.db.write.begin() as session:
        session.get(User, "amira").revoked_at = session.get(User, "amira").created_at
    response = sign_in(browser, "amira")
    assert response.status_code == 403 and "revoked" in response.text
    assert audit_of(oidc_app)[-1][1:3] == ("user.sign_in_refused", "amira")


def test_someone_without_a_mapped_group_is_refused_with_whom_to_ask(browser, oidc_app):
    response = sign_in(browser, "nobody")
    assert response.status_code == 403
    assert "You cannot use this service yet" in response.text
    assert "Ask your team leader or your IT service desk" in response.text
    assert user_of(oidc_app, "nobody") is None
    assert browser.get("/ui/inbox").status_code == 303  # still signed out
    refused = audit_of(oidc_app)[-1]
    assert refused[1:] == (
        "user.sign_in_refused",
        "nobody",
        {"method": "oidc", "reason": "no_mapped_role"},
    )


def test_a_used_state_cannot_be_replayed(browser, oidc_app):
    back = sign_in_at_provider(start_sign_in(browser), "amira")
    assert browser.get(callback_path(back)).status_code == 303
    again = browser.get(callback_path(back))
    assert again.status_code == 400 and "Sign-in failed" in again.text
    assert audit_of(oidc_app)[-1][3] == {"method": "oidc", "reason": "state_unknown_or_used"}


def test_a_callback_without_state_or_from_another_browser_is_refused(browser, oidc_app, provider):
    back = sign_in_at_provider(start_sign_in(browser), "amira")
    parts = urlsplit(back)
    code = parse_qs(parts.query)["code"][0]
    missing = browser.get(f"/ui/oidc/callback?code={code}")
    assert missing.status_code == 400
    assert audit_of(oidc_app)[-1][3] == {"method": "oidc", "reason": "state_missing"}
    other = TestClient(oidc_app, base_url=BASE, follow_redirects=False)  # same started app
    other.get("/ui/login")  # a session of its own, so the cookie exists but differs
    stolen = other.get(callback_path(back))
    assert stolen.status_code == 400
    assert other.get("/ui/inbox").status_code == 303
    # Taken once, the pending sign-in is gone for its own browser too.
    assert browser.get(callback_path(back)).status_code == 400
    assert user_of(oidc_app, "amira") is None


def test_the_provider_refusing_is_recorded(browser, oidc_app):
    url = start_sign_in(browser)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = browser.get(f"/ui/oidc/callback?state={state}&error=access_denied")
    assert response.status_code == 400
    assert audit_of(oidc_app)[-1][3] == {"method": "oidc", "reason": "provider:access_denied"}


def payload_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def tamper_tokens(monkeypatch, app, change) -> None:
    """Let the real code exchange happen, then hand ``change(id_token)`` to the checks."""
    client = app.state.oidc
    exchange = client.exchange

    def changed(**kwargs: Any) -> dict[str, Any]:
        tokens = exchange(**kwargs)
        return {**tokens, "id_token": change(tokens["id_token"])}

    monkeypatch.setattr(client, "exchange", changed)


def resigned(provider: Provider, key: RSAKey | None = None, **claims: Any):
    """The provider's real ID token with some claims changed, signed again."""

    def change(token: str) -> str:
        return provider.sign({**payload_of(token), **claims}, key)

    return change


def test_a_re_signed_token_with_the_same_claims_is_accepted(
    browser, oidc_app, provider, monkeypatch
):
    tamper_tokens(monkeypatch, oidc_app, resigned(provider))  # the control for those below
    assert sign_in(browser, "amira").status_code == 303


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "another-client"}, "id_token:invalid_claim:aud"),
        ({"iss": "https://impostor.example"}, "id_token:invalid_claim:iss"),
        ({"nonce": "a-nonce-from-another-sign-in"}, "id_token:invalid_claim:nonce"),
        (EXPIRED, "id_token:expired_token:exp"),
    ],
    ids=["wrong-audience", "wrong-issuer", "wrong-nonce", "expired"],
)
def test_an_id_token_with_a_wrong_claim_is_refused(
    browser, oidc_app, provider, monkeypatch, changes, reason
):
    tamper_tokens(monkeypatch, oidc_app, resigned(provider, **changes))
    response = sign_in(browser, "amira")
    assert response.status_code == 401 and "Sign-in failed" in response.text
    assert browser.get("/ui/inbox").status_code == 303
    assert audit_of(oidc_app)[-1][1:] == (
        "user.sign_in_refused",
        "unknown",
        {"method": "oidc", "reason": reason},
    )
    assert user_of(oidc_app, "amira") is None


def test_an_id_token_without_its_nonce_is_refused(browser, oidc_app, provider, monkeypatch):
    def drop_nonce(token: str) -> str:
        claims = payload_of(token)
        del claims["nonce"]
        return provider.sign(claims)

    tamper_tokens(monkeypatch, oidc_app, drop_nonce)
    assert sign_in(browser, "amira").status_code == 401
    assert audit_of(oidc_app)[-1][3]["reason"] == "id_token:nonce"


def flip_payload_byte(token: str) -> str:
    """Change the groups in the payload without re-signing (a tampered token)."""
    header, payload, signature = token.split(".")
    claims = payload_of(token) | {"groups": ["g-leaders"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert forged != payload
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("tamper", ["payload", "signature", "key"])
def test_a_tampered_id_token_is_refused(browser, oidc_app, provider, monkeypatch, tamper):
    if tamper == "payload":
        change = flip_payload_byte
    elif tamper == "signature":

        def change(token: str) -> str:
            head, sig = token.rsplit(".", 1)
            i = len(sig) // 2
            return f"{head}.{sig[:i]}{'A' if sig[i] != 'A' else 'B'}{sig[i + 1 :]}"

    else:  # signed by a key with the provider's key id that the provider does not publish
        other = RSAKey.generate_key(2048, {"kid": "test-signing-key"}, private=True)
        change = resigned(provider, key=other)
    tamper_tokens(monkeypatch, oidc_app, change)
    response = sign_in(browser, "amira")
    assert response.status_code == 401
    assert audit_of(oidc_app)[-1][3]["reason"] == "id_token:bad_signature"
    assert user_of(oidc_app, "amira") is None


def test_sign_out_ends_the_session_everywhere_and_at_the_provider(browser, oidc_app, provider):
    sign_in(browser, "amira")
    copied = dict(browser.cookies)
    page = browser.get("/ui/inbox")
    csrf = page.text.split(CSRF_FIELD, 1)[1].split('"', 1)[0]
    response = browser.post("/ui/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    end = urlsplit(response.headers["location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{provider.issuer}/session/end"
    query = parse_qs(end.query)
    assert query["post_logout_redirect_uri"] == [f"{BASE}/ui/login"]
    assert payload_of(query["id_token_hint"][0])["sub"] == "amira"
    thief = TestClient(oidc_app, base_url=BASE, follow_redirects=False)  # same started app
    for name, value in copied.items():
        thief.cookies.set(name, value, domain="localhost", path="/ui")
    assert thief.get("/ui/inbox").status_code == 303  # the copied cookie is dead too
    assert audit_of(oidc_app)[-1][1:] == ("user.signed_out", "amira", {"method": "oidc"})
    # The provider ends its own session on that URL (it asks the person to confirm).
    import httpx

    assert httpx.get(response.headers["location"]).status_code == 200


def test_token_sign_in_to_the_pages_is_off_with_oidc(browser, oidc_app):
    with oidc_app.state.db.write.begin() as session:
        token = add_user(session, "ada", Role.DUTY_WORKER, by=ADMIN, teams=["north"])
    page = browser.get("/ui/login")
    assert 'id="oidc-sign-in"' in page.text and 'name="token"' not in page.text
    # No token form is shown; a hand-made post with the session's own CSRF token is refused.
    csrf = oidc_app.state.ui_signer.loads(browser.cookies["triage_session"])["csrf"]
    refused = browser.post("/ui/login", data={"csrf_token": csrf, "token": token})
    assert refused.status_code == 403 and browser.get("/ui/inbox").status_code == 303
    assert audit_of(oidc_app)[-1][3] == {"method": "token", "reason": "token_signin_off"}


def test_token_sign_in_can_be_kept_beside_oidc(provider, champion_home, database_url):
    settings = Settings(
        home=champion_home,
        database_url=database_url,
        page_token_signin=True,
        **provider.settings(),
    )
    app = create_app(settings)
    with TestClient(app, base_url=BASE, follow_redirects=False) as browser:
        with app.state.db.write.begin() as session:
            token = add_user(session, "ada", Role.DUTY_WORKER, by=ADMIN, teams=["north"])
        page = browser.get("/ui/login")
        assert 'id="oidc-sign-in"' in page.text and 'name="token"' in page.text
        csrf = page.text.split(CSRF_FIELD, 1)[1].split('"', 1)[0]
        assert (
            browser.post("/ui/login", data={"csrf_token": csrf, "token": token}).status_code == 303
        )
        assert browser.get("/ui/inbox").status_code == 200
        assert audit_of(app)[-1][1:] == (  # while the app's database is open
            "user.signed_in",
            "ada",
            {"method": "token", "role": "duty_worker"},
        )


def test_the_pages_may_send_the_sign_out_form_on_to_the_provider(browser, provider):
    csp = browser.get("/ui/login").headers["content-security-policy"]
    assert f"form-action 'self' {provider.issuer};" in csp
