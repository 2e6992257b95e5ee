"""Dependencies the routers declare: settings, database sessions, the model, the caller.

Everything comes from ``app.state`` (built in the lifespan), so nothing is created per request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from config.settings import Settings
from data.workdays import Clock
from models.registry import LoadedModel
from narrative import Reader
from service.auth.schemas import Caller, Role
from service.db import Database
from service.decisions.service import ReviewQueue
from service.errors import (
    Forbidden,
    ModelUnavailable,
    TooManyFailedSignIns,
    TooManyRequests,
    Unauthorized,
)
from service.health import UNAVAILABLE_DETAIL

BEARER_DESCRIPTION = "A token from `triage users add NAME --role ROLE`."


# The dependencies that only read app.state are ``async``: FastAPI runs a plain ``def``
# dependency in its thread pool, and each such hop costs more than the work of a cheap route.


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db


def get_write_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if it raises.

    Services never commit (docs/architecture.md). The dependency's scope is the route function,
    so the commit happens before the response is sent and a failed commit is the route's error.
    """
    with request.app.state.db.write() as session:
        yield session  # an exception raised here leaves the session to roll back on close
        session.commit()


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for reads only (never blocks or waits for writers on SQLite)."""
    with request.app.state.db.read() as session:
        yield session


async def get_clock(request: Request) -> Clock:
    """Where "now" comes from (the system's clock; tests stand it on any day)."""
    return request.app.state.clock


async def get_review_queue(request: Request) -> ReviewQueue:
    """The review queue that decisions ask (wired by the app: ``reviews`` imports ``decisions``)."""
    return request.app.state.review_queue


async def get_model(request: Request) -> LoadedModel:
    """The champion loaded at start-up, or 503."""
    loaded = request.app.state.champion
    if loaded is None:
        raise ModelUnavailable(UNAVAILABLE_DETAIL)
    return loaded


async def get_narrative_reader(request: Request) -> Reader:
    """The narrative check's sentence model loaded at start-up (perhaps unavailable)."""
    return request.app.state.narrative


@dataclass(frozen=True)
class Scoring:
    """What scoring a contact needs from the app, as one dependency: the champion, the
    narrative check's reader, the database and the settings."""

    model: LoadedModel
    reader: Reader
    db: Database
    settings: Settings


async def get_scoring(request: Request) -> Scoring:
    """The champion (else 503) with the reader, database and settings.

    One dependency instead of four: FastAPI's solving of each dependency cost more than the
    work of these (py-spy, 2026-12-02)."""
    state = request.app.state
    return Scoring(await get_model(request), state.narrative, state.db, state.settings)


class BearerCaller(HTTPBearer):
    """The caller as a dependency: the active user holding the bearer token (else 401), within
    their rate limit (else 429) and, when ``roles`` are given, holding one of them (else 403).

    It is the bearer security scheme itself (the OpenAPI document names it ``HTTPBearer``, as
    before) rather than a dependency on one: FastAPI solves one dependency instead of two on
    every authenticated request (its solving cost more than the work, py-spy 2026-12-03)."""

    def __init__(self, roles: tuple[Role, ...] = ()) -> None:
        super().__init__(scheme_name="HTTPBearer", description=BEARER_DESCRIPTION, auto_error=False)
        self.roles = roles

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        caller = await authenticate(request, await super().__call__(request))
        if self.roles and caller.role not in self.roles:
            raise Forbidden(f"Role {caller.role.value} may not use this route.")
        return caller


get_caller = BearerCaller()


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Caller:
    """:class:`BearerCaller`'s work: who holds the token of ``credentials``."""
    if credentials is None:
        raise Unauthorized()
    token, address = credentials.credentials, client_address(request)
    throttle = request.app.state.signin_throttle
    if throttle is not None and (wait := throttle.retry_after(address, token)) is not None:
        raise TooManyFailedSignIns(throttle.description, wait)
    check = await request.app.state.token_lookups.check(request.app.state.db, token)
    if check.expired:
        raise Unauthorized(TOKEN_EXPIRED)
    if check.holder is None:
        if throttle is not None:
            throttle.failed(address, token)
        raise Unauthorized("The token is not valid or has been revoked.")
    name, role = check.holder
    teams = check.teams
    limiter = request.app.state.rate_limiter
    if limiter is not None and (wait := limiter.retry_after(name)) is not None:
        raise TooManyRequests(limiter.description, wait)
    return Caller(name, Role(role), request.state.request_id, teams)


TOKEN_EXPIRED = "token expired"


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: see SECURITY.md)."""
    return request.client.host if request.client is not None else "unknown"


CurrentUser = Annotated[Caller, Depends(get_caller)]


def require_roles(*roles: Role) -> BearerCaller:
    """A dependency admitting only callers with one of ``roles`` (else 403)."""
    return BearerCaller(roles)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
ModelDep = Annotated[LoadedModel, Depends(get_model)]
NarrativeDep = Annotated[Reader, Depends(get_narrative_reader)]
ScoringDep = Annotated[Scoring, Depends(get_scoring)]
ClockDep = Annotated[Clock, Depends(get_clock)]


ReviewQueueDep = Annotated[ReviewQueue, Depends(get_review_queue)]
# Who may use which routes (api.md): least privilege for data_team and admin.
Worker = Annotated[Caller, Depends(require_roles(Role.DUTY_WORKER, Role.TEAM_LEADER))]
Leader = Annotated[Caller, Depends(require_roles(Role.TEAM_LEADER))]
Admin = Annotated[Caller, Depends(require_roles(Role.ADMIN))]
