"""The review queue: listing, filters, pages, claim, assign, resolve (upheld and overturned)."""

from __future__ import annotations

import pytest

from service.auth.schemas import Caller, Role
from service.auth.service import revoke_user

REVIEWS = "/v1/reviews"


@pytest.fixture
def flag(client, auth, scored, high_risk):
    """Score a high-risk contact and NFA it: returns the review id."""

    def flagged(contact_id: str = "C-1", **changes) -> str:
        scored(contact_id, **{**high_risk, **changes})
        body = {"decision": "nfa", "reasons": ["concerns_not_substantiated"], "note": "checked"}
        response = client.post(
            f"/v1/contacts/{contact_id}/decision", json=body, headers=auth["worker"]
        )
        return response.json()["review_id"]

    return flagged


def queue(client, auth, **params):
    response = client.get(REVIEWS, params=params, headers=auth["leader"])
    assert response.status_code == 200, response.text
    return response.json()


def test_the_queue_lists_flagged_decisions_with_their_risk(client, auth, flag, scored):
    review_id = flag("C-1")
    scored("C-2")
    client.post(
        "/v1/contacts/C-2/decision", json={"decision": "assessment"}, headers=auth["worker"]
    )
    page = queue(client, auth)
    assert page["next"] is None
    [item] = page["items"]
    assert item["review_id"] == review_id and item["contact_id"] == "C-1"
    assert item["decision"] == "nfa" and item["status"] == "open" and item["assigned_to"] is None
    assert [f["code"] for f in item["flags"]] == ["nfa_despite_substantive_risk"]
    assert item["risk"]["band"] == 10 and item["risk"]["substantive_band"] >= 8
    assert item["team_id"] == "north" and item["age_band"] == "5-9"
    assert client.get(f"{REVIEWS}/{review_id}", headers=auth["leader"]).json() == item


def test_the_queue_filters_by_team_flag_age_band_and_assignee(client, auth, flag, scored):
    north_baby = flag("C-1", child_age_years=0, team_id="north")
    south_teen = flag("C-2", child_age_years=15, team_id="south")
    scored("C-3", concerns=[], child_age_years=12, team_id="south")
    body = {"decision": "nfa", "reasons": ["child_age"]}
    surface = client.post("/v1/contacts/C-3/decision", json=body, headers=auth["worker"]).json()[
        "review_id"
    ]
    ids = lambda page: [i["review_id"] for i in page["items"]]  # noqa: E731
    assert ids(queue(client, auth, team="south")) == [south_teen, surface]
    assert ids(queue(client, auth, age_band="0")) == [north_baby]
    assert ids(queue(client, auth, age_band="10-12")) == [surface]
    assert ids(queue(client, auth, flag="nfa_on_surface_features_only")) == [surface]
    assert ids(queue(client, auth, flag="nfa_despite_substantive_risk", team="north")) == [
        north_baby
    ]
    client.post(f"{REVIEWS}/{south_teen}/claim", headers=auth["leader2"])
    assert ids(queue(client, auth, assigned_to="leader2")) == [south_teen]
    assert ids(queue(client, auth, status="resolved")) == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "closed"}, ["query", "status"]),
        ({"flag": "nfa"}, ["query", "flag"]),
        ({"age_band": "3"}, ["query", "age_band"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"cursor": "abc"}, ["query", "cursor"]),
    ],
)
def test_bad_queue_parameters_are_422(client, auth, params, loc):
    response = client.get(REVIEWS, params=params, headers=auth["leader"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_the_queue_is_paginated_oldest_first(client, auth, flag):
    created = [flag(f"C-{i}") for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        page = queue(client, auth, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["review_id"] for i in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == created and pages == 3


def test_claim_takes_a_review_and_stops_others(client, auth, flag):
    review_id = flag()
    response = client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader"])
    assert response.status_code == 200
    assert response.json()["assigned_to"] == "leader" and response.json()["claimed_at"]
    assert client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader"]).status_code == 200
    taken = client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader2"])
    assert taken.status_code == 409 and "leader" in taken.json()["detail"]
    resolve = client.post(
        f"{REVIEWS}/{review_id}", json={"outcome": "upheld", "note": "x"}, headers=auth["leader2"]
    )
    assert resolve.status_code == 409


def test_unknown_reviews_are_404(client, auth):
    for method, path, body in [
        ("GET", f"{REVIEWS}/nope", None),
        ("POST", f"{REVIEWS}/nope/claim", None),
        ("POST", f"{REVIEWS}/nope/assign", {"assignee": "leader"}),
        ("POST", f"{REVIEWS}/nope", {"outcome": "upheld", "note": "x"}),
    ]:
        response = client.request(method, path, json=body, headers=auth["leader"])
        assert response.status_code == 404, path
        assert response.json()["type"] == "not_found"


def test_assign_gives_a_review_to_an_active_team_leader(client, auth, flag, app):
    review_id = flag()
    client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader"])
    response = client.post(
        f"{REVIEWS}/{review_id}/assign", json={"assignee": "leader2"}, headers=auth["leader"]
    )
    assert response.status_code == 200 and response.json()["assigned_to"] == "leader2"
    with app.state.db.write.begin() as session:
        revoke_user(session, "leader", by=Caller("cli:test", Role.ADMIN))
    for assignee in ("worker", "nobody", "leader"):
        bad = client.post(
            f"{REVIEWS}/{review_id}/assign", json={"assignee": assignee}, headers=auth["leader2"]
        )
        assert bad.status_code == 422, assignee
        assert bad.json()["detail"][0]["loc"] == ["body", "assignee"]


def test_resolving_upheld_takes_a_review_out_of_the_queue(client, auth, flag):
    review_id = flag()
    response = client.post(
        f"{REVIEWS}/{review_id}",
        json={"outcome": "upheld", "note": "Agreed."},
        headers=auth["leader"],
    )
    assert response.status_code == 200
    item = response.json()
    assert (
        item["status"] == "resolved" and item["outcome"] == "upheld" and item["note"] == "Agreed."
    )
    assert item["resolved_by"] == "leader" and item["new_decision_id"] is None
    assert queue(client, auth)["items"] == []
    assert [i["review_id"] for i in queue(client, auth, status="resolved")["items"]] == [review_id]
    again = client.post(
        f"{REVIEWS}/{review_id}", json={"outcome": "upheld", "note": "x"}, headers=auth["leader"]
    )
    assert again.status_code == 409 and again.json()["type"] == "conflict"
    assert client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader2"]).status_code == 409
    decisions = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"]
    assert [d["decision"] for d in decisions] == ["nfa"]


def test_overturning_records_a_new_decision_in_the_leaders_name(client, auth, flag):
    review_id = flag()
    client.post(f"{REVIEWS}/{review_id}/claim", headers=auth["leader"])
    body = {
        "outcome": "overturned",
        "note": "Needs an assessment.",
        "decision": "assessment",
        "reasons": ["other"],
    }
    item = client.post(f"{REVIEWS}/{review_id}", json=body, headers=auth["leader"]).json()
    assert item["outcome"] == "overturned" and item["new_decision_id"]
    decisions = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"]
    assert [d["decision"] for d in decisions] == ["nfa", "assessment"]  # the latest is current
    current = decisions[-1]
    assert current["decision_id"] == item["new_decision_id"]
    assert current["decided_by"] == "leader" and current["source"] == "review_overturn"
    assert current["note"] == "Needs an assessment." and current["review_id"] is None


def test_an_overturn_to_a_flagged_decision_is_flagged_but_not_queued_again(client, auth, flag):
    review_id = flag()
    body = {"outcome": "overturned", "note": "Signpost instead.", "decision": "signpost"}
    item = client.post(f"{REVIEWS}/{review_id}", json=body, headers=auth["leader"]).json()
    current = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"][-1]
    assert current["decision_id"] == item["new_decision_id"]
    assert [f["code"] for f in current["flags"]] == ["signpost_despite_substantive_risk"]
    assert current["review_id"] is None
    assert queue(client, auth)["items"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"outcome": "overturned", "note": "x"}, ["body", "decision"]),
        ({"outcome": "upheld", "note": "x", "decision": "nfa"}, ["body", "decision"]),
        ({"outcome": "dismissed", "note": "x"}, ["body", "outcome"]),
        ({"outcome": "upheld"}, ["body", "note"]),
    ],
)
def test_an_invalid_resolution_is_422(client, auth, flag, body, loc):
    review_id = flag()
    response = client.post(f"{REVIEWS}/{review_id}", json=body, headers=auth["leader"])
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


def test_an_overturn_checks_review_by_but_needs_no_late_reasons(client, auth, flag, app):
    from datetime import date

    from data.workdays import FixedClock

    review_id = flag()
    app.state.clock = FixedClock(date(2024, 5, 20))  # long after the decision's due day
    body = {"outcome": "overturned", "note": "Hold it.", "decision": "more_information"}
    past = client.post(
        f"/v1/reviews/{review_id}", json={**body, "review_by": "2024-05-10"}, headers=auth["leader"]
    )
    assert past.status_code == 422, past.text
    assert [e["loc"] for e in past.json()["detail"]] == [["body", "review_by"]]
    resolved = client.post(
        f"/v1/reviews/{review_id}", json={**body, "review_by": "2024-05-30"}, headers=auth["leader"]
    )
    assert resolved.status_code == 200, resolved.text
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"][-1]
    assert stored["source"] == "review_overturn" and stored["late_reasons"] == []
