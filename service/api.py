"""Wires the domain routers under ``/v1`` (and nothing else)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from service.audit.router import router as audit_router
from service.auth.router import router as auth_router
from service.completions.router import router as completions_router
from service.contacts.router import router as contacts_router
from service.decisions.router import router as decisions_router
from service.inbox.router import router as inbox_router
from service.outcomes.router import router as outcomes_router
from service.reports.router import router as reports_router
from service.reviews.router import router as reviews_router
from service.timeliness.router import router as timeliness_router

V1 = "/v1"
# In the order their routes are matched and documented.
ROUTERS: tuple[APIRouter, ...] = (
    contacts_router,
    decisions_router,  # also under /contacts: a contact's decisions
    completions_router,  # also under /contacts: completing its assessment
    reviews_router,
    inbox_router,
    auth_router,
    audit_router,
    reports_router,
    outcomes_router,
    timeliness_router,
)


def include_v1(app: FastAPI, responses: dict[int | str, dict[str, Any]] | None = None) -> None:
    """Put every domain router under ``/v1``, each ``responses`` documented on all of them.

    Each is included in the app itself, not in a ``/v1`` router included in turn: FastAPI
    re-checks every included router's routes, with those of the routers it includes, on every
    request (py-spy, 2026-12-03: a few per cent of a scored contact), and one level is less."""
    for router in ROUTERS:
        app.include_router(router, prefix=V1, responses=responses)
