"""A contact that changes: revisions, each with its own assessment, decisions on the latest."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from data.workdays import FixedClock
from service.audit.tables import AuditEvent
from service.contacts.tables import Contact, ContactRevision, StoredAssessment

SCORE = "/v1/contacts/score"
RECEIVED = "2024-05-01T09:30:00+01:00"  # a Wednesday
RECEIVED_AGAIN = "2024-05-07T14:00:00+01:00"  # what came back, a week later
SECRET = "The neighbour's name is Alex Example."
runner = CliRunner()


def revise(client, headers, body, contact_id=None):
    """POST a revision of ``body``'s contact (or of ``contact_id``)."""
    path = f"/v1/contacts/{contact_id or body['contact_id']}/revisions"
    return client.post(path, json=body, headers=headers)


def decide(client, headers, contact_id, decision, **extra):
    body = {"decision": decision, "reasons": ["other"], "note": "n", **extra}
    response = client.post(f"/v1/contacts/{contact_id}/decision", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_revised_contact_keeps_both_estimates_and_decisions_follow_the_latest(
    client, app, auth, contact, high_risk, backend
):
    first = contact("C-1", received_at=RECEIVED, narrative="Old account.")
    scored = client.post(SCORE, json=first, headers=auth["worker"]).json()
    held = decide(client, auth["worker"], "C-1", "more_information", review_by="2024-05-15")
    assert held["flags"] == []  # a low estimate: more information is not flagged

    # What came back adds concerns (a high estimate) and rewrites the narrative.
    changed = {**first, **high_risk, "received_at": RECEIVED_AGAIN, "narrative": SECRET}
    response = revise(client, auth["leader"], changed)
    assert response.status_code == 200, response.text
    revised = response.json()
    assert revised["revision"] == 2 and revised["contact_id"] == "C-1"
    assert revised["risk"]["band"] > scored["risk"]["band"]
    assert set(revised) == set(scored) | {"revision"}  # the assessment's shape, plus its number

    page = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()
    one, two = page["revisions"]
    assert (one["revision"], one["band"], one["changed_fields"]) == (1, scored["risk"]["band"], [])
    assert one["probability"] == scored["risk"]["probability"] and one["created_by"] == "worker"
    assert (two["revision"], two["band"]) == (2, revised["risk"]["band"])
    assert two["created_by"] == "leader"
    assert one["received_at"].startswith("2024-05-01T08:30") and two["received_at"].startswith(
        "2024-05-07T13:00"
    )
    changes = {c["field"]: c for c in two["changed_fields"]}
    assert set(changes) == {"received_at", "concerns", "prior_contacts_12m", "previous_cp_plan",
                            "narrative"}  # fmt: skip
    assert changes["concerns"]["old"] == ["4B"] and "3B" in changes["concerns"]["new"]
    assert changes["previous_cp_plan"] == {"field": "previous_cp_plan", "old": False, "new": True}
    assert changes["narrative"] == {"field": "narrative", "old": None, "new": None}
    assert SECRET not in json.dumps(page["revisions"])
    # The stored contact and assessment are the latest revision's.
    assert page["assessment"] == {k: v for k, v in revised.items() if k != "revision"}
    assert page["contact"]["narrative"] == SECRET and page["contact"]["prior_contacts_12m"] == 5

    with app.state.db.read() as session:
        stored = session.get(Contact, "C-1")
        assert stored.received_at.isoformat().startswith("2024-05-01T08:30")  # the first receipt
        assert session.get(StoredAssessment, "C-1").band == revised["risk"]["band"]
        kept = session.scalars(select(ContactRevision).order_by(ContactRevision.revision)).all()
        assert [r.assessment["risk"] for r in kept] == [scored["risk"], revised["risk"]]
        trail = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    scores = [
        json.loads(e.details) for e in trail if e.action in ("contact.scored", "contact.revised")
    ]
    assert [s["body_sha256"] for s in scores] == [kept[0].body_sha256, kept[1].body_sha256]
    assert scores[1]["revision"] == 2 and scores[1]["band"] == revised["risk"]["band"]
    assert SECRET not in " ".join(e.details for e in trail)

    # A decision now follows the latest estimate: more information on a high-risk contact.
    again = decide(client, auth["worker"], "C-1", "more_information", review_by="2024-05-20")
    assert [f["code"] for f in again["flags"]] == ["more_information_despite_substantive_risk"]

    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_inbox_due_day_still_comes_from_the_first_receipt(client, app, auth, contact):
    body = contact("C-1", received_at=RECEIVED)
    assert client.post(SCORE, json=body, headers=auth["worker"]).status_code == 200
    response = revise(client, auth["worker"], {**body, "received_at": RECEIVED_AGAIN})
    assert response.status_code == 200, response.text
    app.state.clock = FixedClock(date(2024, 5, 8))
    page = client.get("/v1/inbox", headers=auth["worker"]).json()
    [item] = [i for i in page["items"] if i["contact_id"] == "C-1"]
    assert item["due_on"] == "2024-05-02"  # one working day after 1 May, not after 7 May


def test_the_same_record_again_answers_the_latest_revision(client, app, auth, contact):
    body = contact("C-1")
    client.post(SCORE, json=body, headers=auth["worker"])
    changed = {**body, "child_age_years": 2}
    first = revise(client, auth["worker"], changed)
    again = revise(client, auth["leader"], changed)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.json()["revision"] == 2
    # The original record is now an earlier revision: sending it again is a new revision.
    back = revise(client, auth["worker"], body).json()
    assert back["revision"] == 3
    with app.state.db.read() as session:
        assert len(session.scalars(select(ContactRevision)).all()) == 3
    # Scoring the latest record answers it; scoring an earlier one is a conflict.
    assert client.post(SCORE, json=body, headers=auth["worker"]).json()["risk"] == back["risk"]
    clash = client.post(SCORE, json=changed, headers=auth["worker"])
    assert clash.status_code == 409 and "/revisions" in clash.json()["detail"]


def test_revising_an_unknown_contact_is_404(client, auth, contact):
    response = revise(client, auth["worker"], contact("C-404"))
    assert response.status_code == 404 and response.json()["type"] == "not_found"


def test_a_body_naming_another_contact_is_422(client, auth, contact):
    client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    client.post(SCORE, json=contact("C-2"), headers=auth["worker"])
    response = revise(client, auth["worker"], contact("C-2", child_age_years=9), contact_id="C-1")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "contact_id"]
    page = client.get("/v1/contacts/C-2", headers=auth["worker"]).json()
    assert len(page["revisions"]) == 1 and page["contact"]["child_age_years"] == 6


def test_an_invalid_revision_is_422_and_stores_nothing(client, auth, contact):
    client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    response = revise(client, auth["worker"], contact("C-1", child_age_years=40))
    assert response.status_code == 422
    page = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()
    assert [r["revision"] for r in page["revisions"]] == [1]


def test_concurrent_revisions_each_get_their_own_number(client, app, auth, contact):
    client.post(SCORE, json=contact("C-1"), headers=auth["worker"])

    def send(age: int):
        return revise(client, auth["worker"], contact("C-1", child_age_years=age))

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(send, range(10, 16)))
    assert {r.status_code for r in responses} <= {200, 409}  # 409: lost every retry; send again
    stored = [r.json()["revision"] for r in responses if r.status_code == 200]
    assert len(stored) == len(set(stored)) and stored
    with app.state.db.read() as session:
        kept = session.scalars(select(ContactRevision).order_by(ContactRevision.revision)).all()
        latest = session.get(Contact, "C-1")
        assessment = session.get(StoredAssessment, "C-1")
    assert [r.revision for r in kept] == list(range(1, len(stored) + 2))
    # contacts and assessments hold the highest revision's body and assessment.
    assert latest.body_sha256 == kept[-1].body_sha256
    assert assessment.assessment == kept[-1].assessment
