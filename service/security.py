"""Security headers on every answer, and the per-user rate limit of the /v1 routes.

The headers are chosen by path prefix from lists built once, so the middleware costs a prefix
test and a list copy per response. The pages load only their own files (no inline script or
style), so their Content-Security-Policy allows nothing but ``'self'``; the API answers are
data, so theirs allows nothing at all; only FastAPI's /docs and /redoc, which load Swagger UI and
ReDoc from a CDN with an inline script, get a looser one. Nothing may frame any page.

SQLAlchemy prints whole result rows (narratives, notes) when its engine logger is at DEBUG, and
``hide_parameters`` does not cover them: :func:`never_log_result_rows` drops those records
whatever level an operator sets.

The rate limit is counted in memory, per user and per process: with N workers a user may make N
times the limit. A shared store (e.g. Redis) would count across processes; the limit is against
runaway clients and stolen tokens, not a billing quota. The ``limits`` library parses the setting;
the counting is :class:`SlidingWindow`'s own: the library's in-memory store starts a timer thread
whenever 10 ms have passed since its last one, and under steady traffic that thread start (which
waits for the new thread to run) cost about 7% of the event loop's time (py-spy, 2026-12-02).

Failed sign-ins (a bearer token that matches nobody on /v1, a wrong token at /ui/login) are
counted the same way by :class:`SigninThrottle`, per client address and per token prefix, in
this process's memory: past ``TRIAGE_SIGNIN_FAILURE_LIMIT`` the next attempt is answered 429
with ``Retry-After`` before the token is even looked up.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.settings import Settings

if TYPE_CHECKING:
    from limits import RateLimitItem

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


def header_rules(
    *, hsts: bool, sign_out_origin: str | None = None
) -> tuple[tuple[str, Headers], ...]:
    """The headers for each path prefix, first match wins (the last prefix, "", matches all).

    ``sign_out_origin``: the OpenID provider's origin, where the sign-out form's answer sends the
    browser to end the provider's session too (browsers apply form-action to that redirect).
    """
    common = COMMON | (HSTS if hsts else {})
    page_csp = PAGE_CSP
    if sign_out_origin:
        page_csp = PAGE_CSP.replace("form-action 'self'", f"form-action 'self' {sign_out_origin}")
    return (
        # Static files hold no personal data: browsers may cache them.
        ("/ui/static/", _encode(common, {"Content-Security-Policy": PAGE_CSP})),
        ("/ui", _encode(common, NO_STORE, {"Content-Security-Policy": page_csp})),
        ("/docs", _encode(common, NO_STORE, {"Content-Security-Policy": DOCS_CSP})),
        ("/redoc", _encode(common, NO_STORE, {"Content-Security-Policy": DOCS_CSP})),
        ("", _encode(common, NO_STORE, {"Content-Security-Policy": API_CSP})),
    )


def provider_origin(settings: Settings) -> str | None:
    """The OpenID provider's origin (scheme, host and port of its issuer), if one is set."""
    if not settings.oidc_issuer:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(settings.oidc_issuer)
    return f"{parts.scheme}://{parts.netloc}"


def wants_hsts(settings: Settings) -> bool:
    """Send Strict-Transport-Security in production or when cookies are forced Secure."""
    return settings.environment == "production" or settings.cookie_secure is True


class SecurityHeadersMiddleware:
    """Add the security headers of the request's path to every HTTP answer."""

    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, sign_out_origin: str | None = None
    ) -> None:
        self.app = app
        self.rules = header_rules(hsts=hsts, sign_out_origin=sign_out_origin)

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


@dataclass
class SlidingWindow:
    """At most ``limit`` requests per key in any ``seconds``, counted as a sliding window counter:
    this fixed window's count plus the previous window's, weighted by how much of it the sliding
    window still covers (the ``limits`` library's "sliding window counter" strategy)."""

    limit: int
    seconds: float
    # key -> (the fixed window's index, requests counted in it, requests in the one before)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def hit(self, key: str, now: float) -> float | None:
        """Count one request by ``key`` at ``now``: None if allowed, else seconds until one is."""
        return self._check(key, now, count=True)

    def wait(self, key: str, now: float) -> float | None:
        """Like :meth:`hit`, without counting: None if one more would be allowed."""
        return self._check(key, now, count=False)

    def _check(self, key: str, now: float, *, count: bool) -> float | None:
        window, into = divmod(now, self.seconds)
        index = int(window)
        last, current, previous = self.counts.get(key, (index, 0, 0))
        if last != index:
            current, previous = 0, current if last == index - 1 else 0
        elapsed = into / self.seconds  # the share of this fixed window gone by
        if math.floor(previous * (1 - elapsed)) + current + 1 <= self.limit:
            if count:
                self.counts[key] = (index, current + 1, previous)
            return None
        self.counts[key] = (index, current, previous)
        if current < self.limit:  # allowed once the previous window weighs less
            return (1 - (self.limit - current) / previous - elapsed) * self.seconds
        # Only in the next window, once this one's count, weighted, is below the limit.
        return (1 - elapsed + max(0.0, 1 - self.limit / current)) * self.seconds


@dataclass(frozen=True)
class RateLimiter:
    """Requests per user within sliding windows, counted in this process's memory.

    Used from the event loop only (the caller's dependency is ``async``), so it needs no lock.
    """

    windows: tuple[SlidingWindow, ...]
    description: str

    def retry_after(self, user: str) -> int | None:
        """Count one request by ``user``: None if allowed, else seconds until one would be."""
        now = time.time()
        for window in self.windows:
            wait = window.hit(user, now)
            if wait is not None:
                return max(1, math.ceil(wait))
        return None


PREFIX_CHARS = 8  # of a presented token: enough to group retries of one token, never the secret


@dataclass(frozen=True)
class SigninThrottle:
    """Failed sign-ins per client address and per token prefix, in this process's memory."""

    window: SlidingWindow
    description: str

    @staticmethod
    def keys(address: str, token: str) -> tuple[str, ...]:
        """The counters a sign-in attempt falls under."""
        return (f"address:{address}", f"prefix:{token[:PREFIX_CHARS]}")

    def retry_after(self, address: str, token: str) -> int | None:
        """None if this attempt may be checked, else seconds until one may."""
        now = time.time()
        for key in self.keys(address, token):
            wait = self.window.wait(key, now)
            if wait is not None:
                return max(1, math.ceil(wait))
        return None

    def failed(self, address: str, token: str) -> None:
        """Count one failed sign-in against the address and the token prefix."""
        now = time.time()
        for key in self.keys(address, token):
            self.window.hit(key, now)


def signin_throttle(settings: Settings) -> SigninThrottle | None:
    """The throttle for ``settings.signin_failure_limit``, or None when it is turned off."""
    if not settings.signin_throttle_enabled:
        return None
    from limits import parse

    item = parse(settings.signin_failure_limit)
    window = SlidingWindow(item.amount, float(item.get_expiry()))
    return SigninThrottle(window, settings.signin_failure_limit)


def rate_limiter(settings: Settings) -> RateLimiter | None:
    """The limiter for ``settings.rate_limit``, or None when it is turned off."""
    if not settings.rate_limit_enabled:
        return None
    from limits import parse_many

    items: list[RateLimitItem] = parse_many(settings.rate_limit)
    windows = tuple(SlidingWindow(item.amount, float(item.get_expiry())) for item in items)
    return RateLimiter(windows, settings.rate_limit)


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
