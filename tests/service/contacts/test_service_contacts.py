"""Scoring, storing and reading contacts: the contract's shape, idempotency, validation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

SCORE = "/v1/contacts/score"
BATCH = "/v1/contacts/score/batch"


def test_score_returns_the_contract_assessment(client, auth, contact):
    response = client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contact_id"] == "C-1"
    assert body["model"]["name"] == "front-door-triage" and body["model"]["version"] == "1"
    assert body["model"]["run_id"]
    risk = body["risk"]
    assert 0 < risk["probability"] < 1 and 1 <= risk["band"] <= risk["bands"] == 10
    explanation = body["explanation"]
    assert explanation["method"] == "linear_shap" and explanation["output_space"] == "log_odds"
    shap = [c["shap"] for c in explanation["contributions"]]
    assert explanation["base_value"] + sum(shap) == pytest.approx(
        explanation["model_output"], abs=1e-6
    )
    assert shap == sorted(shap, key=lambda v: -abs(v))
    fields = {c["field"] for c in explanation["contributions"]}
    assert {"concerns", "child_age_years", "referral_source", "prior_contacts_12m"} <= fields
    surface = sum(
        abs(c["shap"])
        for c in explanation["contributions"]
        if c["field"] in ("child_age_years", "referral_source")
    )
    assert body["surface_reliance"]["share"] == pytest.approx(surface / sum(abs(v) for v in shap))
    assert body["surface_reliance"]["fields"] == ["child_age_years", "referral_source"]
    band_range = body["surface_reliance"]["band_if_surface_varied"]
    assert band_range["min"] <= risk["band"] <= band_range["max"]
    assert 1 <= body["substantive_risk"]["band"] <= 10
    assert body["warnings"] == []
    assert response.headers["x-request-id"]


def test_the_substantive_estimate_sets_the_surface_fields_to_neutral(client, auth, contact):
    a = client.post(SCORE, json=contact("C-1", child_age_years=0), headers=auth["worker"]).json()
    b = client.post(
        SCORE, json=contact("C-2", child_age_years=15, referral_source="9"), headers=auth["worker"]
    ).json()
    # Age and source change the estimate, but not the estimate without them.
    assert a["risk"]["probability"] != b["risk"]["probability"]
    assert a["substantive_risk"]["probability"] == pytest.approx(
        b["substantive_risk"]["probability"]
    )


def test_scoring_again_with_the_same_body_returns_the_stored_assessment(client, auth, contact):
    first = client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    again = client.post(SCORE, json=contact("C-1"), headers=auth["leader"])
    assert again.status_code == 200
    assert again.json() == first.json()


def test_the_same_contact_written_differently_is_the_same_body(client, auth, contact):
    original = contact("C-1", concerns=["3B", "18C"], received_at="2024-05-01T09:30:00+01:00")
    first = client.post(SCORE, json=original, headers=auth["worker"]).json()
    # Same instant as a naive London time, concerns reordered, a legacy code, defaults spelt out.
    same = {**original, "received_at": "2024-05-01T09:30:00", "concerns": ["18A", "3B"],
            "early_help_open": False, "child_sex": "U"}  # fmt: skip
    again = client.post(SCORE, json=same, headers=auth["worker"])
    assert again.status_code == 200
    assert again.json()["risk"] == first["risk"]
    assert again.json()["warnings"] == ["concerns: 18A is a legacy code, read as 18C"]


def test_a_different_body_under_a_stored_contact_id_is_409(client, auth, contact):
    client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    response = client.post(SCORE, json=contact("C-1", child_age_years=7), headers=auth["worker"])
    assert response.status_code == 409
    assert response.json()["type"] == "conflict" and "C-1" in response.json()["detail"]


def test_legacy_codes_are_stored_as_their_successors_with_a_warning(client, auth, contact):
    response = client.post(SCORE, json=contact("C-1", concerns=["19A"]), headers=auth["worker"])
    assert response.json()["warnings"] == ["concerns: 19A is a legacy code, read as 19C"]
    codes = [c["code"] for c in response.json()["explanation"]["contributions"]]
    assert "19C" in codes and "19A" not in codes
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()
    assert stored["contact"]["concerns"] == ["19C"]


def test_a_naive_time_in_the_repeated_hour_is_read_with_a_warning(client, auth, contact):
    body = contact("C-1", received_at="2024-10-27T01:30:00")
    response = client.post(SCORE, json=body, headers=auth["worker"])
    assert "ambiguous in Europe/London" in response.json()["warnings"][0]
    stored = client.get("/v1/contacts/C-1", headers=auth["worker"]).json()
    assert stored["contact"]["received_at"] == "2024-10-27T00:30:00Z"


@pytest.mark.parametrize(
    ("changes", "loc", "kind"),
    [
        ({"concerns": ["3B"], "concerns_": []}, ["body", "concerns_"], "extra_forbidden"),
        ({"referral_source": "11"}, ["body", "referral_source"], "enum"),
        ({"concerns": ["3B", "99Z"]}, ["body", "concerns", 1], "literal_error"),
        ({"concerns": ["21", "3B"]}, ["body", "concerns"], "value_error"),
        ({"concerns": ["18A", "18C"]}, ["body", "concerns"], "value_error"),
        ({"child_age_years": 18}, ["body", "child_age_years"], "less_than_equal"),
        ({"child_age_years": "5"}, ["body", "child_age_years"], "int_type"),
        ({"previous_cp_plan": "true"}, ["body", "previous_cp_plan"], "bool_type"),
        ({"prior_contacts_12m": -1}, ["body", "prior_contacts_12m"], "greater_than_equal"),
        ({"contact_id": "C 1"}, ["body", "contact_id"], "string_pattern_mismatch"),
        ({"received_at": 1714552200}, ["body", "received_at"], "value_error"),
        ({"received_at": "yesterday"}, ["body", "received_at"], "datetime_from_date_parsing"),
        ({"team_id": "t" * 65}, ["body", "team_id"], "string_too_long"),
        ({"narrative": "n" * 10_001}, ["body", "narrative"], "string_too_long"),
        ({"child_ethnicity": "XXXX"}, ["body", "child_ethnicity"], "enum"),
    ],
)
def test_an_invalid_contact_is_422_naming_the_field(client, auth, contact, changes, loc, kind):
    response = client.post(SCORE, json=contact("C-1", **changes), headers=auth["worker"])
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["loc"], e["type"]) for e in body["detail"]] == [(loc, kind)]
    assert all(set(e) == {"loc", "msg", "type"} for e in body["detail"])


def test_every_bad_field_is_named_at_once(client, auth, contact):
    body = contact("C-1", child_age_years=-1, referral_source="X")
    del body["previous_cp_plan"]
    response = client.post(SCORE, json=body, headers=auth["worker"])
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert locs == {
        ("body", "child_age_years"),
        ("body", "referral_source"),
        ("body", "previous_cp_plan"),
    }


def test_a_body_that_is_not_json_is_422(client, auth):
    headers = {**auth["worker"], "Content-Type": "application/json"}
    response = client.post(SCORE, content=b"{not json", headers=headers)
    assert response.status_code == 422 and response.json()["type"] == "validation_error"


def test_get_a_contact_with_its_assessment_and_decisions(client, auth, contact):
    assessment = client.post(
        SCORE, json=contact("C-1", narrative="Seen at school."), headers=auth["worker"]
    ).json()
    response = client.get("/v1/contacts/C-1", headers=auth["leader"])
    assert response.status_code == 200
    body = response.json()
    assert body["contact"]["narrative"] == "Seen at school."
    assert body["contact"]["received_at"] == "2024-05-01T08:30:00Z"
    assert body["assessment"] == {**assessment, "warnings": []}
    assert body["decisions"] == []


def test_an_unknown_contact_is_404_and_a_malformed_id_422(client, auth):
    response = client.get("/v1/contacts/C-404", headers=auth["worker"])
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    response = client.get("/v1/contacts/C%20404", headers=auth["worker"])
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == [
        "path",
        "contact_id",
    ]


def test_a_batch_is_scored_in_order(client, auth, contact):
    client.post(SCORE, json=contact("C-2"), headers=auth["worker"])  # already stored: replayed
    contacts = [contact(f"C-{i}", child_age_years=i) for i in (3, 1, 2)]
    contacts[2] = contact("C-2")
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.status_code == 200, response.text
    assessments = response.json()["assessments"]
    assert [a["contact_id"] for a in assessments] == ["C-3", "C-1", "C-2"]
    single = client.post(SCORE, json=contact("C-3", child_age_years=3), headers=auth["worker"])
    assert single.json() == assessments[0]


def test_a_batch_with_a_conflict_is_409_naming_it_and_stores_nothing(client, auth, contact):
    client.post(SCORE, json=contact("C-1"), headers=auth["worker"])
    contacts = [contact("C-2"), contact("C-1", child_age_years=9), contact("C-3")]
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.status_code == 409 and "C-1" in response.json()["detail"]
    assert client.get("/v1/contacts/C-2", headers=auth["worker"]).status_code == 404


def test_a_batch_repeating_a_contact_id_is_422(client, auth, contact):
    contacts = [contact("C-1"), contact("C-2"), contact("C-1")]
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "contacts", 2, "contact_id"]


def test_a_batch_names_the_bad_field_of_the_bad_contact(client, auth, contact):
    contacts = [contact("C-1"), contact("C-2", referral_source="X")]
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.json()["detail"][0]["loc"] == ["body", "contacts", 1, "referral_source"]


def test_a_batch_must_hold_1_to_1000_contacts(client, auth, contact):
    response = client.post(BATCH, json={"contacts": []}, headers=auth["worker"])
    assert response.status_code == 422
    contacts = [contact(f"C-{i}") for i in range(1001)]
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "contacts"]


def test_a_full_batch_of_1000_is_scored(client, auth, contact):
    contacts = [contact(f"C-{i}", child_age_years=i % 18) for i in range(1000)]
    response = client.post(BATCH, json={"contacts": contacts}, headers=auth["worker"])
    assert response.status_code == 200
    assert len(response.json()["assessments"]) == 1000


def test_concurrent_scoring_never_fails(client, auth, contact):
    def score(i: int) -> int:
        body = contact(f"C-{i}", child_age_years=i % 18)
        return client.post(SCORE, json=body, headers=auth["worker"]).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(score, range(40)))
    assert statuses == [200] * 40
    for i in (0, 39):
        assert client.get(f"/v1/contacts/C-{i}", headers=auth["worker"]).status_code == 200


def test_concurrent_duplicates_end_as_one_contact(client, auth, contact):
    def score(i: int):
        body = contact("C-1") if i % 2 else contact("C-1", child_age_years=10)
        return client.post(SCORE, json=body, headers=auth["worker"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(score, range(20)))
    assert {r.status_code for r in responses} <= {200, 409}
    winners = [r.json() for r in responses if r.status_code == 200]
    assert winners and all(w == winners[0] for w in winners)
    assert sum(r.status_code == 409 for r in responses) == 10
