"""Domain errors and the one place that maps every error to an HTTP answer.

Every error is JSON ``{"type": ..., "detail": ...}``. Validation errors (422) list each bad field
by location and never echo the value sent (it may be a narrative). Unexpected errors are
answered by :mod:`service.middleware` with a request id and no internals.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from data.lateness import LateReasonsError
from data.workdays import ReviewByError


class DomainError(Exception):
    """An error the API answers with its own status, type and detail."""

    status: int = 400
    type: str = "bad_request"

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class Unauthorized(DomainError):
    status, type = 401, "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status, type = 403, "forbidden"


class NotFound(DomainError):
    status, type = 404, "not_found"


class Conflict(DomainError):
    status, type = 409, "conflict"


class SeparationOfDuties(Conflict):
    """The person who made a decision tried to claim, take or resolve its review."""

    type = "separation_of_duties"


class TooManyRequests(DomainError):
    """The caller has used up their rate limit; ``Retry-After`` says when to try again."""

    status, type = 429, "rate_limited"

    def __init__(self, limit: str, retry_after: int) -> None:
        detail = f"Rate limit of {limit} per user reached; retry after {retry_after} s."
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class TooManyFailedSignIns(DomainError):
    """Too many failed sign-ins from this address or with this token's prefix."""

    status, type = 429, "rate_limited"

    def __init__(self, limit: str, retry_after: int) -> None:
        detail = f"Too many failed sign-ins ({limit}); retry after {retry_after} s."
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ModelUnavailable(DomainError):
    status, type = 503, "model_unavailable"


class ReportNotReady(DomainError):
    """No report is stored yet and computing one took longer than the time limit."""

    status, type = 503, "report_not_ready"

    def __init__(self, detail: str, retry_after: int = 30) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidField(DomainError):
    """A 422 found by a service rule, shaped like request validation errors."""

    status, type = 422, "validation_error"

    def __init__(self, loc: list[str | int], msg: str, kind: str = "value_error") -> None:
        super().__init__([{"loc": loc, "msg": msg, "type": kind}])


# The pure rules' errors that name one field of the body (docs/timeliness.md).
FIELD_RULE_ERRORS: tuple[type[ValueError], ...] = (ReviewByError, LateReasonsError)


def invalid_field(error: ValueError) -> InvalidField:
    """A pure rule's refusal (one of ``FIELD_RULE_ERRORS``, each naming its ``field``) as the
    service's 422, located at the body field it names."""
    return InvalidField(["body", getattr(error, "field", "body")], str(error))


HTTP_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


def error_body(kind: str, detail: Any) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"type": kind, "detail": detail}


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each validation error as location, message and type, never with the input value."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.type, exc.detail), exc.status, headers=exc.headers)


async def _field_rule(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FIELD_RULE_ERRORS)
    return await _domain(request, invalid_field(exc))


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(error_body("validation_error", field_errors(list(exc.errors()))), 422)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = HTTP_TYPES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(kind, exc.detail), exc.status_code, headers=exc.headers)


def register_error_handlers(app: FastAPI) -> None:
    """Map domain, validation and HTTP errors to JSON answers (the only place that does)."""
    app.add_exception_handler(DomainError, _domain)
    for rule_error in FIELD_RULE_ERRORS:
        app.add_exception_handler(rule_error, _field_rule)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
