"""The stored-report stage: a store of many contacts, the report job, then the routes' latency.

The store is topped up to ``plan.report_contacts`` contacts, inserted in bulk with the service's
own row builders (canonical bodies, the champion's assessments, a duty worker's decision on
half), not through the API and without audit entries: the stage measures the reports, not
scoring. `triage reports record` then stores both reports, and a team leader reads each route
``plan.report_requests`` times, one request after another.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.bodies import DECISION_BODIES, contact_bodies, with_id
from benchmarks.paced import percentiles_ms
from benchmarks.plan import Plan
from benchmarks.server import triage

ROUTES = {"fairness": "/v1/fairness/report", "monitoring": "/v1/monitoring/report"}
SEED_CHUNK = 5_000
WARMUP_REQUESTS = 5
# Decisions without a review date, cycled over the seeded contacts that get one.
SEED_DECISIONS = [d for d in DECISION_BODIES if "review_by" not in d]

# The bench's contacts come from the synthetic generator: its user works in all of its teams.
SYNTHETIC_TEAMS = [arg for team in ("T1", "T2", "T3", "T4") for arg in ("--team", team)]


def seed_store(home: Path, plan: Plan) -> dict[str, Any]:
    """Top the bench store up to ``plan.report_contacts`` scored contacts; what was inserted."""
    from sqlalchemy import func, select

    from config.settings import Settings
    from models.registry import load_champion
    from service.contacts.tables import Contact
    from service.db import open_database

    settings = Settings(home=home, database_url=plan.database_url)
    db = open_database(settings)
    try:
        with db.read() as session:
            have = session.scalar(select(func.count()).select_from(Contact)) or 0
        missing = max(0, plan.report_contacts - have)
        began = time.perf_counter()
        if missing:
            loaded = load_champion(settings)
            prefix = f"r{int(time.time()):x}"
            bodies = contact_bodies(missing, seed=int(time.time()) % 10_000)
            for start in range(0, missing, SEED_CHUNK):
                chunk = bodies[start : start + SEED_CHUNK]
                _insert(db, loaded, settings, prefix, start, chunk)
                print(f"      {start + len(chunk):,} of {missing:,} contacts stored", flush=True)
        return {
            "contacts": have + missing,
            "inserted": missing,
            "seconds": round(time.perf_counter() - began, 1),
        }
    finally:
        db.dispose()


def _insert(db, loaded, settings, prefix: str, start: int, bodies: list[dict[str, Any]]) -> None:
    """Store one chunk of contacts, their assessments, and decisions on every other one."""
    from service.auth.schemas import Caller, Role
    from service.contacts.canonical import canonicalise
    from service.contacts.schemas import ContactIn
    from service.contacts.service import assess_contacts, assessment_row, contact_row
    from service.contacts.tables import Contact, StoredAssessment
    from service.db import utcnow
    from service.decisions.tables import DecisionRecord

    by = Caller("bench", Role.DUTY_WORKER)
    items = [
        canonicalise(ContactIn.model_validate(with_id(f"{prefix}-{start + i}", body)))
        for i, body in enumerate(bodies)
    ]
    assessed = assess_contacts(loaded, items, settings)
    now = utcnow()
    decisions = [
        {
            "id": str(uuid.uuid4()),
            "contact_id": item.contact_id,
            "decision": d["decision"],
            "reasons": d["reasons"],
            "note": d["note"],
            "review_by": None,
            "decided_by": "bench",
            "decided_at": now,
            "flags": [],
            "source": "worker",
        }
        for i, item in enumerate(items)
        if i % 2 == 0
        for d in [SEED_DECISIONS[(start + i) % len(SEED_DECISIONS)]]
    ]
    with db.engine.begin() as connection:
        connection.execute(
            Contact.__table__.insert(), [contact_row(item, by, now) for item in items]
        )
        connection.execute(
            StoredAssessment.__table__.insert(), [assessment_row(a, now) for a in assessed]
        )
        connection.execute(DecisionRecord.__table__.insert(), decisions)


def measure_reports(base: str, env: dict[str, str], plan: Plan, log: Path) -> dict[str, Any]:
    """`triage reports record`, then each route's latency as a team leader reads it."""
    name = f"bench-leader-{int(time.time())}"
    token = (
        triage(["users", "add", name, "--role", "team_leader", *SYNTHETIC_TEAMS], env, log)
        .strip()
        .splitlines()
    )
    began = time.perf_counter()
    output = triage(["reports", "record"], env, log)
    figures: dict[str, Any] = {"job_seconds": round(time.perf_counter() - began, 1)}
    for line in output.splitlines():
        print(f"      {line.strip()}", flush=True)
    return {**figures, **time_routes(base, token[-1], plan.report_requests)}


def time_routes(base: str, token: str, requests: int) -> dict[str, Any]:
    """Each stored-report route read ``requests`` times, one after another: its latency."""
    import httpx

    figures: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for kind, route in ROUTES.items():
            for _ in range(WARMUP_REQUESTS):
                _get(client, route)
            times, body = [], b""
            for _ in range(requests):
                started = time.perf_counter()
                body = _get(client, route)
                times.append(time.perf_counter() - started)
            stored = httpx.Response(200, content=body).json()["stored"]
            figures[kind] = {
                "requests": requests,
                "latency_ms": percentiles_ms(times, (50, 95, 99)),
                "bytes": len(body),
                "contacts": stored["watermark"]["contacts"],
            }
            ms = figures[kind]["latency_ms"]
            print(
                f"      GET {route}: p50 {ms['p50']:,.1f}, p95 {ms['p95']:,.1f} ms "
                f"({len(body):,} bytes, {stored['watermark']['contacts']:,} contacts)",
                flush=True,
            )
    return figures


def _get(client: Any, route: str) -> bytes:
    response = client.get(route)
    if response.status_code != 200:
        raise RuntimeError(f"GET {route}: {response.status_code} {response.text[:300]}")
    return response.content
