"""Per-request context: a request id, one access-log line, and the answer to unexpected errors.

The log line holds the method, the route's path template, the status, the duration and the
request id: never a body, a query string, a narrative, a note or a token. An unexpected error is
logged as its type and traceback (not its message, which may quote data) with the request id,
and answered 500 ``{"type": "internal_error"}`` naming only the request id.

:class:`BodyLimitMiddleware` caps request bodies (``TRIAGE_MAX_BODY_BYTES``), answering 413
``{"type": "too_large"}`` whether or not the client declared a Content-Length.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_body

logger = logging.getLogger("triage.service")
REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when it is a plain token, else a new one."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _ACCEPTED_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path template the request matches (``/v1/contacts/{contact_id}``), else "unmatched"."""
    app = scope.get("app")
    if app is None:
        return "unmatched"
    templates = getattr(app.state, "route_templates", None)
    if templates is None:
        templates = app.state.route_templates = _templates(app)
    return next((t for regex, t in templates if regex.match(scope["path"])), "unmatched")


def _templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """The documented paths as regexes, literal paths before those with parameters."""
    paths = sorted(app.openapi()["paths"], key=lambda path: (path.count("{"), path))
    return [(compile_path(path)[0], path) for path in paths]


class RequestContextMiddleware:
    """Give every request an id, echo it, log one line, and answer unexpected errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
                status["code"], status["sent"] = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the one catch-all: log without data, answer without internals
            _log_unexpected(exc, scope, request_id)
            if not status["sent"]:
                detail = f"An unexpected error occurred; quote request id {request_id}."
                response = JSONResponse(error_body("internal_error", detail), 500)
                await response(scope, receive, send_with_id)
        finally:
            logger.info(
                "%s %s %s %.1fms request_id=%s",
                scope["method"],
                route_template(scope),
                status["code"],
                (time.perf_counter() - started) * 1000,
                request_id,
            )


def _log_unexpected(exc: Exception, scope: Scope, request_id: str) -> None:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(
        "unexpected %s on %s %s request_id=%s\n%s",
        type(exc).__name__,
        scope["method"],
        route_template(scope),
        request_id,
        frames,
    )


class BodyTooLarge(HTTPException):
    """The request body passed the limit while it was being read (the app answers it 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is over the limit of {max_bytes} bytes.")


class BodyLimitMiddleware:
    """Answer 413 ``too_large`` to a body over ``max_bytes``, counting bytes as they arrive.

    A declared Content-Length over the limit is refused before reading; a chunked body (or one
    that lies about its length) is cut off as soon as its running total passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.too_large(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # raised where no exception handler caught it
            if not started:
                await self.too_large(scope, receive, send)

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The 413 answer, in the service's error shape."""
        detail = BodyTooLarge(self.max_bytes).detail
        await JSONResponse(error_body("too_large", detail), 413)(scope, receive, send)


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, if it sent a valid one."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
