"""Recording decisions: validation, flags end to end, long notes, several decisions over time."""

from __future__ import annotations

import pytest


def decide(client, headers, contact_id="C-1", **body):
    return client.post(f"/v1/contacts/{contact_id}/decision", json=body, headers=headers)


def test_a_decision_on_an_unknown_contact_is_404(client, auth):
    response = decide(client, auth["worker"], "C-404", decision="nfa")
    assert response.status_code == 404 and response.json()["type"] == "not_found"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"decision": "close"}, ["body", "decision"]),
        ({"decision": "nfa", "reasons": ["gut_feeling"]}, ["body", "reasons", 0]),
        ({"decision": "nfa", "reasons": ["other", "other"]}, ["body", "reasons"]),
        ({"decision": "nfa", "review_by": "next week"}, ["body", "review_by"]),
        ({"decision": "nfa", "notes": "typo"}, ["body", "notes"]),
        ({"reasons": []}, ["body", "decision"]),
    ],
)
def test_an_invalid_decision_is_422_naming_the_field(client, auth, scored, body, loc):
    scored("C-1")
    response = client.post("/v1/contacts/C-1/decision", json=body, headers=auth["worker"])
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


def test_an_nfa_despite_substantive_risk_is_flagged_and_queued(client, auth, scored, high_risk):
    assessment = scored("C-1", **high_risk)
    assert assessment["substantive_risk"]["band"] >= 8
    response = decide(
        client, auth["worker"], decision="nfa", reasons=["concerns_not_substantiated"]
    )
    assert response.status_code == 200
    body = response.json()
    assert body["flagged_for_review"] is True and body["review_id"]
    assert [f["code"] for f in body["flags"]] == ["nfa_despite_substantive_risk"]
    assert "band 10 of 10" in body["flags"][0]["text"]


def test_an_nfa_for_surface_reasons_only_is_flagged(client, auth, scored):
    scored("C-1", concerns=[])
    body = decide(
        client, auth["worker"], decision="nfa", reasons=["child_age", "referral_source"]
    ).json()
    assert "nfa_on_surface_features_only" in [f["code"] for f in body["flags"]]
    assert body["flagged_for_review"] and body["review_id"]


def test_an_nfa_on_a_low_substantive_contact_is_not_flagged(client, auth, scored):
    assessment = scored("C-1", concerns=["4B"], child_age_years=8, referral_source="2A")
    assert not assessment["surface_reliance"]["flagged"]
    assert assessment["substantive_risk"]["band"] < 8
    body = decide(client, auth["worker"], decision="nfa", reasons=["no_concerns_identified"]).json()
    assert body == {**body, "flagged_for_review": False, "flags": [], "review_id": None}


@pytest.mark.parametrize("decision", ["more_information", "signpost"])
def test_deflecting_a_high_risk_contact_is_flagged_with_its_own_code(
    client, auth, scored, high_risk, decision
):
    scored("C-1", **high_risk)
    body = decide(
        client, auth["worker"], decision=decision, reasons=["insufficient_information"]
    ).json()
    assert [f["code"] for f in body["flags"]] == [f"{decision}_despite_substantive_risk"]
    assert body["review_id"]


def test_acting_on_a_high_risk_contact_is_not_flagged(client, auth, scored, high_risk):
    scored("C-1", **high_risk)
    body = decide(client, auth["leader"], decision="assessment", reasons=["other"]).json()
    assert body["flags"] == [] and body["review_id"] is None


def test_a_long_note_is_stored_whole(client, auth, scored):
    scored("C-1")
    note = ("Spoke to the health visitor; ✓ ünïcode. " * 5_000)[:100_000]  # the cap, exactly
    assert len(note) == 100_000
    response = decide(client, auth["worker"], decision="early_help", note=note)
    assert response.status_code == 200
    [stored] = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"]
    assert stored["note"] == note


def test_several_decisions_over_time_newest_last(client, auth, scored):
    scored("C-1")
    first = decide(
        client,
        auth["worker"],
        decision="more_information",
        reasons=["insufficient_information"],
        note="Asked the school.",
        review_by="2024-05-15",
    ).json()
    second = decide(client, auth["leader"], decision="early_help", reasons=["other"]).json()
    decisions = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"]
    assert [d["decision_id"] for d in decisions] == [first["decision_id"], second["decision_id"]]
    assert decisions[0]["review_by"] == "2024-05-15" and decisions[0]["decided_by"] == "worker"
    assert decisions[1]["review_by"] is None and decisions[1]["decided_by"] == "leader"
    assert decisions[0]["source"] == "worker" and decisions[0]["note"] == "Asked the school."
    assert decisions[0]["reasons"] == ["insufficient_information"]


# --- reasons when late (docs/timeliness.md) -----------------------------------------------------
# The fixture contact is received on Wednesday 1 May 2024: its decision is due Thursday 2 May.


def stand(app, day):
    from datetime import date

    from data.workdays import FixedClock

    app.state.clock = FixedClock(date.fromisoformat(day))


def locs(response) -> list[list]:
    return [e["loc"] for e in response.json()["detail"]]


def test_a_late_decision_without_reasons_is_422_naming_late_reasons(client, auth, scored, app):
    scored("C-1")
    stand(app, "2024-05-03")
    response = decide(client, auth["worker"], decision="nfa", reasons=["other"])
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", "late_reasons"]]
    assert "2024-05-02" in response.json()["detail"][0]["msg"]
    assert client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"] == []


def test_a_late_decision_with_reasons_is_stored_with_them_and_the_whole_note(
    client, auth, scored, app, caplog
):
    scored("C-1")
    stand(app, "2024-05-03")
    late_note = "Waited for the school to call back. " * 2000
    response = decide(
        client,
        auth["worker"],
        decision="nfa",
        reasons=["other"],
        late_reasons=["awaiting_information_from_agency", "team_capacity"],
        late_note=late_note,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["due_on"] == "2024-05-02"
    assert body["late_reasons"] == ["awaiting_information_from_agency", "team_capacity"]
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["decisions"][-1]
    assert stored["late_reasons"] == ["awaiting_information_from_agency", "team_capacity"]
    assert stored["late_note"] == late_note
    assert "Waited for the school" not in caplog.text


def test_the_timeliness_report_counts_each_late_reason_recorded_exactly(client, auth, scored, app):
    """Three late decisions through the route (one refused first, without reasons): the report
    counts every reason of every one, a decision with two reasons once under each."""
    given = {
        "C-1": ["team_capacity", "worker_absence"],
        "C-2": ["team_capacity"],
        "C-3": ["holiday_period", "awaiting_information_from_agency"],
    }
    for contact_id in given:
        scored(contact_id)
    stand(app, "2024-05-07")
    refused = client.post(
        "/v1/contacts/C-1/decision",
        json={"decision": "nfa", "reasons": ["other"]},
        headers=auth["worker"],
    )
    assert refused.status_code == 422 and locs(refused) == [["body", "late_reasons"]]
    for contact_id, late_reasons in given.items():
        response = client.post(
            f"/v1/contacts/{contact_id}/decision",
            json={"decision": "nfa", "reasons": ["other"], "late_reasons": late_reasons},
            headers=auth["worker"],
        )
        assert response.status_code == 200, response.text
    report = client.get(
        "/v1/timeliness/report", params={"as_at": "2024-05-07"}, headers=auth["leader"]
    )
    assert report.status_code == 200, report.text
    decisions = report.json()["overall"]["decisions"]
    assert decisions["recorded"] == 3 and decisions["late_without_reasons"] == 0
    assert decisions["late_reasons"] == {
        "team_capacity": 2,
        "worker_absence": 1,
        "holiday_period": 1,
        "awaiting_information_from_agency": 1,
    }


def test_reasons_on_a_decision_in_time_are_422(client, auth, scored, app):
    scored("C-1")
    stand(app, "2024-05-02")  # the due day itself is in time
    response = decide(
        client, auth["worker"], decision="nfa", reasons=["other"], late_reasons=["other"]
    )
    assert response.status_code == 422 and locs(response) == [["body", "late_reasons"]]
    assert decide(client, auth["worker"], decision="nfa", reasons=["other"]).status_code == 200


def test_an_unknown_late_reason_is_422_naming_it(client, auth, scored, app):
    scored("C-1")
    stand(app, "2024-05-03")
    response = decide(client, auth["worker"], decision="nfa", late_reasons=["tired"])
    assert response.status_code == 422 and locs(response) == [["body", "late_reasons", 0]]


@pytest.mark.parametrize("review_by", ["2024-04-30", "2025-05-03"])
def test_review_by_in_the_past_or_beyond_a_year_is_422_naming_it(
    client, auth, scored, app, review_by
):
    scored("C-1")
    stand(app, "2024-05-01")
    response = decide(client, auth["worker"], decision="more_information", review_by=review_by)
    assert response.status_code == 422, response.text
    assert locs(response) == [["body", "review_by"]]


def test_a_new_decision_on_a_held_open_contact_is_due_on_its_review_by(client, auth, scored, app):
    scored("C-1")
    held = decide(client, auth["worker"], decision="more_information", review_by="2024-05-10")
    assert held.status_code == 200, held.text
    stand(app, "2024-05-10")  # long after the decision's own due day, but on the review day
    in_time = decide(client, auth["worker"], decision="nfa", reasons=["other"])
    assert in_time.status_code == 200, in_time.text
    assert in_time.json()["due_on"] == "2024-05-10" and in_time.json()["late_reasons"] == []


def test_decided_at_is_the_clock_s_instant_and_the_report_agrees_with_it(client, auth, scored, app):
    """One clock: a decision recorded with the clock on a day is stamped on that day, and the
    report counts in time and late as the route judged them."""
    scored("C-1")
    scored("C-2")
    stand(app, "2024-05-02")  # C-1's due day: in time
    in_time = decide(client, auth["worker"], "C-1", decision="nfa", reasons=["other"])
    assert in_time.status_code == 200, in_time.text
    stand(app, "2024-05-09")  # five working days after C-2's due day: late
    late = decide(
        client,
        auth["worker"],
        "C-2",
        decision="nfa",
        reasons=["other"],
        late_reasons=["team_capacity"],
    )
    assert late.status_code == 200, late.text
    assert in_time.json()["decided_at"].startswith("2024-05-02T08:00:00")
    assert late.json()["decided_at"].startswith("2024-05-09T08:00:00")
    stored = client.get("/v1/contacts/C-2", headers=auth["worker"]).json()["decisions"][-1]
    assert stored["decided_at"].startswith("2024-05-09")
    report = client.get(
        "/v1/timeliness/report", params={"as_at": "2024-05-09"}, headers=auth["leader"]
    )
    decisions = report.json()["overall"]["decisions"]
    assert decisions["recorded"] == 2
    assert decisions["in_time"] == 1 and decisions["late"] == 1
    assert decisions["late_reasons"] == {"team_capacity": 1}
