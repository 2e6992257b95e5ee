"""An NFA following an estimate that rests mainly on surface features is flagged, end to end.

The surface-share threshold is a setting; it is lowered here so that the small test model's
most surface-reliant estimates (nothing reported, a baby, an anonymous caller) cross it.
"""

from __future__ import annotations

import pytest

THRESHOLD = 0.25


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"surface_share_threshold": THRESHOLD})


def test_an_nfa_following_a_surface_estimate_is_flagged(client, auth, contact):
    candidates = [
        contact(f"C-{age}-{source}", concerns=[], child_age_years=age, referral_source=source)
        for age in (0, 3, 15)
        for source in ("9", "10", "6")
    ]
    response = client.post(
        "/v1/contacts/score/batch", json={"contacts": candidates}, headers=auth["worker"]
    )
    assessments = response.json()["assessments"]
    assert all(a["surface_reliance"]["threshold"] == THRESHOLD for a in assessments)
    most = max(assessments, key=lambda a: a["surface_reliance"]["share"])
    assert most["surface_reliance"]["flagged"], "no estimate rests mainly on age and source"
    body = {"decision": "nfa", "reasons": ["no_concerns_identified"]}
    url = f"/v1/contacts/{most['contact_id']}/decision"
    decided = client.post(url, json=body, headers=auth["worker"]).json()
    [flag] = decided["flags"]
    assert flag["code"] == "nfa_on_surface_features_only" and "rests mainly" in flag["text"]
    assert decided["review_id"]
    # The same reasons after an estimate resting on the concerns are not flagged.
    least = min(assessments, key=lambda a: a["surface_reliance"]["share"])
    assert not least["surface_reliance"]["flagged"]
    url = f"/v1/contacts/{least['contact_id']}/decision"
    assert client.post(url, json=body, headers=auth["worker"]).json()["flags"] == []
