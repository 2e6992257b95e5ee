"""The pages' signed session cookie: which server-side session it is, and the CSRF token
every form carries.

The cookie holds only a random session id (once signed in) and a random CSRF token, signed (not
encrypted) with ``TRIAGE_SECRET_KEY``. Each request looks the session up
(``service.auth.page_sessions``), so signing out, or revoking the user, ends it at once, for
every copy of the cookie; a session also ends after ``TRIAGE_SESSION_HOURS`` without a request
(the server keeps its last-seen time, and :class:`RefreshSessionMiddleware` re-signs the cookie
on every page answer so the browser keeps it while it is used). The cookie is HttpOnly and
SameSite=Strict (another site's link or form never carries it, so nobody can make a signed-in
browser open, and so audit as viewed, a contact from elsewhere), and Secure in production
whatever the Host, else unless the page is served on http://localhost (or as
``TRIAGE_COOKIE_SECURE`` says).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings

logger = logging.getLogger("triage.service")
COOKIE = "triage_session"
CSRF_FIELD = "csrf_token"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
SAME_SITE: Literal["strict"] = "strict"


def now() -> float:
    """Seconds since the epoch (replaced in tests to move time)."""
    return time.time()


class MissingSecretKey(RuntimeError):
    """Production without ``TRIAGE_SECRET_KEY``."""


@dataclass(frozen=True)
class PageSession:
    """What the cookie says: the CSRF token and, once signed in, the server-side session's id."""

    csrf: str
    sid: str | None = None


def secret_key(settings: Settings) -> str:
    """The signing key; a random one per process in development, none at all in production."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.environment == "production":
        raise MissingSecretKey("Set TRIAGE_SECRET_KEY: production refuses to sign sessions.")
    logger.warning("TRIAGE_SECRET_KEY is unset: page sign-ins last only as long as this process")
    return secrets.token_urlsafe(32)


def serializer(key: str) -> URLSafeTimedSerializer:
    """The signer of session cookies."""
    return URLSafeTimedSerializer(key, salt="triage.ui.session")


def load(request: Request) -> PageSession | None:
    """The request's valid session, or None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    settings: Settings = request.app.state.settings
    try:
        data = request.app.state.ui_signer.loads(raw, max_age=settings.session_hours * 3600)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    sid = data.get("sid")
    return PageSession(csrf=data["csrf"], sid=sid if isinstance(sid, str) else None)


def new(sid: str | None = None) -> PageSession:
    """A fresh cookie session with a new CSRF token."""
    return PageSession(csrf=secrets.token_urlsafe(32), sid=sid)


def save(request: Request, response: Response, session: PageSession) -> None:
    """Set the signed cookie on ``response``."""
    settings: Settings = request.app.state.settings
    value = request.app.state.ui_signer.dumps({"csrf": session.csrf, "sid": session.sid})
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(settings.session_hours * 3600),
        path="/ui",
        httponly=True,
        samesite=SAME_SITE,
        secure=secure(request, settings),
    )


def clear(request: Request, response: Response) -> None:
    """Remove the cookie."""
    response.delete_cookie(
        COOKIE,
        path="/ui",
        httponly=True,
        samesite=SAME_SITE,
        secure=secure(request, request.app.state.settings),
    )


def secure(request: Request, settings: Settings) -> bool:
    """Whether cookies are marked Secure: the setting, else in production, else not on localhost.

    Production is served over TLS, often behind a proxy that speaks plain HTTP to the service
    with any Host header, so there the request's scheme and Host are not evidence.
    """
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    if settings.environment == "production":
        return True
    return request.url.scheme == "https" or request.url.hostname not in LOOPBACK


def csrf_ok(session: PageSession | None, sent: object) -> bool:
    """Whether a form's CSRF token matches its session's."""
    if session is None or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(session.csrf.encode(), sent.encode())


class RefreshSessionMiddleware:
    """Re-sign a valid session cookie on each page answer, so it ends only after inactivity."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/ui") or path.startswith("/ui/static"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)

        async def send_refreshed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"set-cookie" for name, _ in headers):
                    page = load(request)
                    if page is not None:
                        fresh = Response()
                        save(request, fresh, page)
                        headers.extend(h for h in fresh.raw_headers if h[0] == b"set-cookie")
                        message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_refreshed)
