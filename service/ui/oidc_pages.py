"""Signing in to the pages at the authority's OpenID provider (authorization code with PKCE).

``/ui/oidc/login`` keeps a pending sign-in (state, nonce, PKCE verifier, bound to this browser by
a random value in its own short-lived cookie) and sends the browser to the provider;
``/ui/oidc/callback`` takes that pending sign-in (once), trades the code for tokens, checks the ID
token, maps its claims to a role and teams, creates or updates the user and starts a server-side
page session. Every sign-in and refusal is audited; nothing of the tokens is logged.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.auth import oidc_users, page_sessions
from service.auth.claims import Refused, identity_from_claims
from service.auth.oidc import InvalidIdToken, OidcClient, ProviderUnavailable
from service.auth.schemas import Role
from service.db import Database
from service.deps import DatabaseDep, SettingsDep
from service.ui import session
from service.ui.router import HOME, PageError, public_url, safe_next, see_other, signed_in

logger = logging.getLogger("triage.service")
router = APIRouter(prefix="/ui/oidc", include_in_schema=False)
CALLBACK = "/ui/oidc/callback"
FAILED = "Sign-in failed"
TRY_AGAIN = "The sign-in could not be completed. Go to the sign-in page and try again."
UNAVAILABLE = "Your organisation's sign-in service could not be reached. Try again shortly."
# The page session cookie is SameSite=Strict, so the browser withholds it from the provider's
# redirect back (a request another site started). The pending sign-in is bound to this cookie
# instead: SameSite=Lax (sent with that top-level GET), only under /ui/oidc, for 10 minutes.
BINDING = "triage_oidc"
BINDING_SECONDS = 600


def client_of(request: Request) -> OidcClient:
    """The app's OpenID client, or a 404 page where OIDC is not set up."""
    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise PageError(404, "Page not found", "Sign-in with an organisation account is off.")
    return client


def redirect_uri(request: Request) -> str:
    """The callback URL registered at the provider."""
    return request.app.state.settings.oidc_redirect_uri or public_url(request, CALLBACK)


@router.get("/login")
def oidc_login(request: Request, db: DatabaseDep, next: str = "") -> Response:
    """Keep a pending sign-in for this browser and send it to the provider."""
    client = client_of(request)
    found = signed_in(request, db)
    if found is not None:
        # Already signed in: the usual case after the provider's redirect back, which the
        # Strict session cookie does not follow, so the first page may have said signed out.
        return see_other(safe_next(next) or HOME.get(Role(found[0].role), "/ui/login"))
    binding = secrets.token_urlsafe(32)
    with db.write.begin() as write:
        started = oidc_users.begin(write, browser=binding, next_path=safe_next(next))
    try:
        url = client.authorization_url(
            redirect_uri=redirect_uri(request),
            state=started.state,
            nonce=started.nonce,
            code_verifier=started.code_verifier,
        )
    except ProviderUnavailable as error:
        logger.warning("OpenID provider unavailable at sign-in: %s", error)
        raise PageError(503, FAILED, UNAVAILABLE) from error
    response = see_other(url)
    response.set_cookie(
        BINDING,
        binding,
        max_age=BINDING_SECONDS,
        path="/ui/oidc",
        httponly=True,
        samesite="lax",
        secure=session.secure(request, request.app.state.settings),
    )
    return response


@router.get("/callback")
def oidc_callback(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """Finish a sign-in: state once, code for tokens, the ID token checked, the user mapped."""
    client = client_of(request)
    query = request.query_params
    request_id = request.state.request_id
    # Without the binding cookie the state is still taken (and refused): used once, whoever.
    binding = request.cookies.get(BINDING, "")
    with db.write.begin() as write:
        pending = oidc_users.take(write, state=query.get("state", ""), browser=binding)
        if pending is not None:
            nonce, verifier, back = pending.nonce, pending.code_verifier, pending.next_path
        if pending is None:
            reason = "state_missing" if not query.get("state") else "state_unknown_or_used"
            page_sessions.refuse(write, None, method="oidc", reason=reason, request_id=request_id)
        elif query.get("error") or not query.get("code"):
            reason = f"provider:{query.get('error', 'no_code')}"[:64]
            page_sessions.refuse(write, None, method="oidc", reason=reason, request_id=request_id)
            pending = None
    if pending is None:
        raise PageError(400, FAILED, TRY_AGAIN)
    try:
        tokens = client.exchange(
            code=query["code"], redirect_uri=redirect_uri(request), code_verifier=verifier
        )
        claims = client.validate(
            tokens["id_token"], nonce=nonce, access_token=tokens.get("access_token")
        )
    except ProviderUnavailable as error:
        logger.warning("OpenID provider unavailable at callback: %s", error)
        raise PageError(503, FAILED, UNAVAILABLE) from error
    except InvalidIdToken as error:
        refuse(db, None, f"id_token:{error.reason}"[:64], request_id)
        raise PageError(401, FAILED, TRY_AGAIN) from error
    try:
        identity = identity_from_claims(
            claims,
            role_claim=settings.oidc_role_claim,
            role_map=settings.oidc_role_map,
            team_claim=settings.oidc_team_claim,
            name_claim=settings.oidc_name_claim,
        )
        with db.write.begin() as write:
            user = oidc_users.provision(
                write,
                identity,
                request_id=request_id,
                sync_teams=settings.oidc_team_claim is not None,
            )
            details = {"teams": list(identity.teams)}
            sid = page_sessions.start(
                write,
                user,
                method="oidc",
                request_id=request_id,
                id_token=tokens["id_token"],
                details=details,
            )
            role = Role(user.role)
    except Refused as refused:
        refuse(db, refused.name, refused.reason, request_id)
        return refused_page(request, refused, settings.oidc_access_contact)
    response = see_other(safe_next(back) or HOME.get(role, "/ui/login"))
    session.save(request, response, session.new(sid))
    response.delete_cookie(BINDING, path="/ui/oidc", httponly=True, samesite="lax")
    return response


def refuse(db: Database, name: str | None, reason: str, request_id: str | None) -> None:
    """Audit a refused sign-in in its own transaction."""
    with db.write.begin() as write:
        page_sessions.refuse(write, name, method="oidc", reason=reason, request_id=request_id)


def refused_page(request: Request, refused: Refused, contact: str) -> HTMLResponse:
    """The page for someone the provider knows but this service gives no role: whom to ask."""
    templates = request.app.state.ui_templates
    context: dict[str, Any] = {"caller": None, "csrf": "", "home": "/ui/login", "errors": {}}
    context |= {"name": refused.name, "message": refused.message, "contact": contact}
    return templates.TemplateResponse(request, "signin_refused.html", context, status_code=403)
