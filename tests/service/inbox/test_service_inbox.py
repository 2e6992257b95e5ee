"""The inbox: open work by due day, held-open contacts that come back, and who has what."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from data.workdays import FixedClock
from service.audit.service import verify
from service.audit.tables import AuditEvent
from service.completions.tables import AssessmentCompletion
from service.db import utcnow

INBOX = "/v1/inbox"
# Contacts received on Wednesday 1 May 2024; Monday 6 May 2024 was a bank holiday.
RECEIVED = "2024-05-01T09:30:00+01:00"
TODAY = date(2024, 5, 8)  # Wednesday
TOMORROW = date(2024, 5, 9)


@pytest.fixture
def on_day(app):
    """Stand the service's clock on a day: ``on_day(date(2024, 5, 8))``."""

    def stand(day: date) -> None:
        app.state.clock = FixedClock(day)

    stand(TODAY)
    return stand


@pytest.fixture
def decide(client, auth):
    """Record a decision as the duty worker (late, on these tests' days: received 1 May, due
    2 May, decided from 8 May, so it gives a late reason)."""

    def record(contact_id: str, decision: str, **extra) -> None:
        body = {"decision": decision, "reasons": ["other"], "note": "n", **extra}
        body.setdefault("late_reasons", ["team_capacity"])
        response = client.post(
            f"/v1/contacts/{contact_id}/decision", json=body, headers=auth["worker"]
        )
        assert response.status_code == 200, response.text

    return record


def inbox(client, headers, **params) -> dict:
    response = client.get(INBOX, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict) -> list[str]:
    return [item["contact_id"] for item in page["items"]]


def test_inbox_holds_what_is_due_and_held_open_work_comes_back(
    client, auth, scored, decide, on_day, app
):
    scored("AWAIT", received_at=RECEIVED)
    scored("HELD", received_at=RECEIVED)
    decide("HELD", "more_information", review_by=TOMORROW.isoformat())
    scored("ASSESS", received_at=RECEIVED)
    decide("ASSESS", "assessment")
    scored("DONE-NFA", received_at=RECEIVED)
    decide("DONE-NFA", "signpost")
    scored("DONE-ASSESS", received_at=RECEIVED)
    decide("DONE-ASSESS", "strategy_discussion")
    with app.state.db.write() as session:
        session.add(
            AssessmentCompletion(
                contact_id="DONE-ASSESS",
                completed_on=TODAY,
                outcome="child_in_need_plan",
                note="",
                late_reasons=[],
                recorded_by="worker",
                recorded_at=utcnow(),
            )
        )
        session.commit()

    page = inbox(client, auth["worker"])
    assert sorted(ids(page)) == ["ASSESS", "AWAIT"]
    items = {item["contact_id"]: item for item in page["items"]}
    assert items["AWAIT"]["kind"] == "awaiting_decision"
    assert items["AWAIT"]["due_on"] == "2024-05-02"  # one working day after receipt
    assert items["AWAIT"]["overdue"] is True
    # Due Thu 2 May; Fri 3, (Mon 6 a bank holiday), Tue 7, Wed 8 late: 3 working days.
    assert items["AWAIT"]["working_days_overdue"] == 3
    assert items["ASSESS"]["kind"] == "assessment_open"
    assert items["ASSESS"]["overdue"] is False
    assert items["ASSESS"]["decision"] == "assessment"

    on_day(TOMORROW)
    page = inbox(client, auth["worker"])
    assert sorted(ids(page)) == ["ASSESS", "AWAIT", "HELD"]
    held = next(item for item in page["items"] if item["contact_id"] == "HELD")
    assert held["kind"] == "review_due"
    assert held["due_on"] == TOMORROW.isoformat() and held["overdue"] is False


def test_order_is_due_day_then_receipt_never_band(client, auth, scored, high_risk, on_day):
    scored("LATER-HIGH", received_at="2024-05-01T15:00:00+01:00", **high_risk)
    scored("EARLY-LOW", received_at="2024-05-01T08:00:00+01:00")
    scored("DAY-BEFORE", received_at="2024-04-30T17:00:00+01:00")
    page = inbox(client, auth["worker"])
    assert ids(page) == ["DAY-BEFORE", "EARLY-LOW", "LATER-HIGH"]
    bands = {item["contact_id"]: item["band"] for item in page["items"]}
    assert bands["LATER-HIGH"] > bands["EARLY-LOW"]  # shown, not used to reorder


def test_filters_and_pages(client, auth, scored, decide, on_day):
    for i in range(5):
        scored(f"N-{i}", received_at=f"2024-05-0{i + 1}T09:00:00+01:00", team_id="north")
    scored("S-0", received_at=RECEIVED, team_id="south")
    scored("S-1", received_at=RECEIVED, team_id="south")
    decide("S-1", "assessment")
    client.post(f"{INBOX}/N-0/claim", headers=auth["worker2"])

    assert ids(inbox(client, auth["worker"], team="south")) == ["S-0", "S-1"]
    assert ids(inbox(client, auth["worker"], kind="assessment_open")) == ["S-1"]
    assert ids(inbox(client, auth["worker"], assigned_to="worker2")) == ["N-0"]
    overdue = ids(inbox(client, auth["worker"], overdue="true"))
    # Received 1-3 May: due 2, 3 and 7 May, before 8 May. Received 4 (Sat) and 5 May: due 7 May.
    assert overdue == ["N-0", "S-0", "N-1", "N-2", "N-3", "N-4"]
    assert ids(inbox(client, auth["worker"], overdue="false")) == ["S-1"]

    seen, cursor = [], None
    while True:
        params = {"team": "north", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = inbox(client, auth["worker"], **params)
        seen += ids(page)
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == ["N-0", "N-1", "N-2", "N-3", "N-4"]
    bad = client.get(INBOX, params={"cursor": "nonsense"}, headers=auth["worker"])
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_claim_assign_release_and_who_may(client, auth, scored, on_day):
    scored("C-1", received_at=RECEIVED)
    claimed = client.post(f"{INBOX}/C-1/claim", headers=auth["worker"])
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "worker"
    again = client.post(f"{INBOX}/C-1/claim", headers=auth["worker"])
    assert again.status_code == 200  # claiming what you hold changes nothing
    taken = client.post(f"{INBOX}/C-1/claim", headers=auth["worker2"])
    assert taken.status_code == 409 and "claimed by worker" in taken.json()["detail"]
    refused = client.post(f"{INBOX}/C-1/release", headers=auth["worker2"])
    assert refused.status_code == 409 and "worker" in refused.json()["detail"]

    worker_assigns = client.post(
        f"{INBOX}/C-1/assign", json={"assignee": "worker2"}, headers=auth["worker"]
    )
    assert worker_assigns.status_code == 403
    nobody = client.post(f"{INBOX}/C-1/assign", json={"assignee": "ghost"}, headers=auth["leader"])
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"] == ["body", "assignee"]
    data_team = client.post(
        f"{INBOX}/C-1/assign", json={"assignee": "data"}, headers=auth["leader"]
    )
    assert data_team.status_code == 422
    assigned = client.post(
        f"{INBOX}/C-1/assign", json={"assignee": "worker2"}, headers=auth["leader"]
    )
    assert assigned.status_code == 200
    assert assigned.json() | {"claimed_at": None} == {
        "contact_id": "C-1",
        "claimed_by": "worker2",
        "claimed_at": None,
        "assigned_by": "leader",
    }
    assert ids(inbox(client, auth["worker"], assigned_to="worker2")) == ["C-1"]

    released = client.post(f"{INBOX}/C-1/release", headers=auth["leader"])
    assert released.status_code == 200 and released.json()["claimed_by"] is None
    assert client.post(f"{INBOX}/C-1/release", headers=auth["leader"]).status_code == 409
    item = inbox(client, auth["worker"])["items"][0]
    assert item["claimed_by"] is None

    for action in ("claim", "release"):
        missing = client.post(f"{INBOX}/NOPE/{action}", headers=auth["leader"])
        assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    assert client.get(INBOX, headers=auth["data"]).status_code == 403


def test_two_claims_at_once_one_wins_and_every_change_is_audited(client, auth, scored, app):
    scored("C-1", received_at=RECEIVED)
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def claim(name: str) -> None:
        barrier.wait()
        results[name] = client.post(f"{INBOX}/C-1/claim", headers=auth[name]).status_code

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("leader", "leader2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 409]
    winner = next(name for name, status in results.items() if status == 200)
    loser = next(name for name, status in results.items() if status == 409)
    answer = client.post(f"{INBOX}/C-1/claim", headers=auth[loser])
    assert answer.status_code == 409 and f"claimed by {winner}" in answer.json()["detail"]

    client.post(f"{INBOX}/C-1/assign", json={"assignee": "worker"}, headers=auth["leader"])
    client.post(f"{INBOX}/C-1/release", headers=auth["worker"])
    with app.state.db.read() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.details)
            .where(AuditEvent.entity_id == "C-1", AuditEvent.action.like("inbox.%"))
            .order_by(AuditEvent.seq)
        ).all()
        assert verify(session).ok
    assert [(e.action, e.actor) for e in events] == [
        ("inbox.claimed", winner),
        ("inbox.assigned", "leader"),
        ("inbox.released", "worker"),
    ]
    assert '"previous":"' + winner in events[1].details.replace(" ", "")


@pytest.mark.parametrize(
    ("received_at", "due_on"),
    [
        ("2023-12-22T16:45:00+00:00", "2023-12-27"),  # Fri; weekend, Christmas and Boxing Day
        ("2024-03-28T23:30:00+00:00", "2024-04-02"),  # Thu 23:30 GMT; Good Friday, Easter Monday
    ],
)
def test_the_bank_holiday_examples_hold_in_the_store(
    client, auth, scored, app, received_at, due_on
):
    """The issue's two examples, through the store and the inbox on each database. The second is
    received at 23:30 GMT on 28 March, which is still 28 March in London (GMT until 31 March)."""
    scored("C-BH", received_at=received_at)
    app.state.clock = FixedClock(date(2024, 4, 30))
    (item,) = inbox(client, auth["worker"])["items"]
    assert item["due_on"] == due_on and item["overdue"] is True
