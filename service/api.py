"""Wires the domain routers under ``/v1`` (and nothing else)."""

from __future__ import annotations

from fastapi import APIRouter

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

v1 = APIRouter(prefix="/v1")
v1.include_router(contacts_router)
v1.include_router(decisions_router)  # also under /contacts: a contact's decisions
v1.include_router(completions_router)  # also under /contacts: completing its assessment
v1.include_router(reviews_router)
v1.include_router(inbox_router)
v1.include_router(auth_router)
v1.include_router(audit_router)
v1.include_router(reports_router)
v1.include_router(outcomes_router)
v1.include_router(timeliness_router)
