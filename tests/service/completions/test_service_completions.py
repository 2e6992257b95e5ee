"""Completing assessments: closes the inbox's assessment, records need, asks why when late."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data.workdays import FixedClock
from service.audit.tables import AuditEvent

# The fixture contact is received on Wednesday 1 May 2024; with 45 working days its assessment
# is due on Friday 5 July 2024 (the bank holidays of 6 and 27 May do not count).
DUE = "2024-07-05"


def complete(client, headers, contact_id="C-1", **body):
    body = {"completed_on": "2024-05-20", "outcome": "nfa", **body}
    return client.post(f"/v1/contacts/{contact_id}/assessment", json=body, headers=headers)


@pytest.fixture
def assessing(client, auth, scored, app):
    """A scored contact with an assessment decision, the clock standing on 20 May 2024."""

    def open_(contact_id: str = "C-1", decision: str = "assessment") -> None:
        scored(contact_id)
        response = client.post(
            f"/v1/contacts/{contact_id}/decision",
            json={"decision": decision, "reasons": ["other"]},
            headers=auth["worker"],
        )
        assert response.status_code == 200, response.text
        app.state.clock = FixedClock(date(2024, 5, 20))

    return open_


def assessment_open(client, auth) -> list[str]:
    response = client.get("/v1/inbox", params={"kind": "assessment_open"}, headers=auth["worker"])
    assert response.status_code == 200, response.text
    return [item["contact_id"] for item in response.json()["items"]]


def outcome_of(app, contact_id="C-1"):
    from service.outcomes.tables import OutcomeRecord

    with app.state.db.read() as session:
        record = session.get(OutcomeRecord, contact_id)
        return None if record is None else record.outcome_need_12m


def test_a_completed_assessment_leaves_the_inbox_and_is_audited_without_its_note(
    client, auth, assessing, app, caplog
):
    assessing()
    assert assessment_open(client, auth) == ["C-1"]
    note = "Spoke with the family at home. " * 3000
    response = complete(client, auth["worker"], outcome="early_help", note=note)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["due_on"] == DUE and body["outcome"] == "early_help" and body["note"] == note
    assert body["late_reasons"] == [] and body["recorded_by"] == "worker"
    assert body["outcome_need_12m"]["recorded"] is False and outcome_of(app) is None
    assert assessment_open(client, auth) == []
    with app.state.db.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "assessment.completed")
        ).all()
    assert len(events) == 1 and "Spoke with the family" not in str(events[0].details)
    assert "Spoke with the family" not in caplog.text


@pytest.mark.parametrize("decision", ["assessment", "strategy_discussion"])
def test_a_need_outcome_records_outcome_need_12m_true(client, auth, assessing, app, decision):
    assessing(decision=decision)
    response = complete(client, auth["worker"], outcome="child_protection_enquiry")
    assert response.status_code == 200, response.text
    assert response.json()["outcome_need_12m"] == {
        "recorded": True,
        "existing": None,
        "note": "Recorded outcome_need_12m = true.",
    }
    assert outcome_of(app) is True


def test_an_existing_different_outcome_is_kept_and_said_so(client, auth, assessing, app):
    assessing()
    stored = client.post(
        "/v1/contacts/C-1/outcome", json={"outcome_need_12m": False}, headers=auth["data"]
    )
    assert stored.status_code == 200, stored.text
    response = complete(client, auth["worker"], outcome="looked_after")
    assert response.status_code == 200, response.text
    need = response.json()["outcome_need_12m"]
    assert need["recorded"] is False and need["existing"] is False
    assert "kept" in need["note"]
    assert outcome_of(app) is False


def test_a_late_completion_needs_reasons_and_in_time_refuses_them(client, auth, assessing, app):
    assessing()
    early = complete(client, auth["worker"], late_reasons=["team_capacity"])
    assert early.status_code == 422
    assert [e["loc"] for e in early.json()["detail"]] == [["body", "late_reasons"]]
    app.state.clock = FixedClock(date(2024, 7, 8))
    late = complete(client, auth["worker"], completed_on="2024-07-08")
    assert late.status_code == 422
    assert [e["loc"] for e in late.json()["detail"]] == [["body", "late_reasons"]]
    given = complete(
        client,
        auth["worker"],
        completed_on="2024-07-08",
        late_reasons=["family_declined"],
        late_note="The family asked to wait until after the holidays.",
    )
    assert given.status_code == 200, given.text
    assert given.json()["late_reasons"] == ["family_declined"]
    assert given.json()["late_note"] == "The family asked to wait until after the holidays."


def test_completing_twice_or_without_an_open_assessment_is_409(client, auth, assessing, scored):
    assessing()
    assert complete(client, auth["worker"]).status_code == 200
    again = complete(client, auth["worker"])
    assert again.status_code == 409 and again.json()["type"] == "conflict"
    scored("C-2")
    undecided = complete(client, auth["worker"], "C-2")
    assert undecided.status_code == 409
    decided = client.post(
        "/v1/contacts/C-2/decision",
        json={"decision": "nfa", "reasons": ["other"], "late_reasons": ["team_capacity"]},
        headers=auth["worker"],
    )
    assert decided.status_code == 200, decided.text
    assert complete(client, auth["worker"], "C-2").status_code == 409


def test_an_unknown_contact_is_404(client, auth):
    response = complete(client, auth["worker"], "C-404")
    assert response.status_code == 404 and response.json()["type"] == "not_found"


@pytest.mark.parametrize("completed_on", ["2024-05-21", "2024-04-30"])
def test_completed_on_in_the_future_or_before_receipt_is_422_naming_it(
    client, auth, assessing, completed_on
):
    assessing()
    response = complete(client, auth["worker"], completed_on=completed_on)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "completed_on"]]
    assert complete(client, auth["worker"]).status_code == 200  # nothing was stored
