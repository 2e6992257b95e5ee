"""The narrative check in the service's assessments: stored, flagged, never moving the estimate."""

from __future__ import annotations

import logging
from datetime import date

import narrative
from narrative.reader import MISSING_PACKAGE, PACKAGED_NAME, Reader

HEROIN = "Mum was injecting heroin in the bathroom while the baby cried."
NARRATIVE = f"Police attended after a neighbour called. The children were asleep upstairs. {HEROIN}"
# The estimate and everything made from the coded fields: the check may not touch any of it.
ESTIMATE_KEYS = ("risk", "explanation", "surface_reliance", "substantive_risk", "model")


def test_an_uncoded_concern_is_suggested_stored_and_read_back(client, auth, scored):
    assessment = scored("C-1", concerns=["3B"], narrative=NARRATIVE)
    check = assessment["narrative_check"]
    assert check["available"] is True
    assert check["model"]["name"] == PACKAGED_NAME and len(check["model"]["sha256"]) == 64
    by_code = {s["code"]: s for s in check["suggestions"]}
    assert by_code["2B"]["sentence"] == HEROIN
    assert by_code["2B"]["text"].startswith("The narrative may describe drug misuse by a parent")
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["assessment"]
    assert stored["narrative_check"] == check


def test_the_same_concern_coded_is_not_suggested(scored):
    check = scored("C-1", concerns=["2B"], narrative=NARRATIVE)["narrative_check"]
    assert check["available"] and "2B" not in {s["code"] for s in check["suggestions"]}


def test_no_narrative_gives_an_empty_list(scored):
    check = scored("C-1")["narrative_check"]
    assert check["available"] is True and check["suggestions"] == []


def test_suggestions_never_change_the_estimate(scored):
    without = scored("C-1", concerns=["3B"])
    with_text = scored("C-2", concerns=["3B"], narrative=NARRATIVE)
    assert with_text["narrative_check"]["suggestions"]
    for key in ESTIMATE_KEYS:
        assert with_text[key] == without[key], key


def test_a_batch_and_a_revision_carry_their_own_checks(client, auth, contact):
    batch = {"contacts": [contact("C-1", narrative=NARRATIVE), contact("C-2")]}
    first, second = client.post(
        "/v1/contacts/score/batch", json=batch, headers=auth["worker"]
    ).json()["assessments"]
    assert "2B" in {s["code"] for s in first["narrative_check"]["suggestions"]}
    assert second["narrative_check"]["suggestions"] == []
    revised = client.post(
        "/v1/contacts/C-2/revisions",
        json=contact("C-2", narrative=NARRATIVE, concerns=["2B"]),
        headers=auth["worker"],
    ).json()
    assert revised["revision"] == 2
    assert "2B" not in {s["code"] for s in revised["narrative_check"]["suggestions"]}


def test_a_missing_model_gives_available_false_and_a_normal_assessment(
    settings, started, auth_for, contact
):
    from service.app import create_app

    missing = Reader(name=PACKAGED_NAME, sha256=None, reason=MISSING_PACKAGE)
    app = create_app(settings, narrative_reader=missing)
    with started(app) as client:
        response = client.post(
            "/v1/contacts/score",
            json=contact("C-1", narrative=NARRATIVE),
            headers=auth_for(app, "worker"),
        )
    assert response.status_code == 200
    body = response.json()
    assert body["narrative_check"] == {
        "available": False,
        "model": {"name": PACKAGED_NAME, "sha256": None},
        "suggestions": [],
    }
    assert 0 <= body["risk"]["probability"] <= 1 and body["explanation"]["contributions"]


def test_the_model_is_loaded_once_per_process_not_per_request(
    settings, started, auth_for, contact, monkeypatch
):
    from service.app import create_app

    calls = []
    real = narrative.load_reader
    monkeypatch.setattr(narrative, "load_reader", lambda s: calls.append(s) or real(s))
    app = create_app(settings)
    with started(app) as client:
        headers = auth_for(app, "worker")
        for n in range(3):
            body = contact(f"C-{n}", narrative=NARRATIVE)
            assert client.post("/v1/contacts/score", json=body, headers=headers).status_code == 200
        assert app.state.narrative.available
    assert len(calls) == 1


def test_scoring_logs_no_narrative(client, auth, scored, caplog):
    with caplog.at_level(logging.DEBUG):
        scored("C-1", narrative=NARRATIVE)
        client.get("/v1/contacts/C-1", headers=auth["worker"])
    assert "heroin" not in caplog.text.lower()


def decide(client, headers, contact_id="C-1", **body):
    response = client.post(f"/v1/contacts/{contact_id}/decision", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_nfa_despite_an_uncoded_narrative_concern_is_flagged_and_queued(
    client, auth, scored, settings
):
    assessment = scored("C-1", concerns=["3B"], narrative=NARRATIVE)
    top = max(s["similarity"] for s in assessment["narrative_check"]["suggestions"])
    assert top >= settings.narrative_flag_similarity
    body = decide(client, auth["worker"], decision="nfa", reasons=["concerns_not_substantiated"])
    codes = [f["code"] for f in body["flags"]]
    assert "nfa_with_uncoded_narrative_concern" in codes
    assert body["flagged_for_review"] and body["review_id"]
    [flag] = [f for f in body["flags"] if f["code"] == "nfa_with_uncoded_narrative_concern"]
    assert "heroin" not in flag["text"].lower()  # the flag names the concern, never the text


def test_acting_on_it_or_coding_it_raises_no_narrative_flag(client, auth, scored):
    scored("C-1", concerns=["3B"], narrative=NARRATIVE)
    acted = decide(client, auth["worker"], decision="assessment", reasons=["other"])
    assert "nfa_with_uncoded_narrative_concern" not in [f["code"] for f in acted["flags"]]
    scored("C-2", concerns=["2B"], narrative=HEROIN)
    coded = decide(client, auth["worker"], "C-2", decision="nfa", reasons=["other"])
    assert "nfa_with_uncoded_narrative_concern" not in [f["code"] for f in coded["flags"]]


def test_the_flag_threshold_is_the_setting(settings, started, auth_for, contact):
    from data.workdays import FixedClock
    from service.app import create_app

    app = create_app(settings.model_copy(update={"narrative_flag_similarity": 0.99}))
    app.state.clock = FixedClock(date(2024, 5, 1))  # the contact's day: the decision is in time
    with started(app) as client:
        headers = auth_for(app, "worker")
        body = contact("C-1", concerns=["3B"], narrative=NARRATIVE)
        assert client.post("/v1/contacts/score", json=body, headers=headers).status_code == 200
        flags = decide(client, headers, decision="nfa", reasons=["other"])["flags"]
    assert "nfa_with_uncoded_narrative_concern" not in [f["code"] for f in flags]


def test_only_a_narrative_read_by_an_available_model_is_heavy_work(contact):
    from types import SimpleNamespace

    from service.contacts.canonical import canonicalise
    from service.contacts.schemas import ContactIn
    from service.contacts.service import runs_sentence_model

    plain = canonicalise(ContactIn.model_validate(contact("C-1")))
    told = canonicalise(ContactIn.model_validate(contact("C-2", narrative=NARRATIVE)))
    available, missing = SimpleNamespace(available=True), SimpleNamespace(available=False)
    assert runs_sentence_model([plain, told], available)  # type: ignore[arg-type]
    assert not runs_sentence_model([plain], available)  # type: ignore[arg-type]
    assert not runs_sentence_model([told], missing)  # type: ignore[arg-type]
    assert not runs_sentence_model([told], None)
