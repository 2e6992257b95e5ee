"""Schemathesis against the service's own ``/openapi.json``: every documented route, fuzzed.

Each operation gets its documented examples and generated requests, valid and invalid, sent
in-process to the ASGI app with the bearer token of a role that may use it; operations on a
contact or a review also get valid requests on a stored one. Every answer must be documented:
no 500, a status code the operation lists, its content type, and a body and headers matching the
documented schema. Runs on SQLite and PostgreSQL with a fixed seed, so CI fails or passes the
same way every time.

The operations are fuzzed in a loop inside one test (not ``schema.parametrize()``) so that the
app, its database and its users are set up once, not once per operation.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi
from trust_records import trust_champion

from config.settings import Settings
from data.workdays import FixedClock
from service.app import create_app
from service.contacts.schemas import CONTACT_EXAMPLE
from service.reports.service import compute_and_store

# Generated requests per operation and run: enough to find the edges, few enough for CI. An
# operation without parameters or body varies only in its headers: a few requests do.
EXAMPLES, EXAMPLES_WITHOUT_INPUTS = 30, 3
# In this order, the first role that may use an operation fuzzes it.
ROLES = ("leader", "data", "admin")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
SETTINGS = hypothesis.settings(
    derandomize=True,  # the same requests on every run
    database=None,
    deadline=None,
    # Generated bodies are large and many are filtered out; neither is a problem here.
    suppress_health_check=list(hypothesis.HealthCheck),
    # Report the first failing request as generated: shrinking would re-send dozens of requests.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


@pytest.fixture
def fuzzed_app(champion_home, database_url, monkeypatch) -> Iterator[Any]:
    """The service on a fresh database, started by schemathesis' ASGI client."""
    monkeypatch.setenv("TRIAGE_HOME", str(champion_home))
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIAGE_RATE_LIMIT", "0")  # hundreds of requests a minute, by design
    # `?refresh=true` recomputes a report: wait for it well within the client's 10 s timeout.
    monkeypatch.setenv("TRIAGE_REPORT_REFRESH_SECONDS", "3")
    trust_champion(Settings())
    app = create_app(Settings())
    # The day the example contacts arrive: the seeded decision is then in time.
    app.state.clock = FixedClock(date(2024, 5, 1))
    with asgi.get_client(app):  # runs the lifespan: migrations, champion
        pass
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()  # closes the database before the fixture drops it


def seed(app: Any, headers: dict[str, str], high_risk: dict[str, Any]) -> dict[str, str]:
    """Store the documented example contact and a flagged decision; the stored ids by name."""
    with asgi.get_client(app) as client:
        # The contact of the documented examples, so their requests reach a stored contact.
        for body in (CONTACT_EXAMPLE, {**CONTACT_EXAMPLE, "contact_id": "C-high", **high_risk}):
            scored = client.post("/v1/contacts/score", json=body, headers=headers)
            assert scored.status_code == 200, scored.text
        decided = client.post(
            "/v1/contacts/C-high/decision", json={"decision": "nfa"}, headers=headers
        )
    assert decided.status_code == 200 and decided.json()["review_id"], decided.text
    # Both reports stored up front, as the scheduled job would: a fuzzed read is then answered
    # from the store, whatever the machine's speed (a refresh past its limit still answers 200).
    for kind in ("fairness", "monitoring"):
        compute_and_store(app.state.db, kind, app.state.settings, computed_by="test")
    return {"contact_id": "C-high", "review_id": decided.json()["review_id"]}


def first_role(app: Any, operation: Any, callers: dict[str, dict[str, str]]) -> str:
    """The first role not refused (403) by the operation: roles are checked before the body."""
    path = re.sub(r"\{[^}]+\}", "x", operation.full_path)
    with asgi.get_client(app) as client:
        for role, headers in callers.items():
            if client.request(operation.method.upper(), path, headers=headers).status_code != 403:
                return role
    raise AssertionError(f"no role may use {operation.label}")


def has_inputs(operation: Any) -> bool:
    """Whether requests to the operation carry a parameter or a body (the token aside)."""
    parameters = [p for p in operation.iter_parameters() if p.name != "Authorization"]
    return bool(parameters) or bool(list(operation.body))


def fuzz(strategy: Any, headers: dict[str, str], *, examples: int) -> None:
    """Send the requests ``strategy`` generates; raise on the first answer not as documented."""

    @hypothesis.settings(SETTINGS, max_examples=examples)
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # nothing to get wrong
        run()


def runs(operation: Any, stored: dict[str, str]) -> dict[str, Any]:
    """The fuzzing runs of an operation by name: examples and valid, invalid, on stored ids."""
    strategies = {
        "valid": st.one_of(
            *operation.get_strategies_from_examples(),
            operation.as_strategy(GenerationMode.POSITIVE),
        ),
        "invalid": operation.as_strategy(GenerationMode.NEGATIVE),
    }
    names = set(re.findall(r"\{([^}]+)\}", operation.path))
    if names and names <= stored.keys():
        path = {name: stored[name] for name in names}
        strategies["stored"] = operation.as_strategy(path_parameters=path)
    return strategies


@pytest.mark.slow
def test_every_answer_is_documented(fuzzed_app, auth_for, high_risk):
    callers = {role: auth_for(fuzzed_app, role) for role in ROLES}
    stored = seed(fuzzed_app, auth_for(fuzzed_app, "leader2"), high_risk)
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures, fuzzed = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        role = first_role(fuzzed_app, operation, callers)
        examples = EXAMPLES if has_inputs(operation) else EXAMPLES_WITHOUT_INPUTS
        for name, strategy in runs(operation, stored).items():
            try:
                fuzz(strategy, callers[role], examples=examples)
            except (Exception, BaseExceptionGroup) as error:  # fuzz everything, report all
                failures.append(f"{operation.label} as {role}, {name} requests:\n{error}")
        fuzzed.append(operation.label)
    assert len(fuzzed) >= 15, f"every documented operation is fuzzed: {fuzzed}"
    assert not failures, "\n\n".join(failures)


# Text with a NUL character: PostgreSQL text cannot hold it (it was a 500 there), so every field
# that is stored or looked up refuses it with 422, on every backend.
NUL_REQUESTS = {
    "narrative": ("POST", "/v1/contacts/score", {"json": {"narrative": "a\x00b"}}),
    "team_id": ("POST", "/v1/contacts/score", {"json": {"team_id": "north\x00"}}),
    "decision note": ("POST", "/v1/contacts/C-1/decision", {"json": {"note": "a\x00b"}}),
    "review filter": ("GET", "/v1/reviews", {"params": {"team": "\x00"}}),
    "assignee filter": ("GET", "/v1/reviews", {"params": {"assigned_to": "\x00"}}),
    "review id": ("GET", "/v1/reviews/a%00b", {}),
    "assignee": ("POST", "/v1/reviews/{review}/assign", {"json": {"assignee": "leader\x00"}}),
    "review note": ("POST", "/v1/reviews/{review}", {"json": {"note": "a\x00b"}}),
}


@pytest.mark.parametrize("field", NUL_REQUESTS)
def test_text_with_a_nul_character_is_refused(client, auth, contact, high_risk, field):
    worker = auth["worker"]
    assert client.post(
        "/v1/contacts/score", json=contact("C-1", **high_risk), headers=worker
    ).is_success
    decided = client.post("/v1/contacts/C-1/decision", json={"decision": "nfa"}, headers=worker)
    method, path, kwargs = NUL_REQUESTS[field]
    if "json" in kwargs:
        valid = {
            "/v1/contacts/score": contact("C-2"),
            "/v1/contacts/C-1/decision": {"decision": "nfa"},
            "/v1/reviews/{review}/assign": {},
            "/v1/reviews/{review}": {"outcome": "upheld"},
        }[path]
        kwargs = {"json": {**valid, **kwargs["json"]}}
    path = path.format(review=decided.json()["review_id"])
    response = client.request(method, path, headers=auth["leader"], **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "validation_error"
