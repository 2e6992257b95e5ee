"""Every assessment says what it cannot see (``limits``) and how sure it is (``risk.interval``),
on both databases, stored and read back; a model registered before either still scores."""

from __future__ import annotations

import copy
import dataclasses

SCORE = "/v1/contacts/score"


def codes(assessment):
    return [limit["code"] for limit in assessment["limits"]]


def test_a_scored_contact_carries_limits_and_an_interval(client, auth, contact):
    body = client.post(SCORE, json=contact("C-1"), headers=auth["worker"]).json()
    assert codes(body)[0] == "narrative_not_input"
    assert {"never_has", "training_period"} <= set(codes(body))
    period = next(x for x in body["limits"] if x["code"] == "training_period")["text"]
    assert "The model learned from 3,000 contacts received from" in period
    risk, interval = body["risk"], body["risk"]["interval"]
    assert interval["method"] == "bootstrap" and interval["level"] == 0.9
    assert interval["replicates"] >= 100
    assert interval["low"] <= risk["probability"] <= interval["high"]
    assert interval["band_low"] <= risk["band"] <= interval["band_high"]
    assert interval["text"].startswith("Between ")
    # Stored with the contact and read back as it was given.
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()["assessment"]
    assert stored["limits"] == body["limits"] and stored["risk"] == risk


def test_a_rare_cell_is_named_with_its_count(client, auth, contact):
    # Schools do not refer babies: a baby from a school with four concerns is all but unseen.
    rare = contact("C-RARE", child_age_years=0, referral_source="2A",
                   concerns=["3B", "16A", "17A", "18C"])  # fmt: skip
    body = client.post(SCORE, json=rare, headers=auth["worker"]).json()
    [found] = [x for x in body["limits"] if x["code"] == "rare_cell"]
    assert found["n"] < 50
    assert found["text"].startswith(
        f"Few contacts like this one in the training data (n = {found['n']})"
    )
    common = client.post(SCORE, json=contact("C-COMMON"), headers=auth["worker"]).json()
    assert "rare_cell" not in codes(common)


def test_an_input_left_out_is_named_and_one_given_is_not(client, auth, contact):
    left_out = client.post(SCORE, json=contact("C-1"), headers=auth["worker"]).json()
    given = client.post(
        SCORE, json=contact("C-2", early_help_open=False), headers=auth["worker"]
    ).json()
    assert "defaulted:early_help_open" in codes(left_out)
    assert "defaulted:early_help_open" not in codes(given)
    assert given["risk"] == {**left_out["risk"]}


def test_batches_and_revisions_carry_limits_too(client, auth, contact):
    batch = client.post(
        f"{SCORE}/batch",
        json={"contacts": [contact("C-1"), contact("C-2", referral_source="10")]},
        headers=auth["worker"],
    ).json()["assessments"]
    assert all(a["limits"] and a["risk"]["interval"] for a in batch)
    assert "unknown:referral_source" in codes(batch[1])
    revised = client.post(
        "/v1/contacts/C-1/revisions", json=contact("C-1", concerns=[]), headers=auth["worker"]
    ).json()
    assert "unknown:concerns" in codes(revised) and revised["risk"]["interval"]


def test_a_model_registered_before_limits_and_intervals_still_scores(app, client, auth, contact):
    loaded = app.state.champion
    model = copy.copy(loaded.model)
    model.metadata = {
        k: v for k, v in model.metadata.items() if k not in ("interval", "training_facts")
    }
    app.state.champion = dataclasses.replace(loaded, model=model)
    response = client.post(SCORE, json=contact("C-OLD"), headers=auth["worker"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["risk"]["interval"] is None
    assert {"rare_cell_unknown", "training_period_unknown", "interval_unavailable"} <= set(
        codes(body)
    )
