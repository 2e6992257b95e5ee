"""The application factory: ``create_app()`` (uvicorn: ``service.app:create_app --factory``).

Nothing happens at import. The lifespan brings the database schema up to date, opens the
engine, and loads the registry's champion and the narrative check's sentence model once; routes
get them from ``app.state``. Without a champion the service still starts: ``/health`` and
scoring answer 503 until one is registered. A new champion is picked up without a restart
(``service.model_watch``). Without the sentence model, assessments say
``narrative_check.available: false`` and everything else works.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.concurrency import run_in_threadpool

from config.settings import Settings, get_settings, refuse_insecure
from data.workdays import SystemClock
from models.registry import LoadedModel
from service.db import Database
from service.reports.refresh import Refresher

if TYPE_CHECKING:
    from narrative import Reader

logger = logging.getLogger("triage.service")

DESCRIPTION = """\
Front-door triage decision support for children's social care: **a second opinion, never a
decision-maker**. Score a contact to get a calibrated risk estimate, its exact explanation and a
warning when it rests on surface features (age, who called); record the decision taken; team
leaders review the decisions the service flags.

Every `/v1` route needs `Authorization: Bearer <token>` (`triage users add NAME --role ROLE`).
Errors are `{"type": ..., "detail": ...}`; every response carries an `X-Request-ID`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    champion: LoadedModel | None = None,
    long_running: bool = False,
    narrative_reader: Reader | None = None,
) -> FastAPI:
    """Build the service; ``champion`` skips loading from the registry (embedding, tests), and
    ``narrative_reader`` loading the configured sentence model."""
    from service.api import include_v1
    from service.auth.lookups import TokenLookups
    from service.contacts.grouped import score_group
    from service.decisions.grouped import decision_group
    from service.errors import register_error_handlers
    from service.health import router as health_router
    from service.middleware import BodyLimitMiddleware, RequestContextMiddleware
    from service.reviews.service import QUEUE as REVIEW_QUEUE
    from service.security import (
        SecurityHeadersMiddleware,
        never_log_result_rows,
        provider_origin,
        rate_limiter,
        signin_throttle,
        wants_hsts,
    )
    from service.ui import install_ui

    settings = settings or get_settings()
    never_log_result_rows()
    app = FastAPI(
        title="triage",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan(settings, champion, long_running, narrative_reader),
        # No OpenTelemetry: the service keeps its own access log (service.middleware). Left
        # on, FastAPI asks the global providers whether they are set up on every request.
        telemetry=NO_TELEMETRY,
    )
    app.state.rate_limiter = rate_limiter(settings)
    app.state.signin_throttle = signin_throttle(settings)
    # The token checks of the requests that arrive together share one statement.
    app.state.token_lookups = TokenLookups()
    app.state.report_refresher = Refresher()  # report computations off the request path
    app.state.clock = SystemClock()  # the one "now" of every working-day clock
    # Decisions ask the review queue through this (reviews imports decisions, not back).
    app.state.review_queue = REVIEW_QUEUE
    # Scores and decisions of requests that arrive together share a transaction.
    app.state.score_group = score_group(settings)
    app.state.decision_group = decision_group(settings)
    app.include_router(health_router)
    limited = app.state.rate_limiter is not None or app.state.signin_throttle is not None
    include_v1(app, rate_limited_response() if limited else None)
    install_ui(app, settings)  # refuses a missing TRIAGE_SECRET_KEY in production
    refuse_insecure(settings)  # and any other default secret outside development
    register_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:  # closed unless origins are listed: no CORS headers at all
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(  # outermost
        SecurityHeadersMiddleware,
        hsts=wants_hsts(settings),
        sign_out_origin=provider_origin(settings),
    )
    return app


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def rate_limited_response() -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of the 429 that every /v1 route may answer."""
    from service.schemas import ErrorOut

    example = {"type": "rate_limited", "detail": "Rate limit of 600/minute per user reached; ..."}
    return {
        429: {
            "model": ErrorOut,
            "description": (
                "Too many requests by this user (TRIAGE_RATE_LIMIT), or too many failed sign-ins "
                "from this address or with this token (TRIAGE_SIGNIN_FAILURE_LIMIT)."
            ),
            "headers": {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            },
            "content": {"application/json": {"example": example}},
        }
    }


def serve_app() -> FastAPI:
    """The app as ``triage serve`` runs it, one per worker process (uvicorn's factory)."""
    return create_app(long_running=True)


def _lifespan(
    settings: Settings,
    champion: LoadedModel | None,
    long_running: bool,
    narrative_reader: Reader | None,
):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from service.db import open_database
        from service.migrate import upgrade_engine
        from service.model_watch import watch_champion

        db = open_database(settings, background_checkpoints=True)
        tasks: list[asyncio.Task[None]] = []
        try:
            upgrade_engine(db.engine)
            app.state.settings = settings
            app.state.db = db
            app.state.champion = champion or load_champion_or_none(settings, db)
            app.state.narrative = narrative_reader or await run_in_threadpool(
                load_narrative_reader, settings
            )
            if db.is_sqlite:
                tasks.append(asyncio.create_task(checkpoints(db)))
            if settings.model_poll_seconds > 0:
                tasks.append(asyncio.create_task(watch_champion(app, settings.model_poll_seconds)))
            if long_running:
                # What is alive now (libraries, the model) lives as long as the process: leave
                # it out of the garbage collector's full scans, which otherwise pause requests.
                gc.collect()
                gc.freeze()
            yield
        finally:
            # Wait for the background tasks to end before closing the pool: a task cancelled in
            # the middle of a checkpoint or a champion check ends only when its thread is done
            # with the database (a thread cannot be interrupted).
            try:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                # A report computation that outlasted its request still holds a connection.
                await run_in_threadpool(app.state.report_refresher.wait, SHUTDOWN_WAIT_SECONDS)
            finally:
                db.dispose()

    return lifespan


CHECKPOINT_SECONDS = 1.0
# How long shutdown waits for report computations still running before it closes the pool.
SHUTDOWN_WAIT_SECONDS = 30.0


async def checkpoints(db: Database) -> None:
    """Checkpoint SQLite's write-ahead log every second, in the thread pool (never on a request)."""
    while True:
        await asyncio.sleep(CHECKPOINT_SECONDS)
        try:
            await run_in_threadpool(db.checkpoint)
        except Exception as error:  # a failed checkpoint loses nothing: the log keeps the data
            logger.warning("WAL checkpoint failed: %s", type(error).__name__)


def load_narrative_reader(settings: Settings) -> Reader:
    """The narrative check's sentence model, once per process; unavailable (logged) if missing."""
    from narrative import load_reader

    reader = load_reader(settings)
    if reader.available:
        logger.info("loaded the narrative check's sentence model %s", reader.name)
    else:
        logger.warning("the narrative check is unavailable: %s", reader.reason)
    return reader


def load_champion_or_none(settings: Settings, db: Database) -> LoadedModel | None:
    """The registry's champion if the service database trusts it, or None (logged) when there
    is none or it is refused (``service.model_trust``)."""
    from models.registry import champion_version
    from service.model_trust.service import UntrustedModel, load_trusted

    version = champion_version(settings)
    if version is None:
        logger.warning(
            "starting without a model: %s has no champion yet (`triage train`)", settings.model_name
        )
        return None
    try:
        loaded = load_trusted(db, settings, version)
    except UntrustedModel as refused:
        logger.warning("starting without a model: %s", refused)
        return None
    logger.info("loaded %s version %s (run %s)", loaded.name, loaded.version, loaded.run_id)
    return loaded
