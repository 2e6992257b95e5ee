"""Security headers on every answer, and the per-user rate limit of the /v1 routes.

The headers are chosen by path prefix from lists built once, so the middleware costs a prefix
test and a list copy per response. The pages load only their own files (no inline script or
style), so their Content-Security-Policy allows nothing but ``'self'``; the API answers are
data, so theirs allows nothing at all; only FastAPI's /docs and /redoc, which load Swagger UI and
ReDoc from a CDN with an inline script, get a looser one. Nothing may frame any page.

SQLAlchemy prints whole result rows (narratives, notes) when its engine logger is at DEBUG, and
``hide_parameters`` does not cover them: :func:`never_log_result_rows` drops those records
whatever level an operator sets.

The rate limit is counted in memory by the ``limits`` library, per user and per process: with N
workers a user may make N times the limit. A shared store (e.g. Redis) would count across
processes; the limit is against runaway clients and stolen tokens, not a billing quota.

Failed sign-ins (a bearer token that matches nobody on /v1, a wrong token at /ui/login) are
counted the same way by :class:`SigninThrottle`, per client address and per token prefix, in
this process's memory: past ``TRIAGE_SIGNIN_FAILURE_LIMIT`` the next attempt is answered 429
with ``Retry-After`` before the token is even looked up.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import RateLimiter as Strategy

Headers = tuple[tuple[bytes, bytes], ...]

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NO_STORE = {"Cache-Control": "no-store"}
HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI and ReDoc pages: a CDN bundle, an inline start-up script, injected styles.
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _encode(*parts: dict[str, str]) -> Headers:
    merged: dict[str, str] = {}
    for part in parts:
        merged |= part
    return tuple((name.lower().encode(), value.encode()) for name, value in merged.items())


def header_rules(*, hsts: bool) -> tuple[tuple[str, Headers], ...]:
    """The headers for each path prefix, first match wins (the last prefix, "", matches all)."""
    common = COMMON | (HSTS if hsts else {})
    return (
        # Static files hold no personal data: browsers may cache them.
        ("/ui/static/", _encode(common, {"Content-Security-Policy": PAGE_CSP})),
        ("/ui", _encode(common, NO_STORE, {"Content-Security-Policy": PAGE_CSP})),
        ("/docs", _encode(common, NO_STORE, {"Content-Security-Policy": DOCS_CSP})),
        ("/redoc", _encode(common, NO_STORE, {"Content-Security-Policy": DOCS_CSP})),
        ("", _encode(common, NO_STORE, {"Content-Security-Policy": API_CSP})),
    )


def wants_hsts(settings: Settings) -> bool:
    """Send Strict-Transport-Security in production or when cookies are forced Secure."""
    return settings.environment == "production" or settings.cookie_secure is True


class SecurityHeadersMiddleware:
    """Add the security headers of the request's path to every HTTP answer."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.rules = header_rules(hsts=hsts)

    def headers_for(self, path: str) -> Headers:
        """The headers added to an answer for ``path``."""
        return next(headers for prefix, headers in self.rules if path.startswith(prefix))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in extra if header[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class RateLimiter:
    """Requests per user within moving windows, counted in this process's memory."""

    limits: tuple[RateLimitItem, ...]
    strategy: Strategy
    description: str

    def retry_after(self, user: str) -> int | None:
        """Count one request by ``user``: None if allowed, else seconds until one would be."""
        for item in self.limits:
            if not self.strategy.hit(item, "v1", user):
                reset = self.strategy.get_window_stats(item, "v1", user).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None


PREFIX_CHARS = 8  # of a presented token: enough to group retries of one token, never the secret


@dataclass(frozen=True)
class SigninThrottle:
    """Failed sign-ins per client address and per token prefix, in this process's memory."""

    limit: RateLimitItem
    strategy: Strategy
    description: str

    @staticmethod
    def keys(address: str, token: str) -> tuple[tuple[str, str], ...]:
        """The counters a sign-in attempt falls under."""
        return (("address", address), ("prefix", token[:PREFIX_CHARS]))

    def retry_after(self, address: str, token: str) -> int | None:
        """None if this attempt may be checked, else seconds until one may."""
        for kind, value in self.keys(address, token):
            if not self.strategy.test(self.limit, "signin", kind, value):
                reset = self.strategy.get_window_stats(self.limit, "signin", kind, value)
                return max(1, math.ceil(reset.reset_time - time.time()))
        return None

    def failed(self, address: str, token: str) -> None:
        """Count one failed sign-in against the address and the token prefix."""
        for kind, value in self.keys(address, token):
            self.strategy.hit(self.limit, "signin", kind, value)


def signin_throttle(settings: Settings) -> SigninThrottle | None:
    """The throttle for ``settings.signin_failure_limit``, or None when it is turned off."""
    if not settings.signin_throttle_enabled:
        return None
    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import SlidingWindowCounterRateLimiter

    strategy = SlidingWindowCounterRateLimiter(MemoryStorage())
    limit = parse(settings.signin_failure_limit)
    return SigninThrottle(limit, strategy, settings.signin_failure_limit)


def rate_limiter(settings: Settings) -> RateLimiter | None:
    """The limiter for ``settings.rate_limit``, or None when it is turned off."""
    if not settings.rate_limit_enabled:
        return None
    from limits import parse_many
    from limits.storage import MemoryStorage
    from limits.strategies import SlidingWindowCounterRateLimiter

    # A sliding window counter: constant memory per user, and no double burst at a window edge.
    strategy = SlidingWindowCounterRateLimiter(MemoryStorage())
    return RateLimiter(tuple(parse_many(settings.rate_limit)), strategy, settings.rate_limit)


ENGINE_LOGGER = "sqlalchemy.engine.Engine"


class DropResultRows(logging.Filter):
    """Drop the SQLAlchemy engine's DEBUG records: they print result rows and columns whole."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def never_log_result_rows() -> None:
    """Install :class:`DropResultRows` on the engine logger once per process."""
    logger = logging.getLogger(ENGINE_LOGGER)
    if not any(isinstance(f, DropResultRows) for f in logger.filters):
        logger.addFilter(DropResultRows())
