"""The pages under /ui through a test client: sign-in, CSRF, cookies, roles, forms, and that a
page stores what the JSON route stores."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from itsdangerous import URLSafeTimedSerializer
from markupsafe import escape

from config.settings import Settings
from service.app import create_app
from service.ui.session import COOKIE, MissingSecretKey

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def ui(app, client) -> Iterator[TestClient]:
    """A browser-like client on http://localhost (where cookies need not be Secure)."""
    with TestClient(app, base_url="http://localhost", follow_redirects=False) as browser:
        yield browser


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(ui: TestClient, headers: dict[str, str]) -> None:
    page = ui.get("/ui/login")
    response = ui.post(
        "/ui/login", data={"csrf_token": csrf_of(page.text), "token": token_of(headers)}
    )
    assert response.status_code == 303, response.text


def post_form(ui: TestClient, page_url: str, action: str, data: dict[str, Any]):
    """Post a form with the CSRF token of the page it is on."""
    token = csrf_of(ui.get(page_url).text)
    return ui.post(action, data={"csrf_token": token, **data})


def contact_form(contact_id: str = "C-UI", **changes: Any) -> dict[str, Any]:
    form = {
        "contact_id": contact_id,
        "received_at": "2024-05-01T09:30",
        "child_age_years": "6",
        "referral_source": "2A",
        "concerns": ["4B"],
        "prior_contacts_12m": "0",
        "previous_cp_plan": "no",
        "early_help_open": "no",
        "team_id": "north",
        "child_sex": "U",
        "child_ethnicity": "NOBT",
        "child_disability": "U",
    }
    return {**form, **changes}


def test_signed_out_user_is_sent_to_login_and_back(ui, auth):
    response = ui.get("/ui/contacts/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2Fcontacts%2Fnew"
    page = ui.get("/ui/login?next=/ui/contacts/new")
    assert page.status_code == 200 and 'value="/ui/contacts/new"' in page.text
    data = {"csrf_token": csrf_of(page.text), "token": token_of(auth["worker"])}
    signed = ui.post("/ui/login", data={**data, "next": "/ui/contacts/new"})
    assert signed.headers["location"] == "/ui/contacts/new"
    assert ui.get("/ui/contacts/new").status_code == 200


def test_login_sets_a_protected_cookie_and_logout_clears_it(ui, auth):
    page = ui.get("/ui/login")
    data = {"csrf_token": csrf_of(page.text), "token": token_of(auth["leader"])}
    response = ui.post("/ui/login", data=data)
    assert response.headers["location"] == "/ui/inbox"  # team leaders land on the inbox
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # plain http on localhost
    logout = post_form(ui, "/ui/reviews", "/ui/logout", {})
    assert logout.status_code == 303 and logout.headers["location"] == "/ui/login"
    assert ui.get("/ui/reviews").status_code == 303


def test_cookie_is_secure_away_from_localhost(app, client):
    with TestClient(app, base_url="https://triage.example") as remote:
        response = remote.get("/ui/login")
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_token_is_refused_without_echoing_it(ui, auth):
    page = ui.get("/ui/login")
    response = ui.post("/ui/login", data={"csrf_token": csrf_of(page.text), "token": "nope-123"})
    assert response.status_code == 401
    assert "not valid" in response.text and "nope-123" not in response.text
    assert 'id="token-error"' in response.text


@pytest.mark.parametrize("sent", [None, "forged"])
def test_forms_without_the_session_csrf_token_are_refused(ui, auth, sent):
    sign_in(ui, auth["worker"])
    data = contact_form()
    if sent is not None:
        data["csrf_token"] = sent
    response = ui.post("/ui/contacts/new", data=data)
    assert response.status_code == 403
    assert "This form has expired" in response.text


def test_login_form_needs_csrf_too(ui, auth):
    ui.get("/ui/login")
    response = ui.post("/ui/login", data={"token": token_of(auth["worker"])})
    assert response.status_code == 403


def test_duty_worker_gets_403_page_for_reviews(ui, auth):
    sign_in(ui, auth["worker"])
    response = ui.get("/ui/reviews")
    assert response.status_code == 403
    assert "<h1" in response.text and "You cannot open this page" in response.text
    assert ui.get("/ui/fairness").status_code == 403


def test_data_team_reads_fairness_but_not_contacts(ui, auth):
    sign_in(ui, auth["data"])
    assert ui.get("/ui/fairness").status_code == 200
    assert ui.get("/ui/contacts/new").status_code == 403


def test_contact_form_errors_sit_next_to_fields_and_keep_input(ui, auth):
    sign_in(ui, auth["worker"])
    data = contact_form("C-bad", child_age_years="nineteen", concerns=["4B", "21"])
    data.pop("referral_source")
    data["narrative"] = "Typed & kept <b>here</b>"
    response = post_form(ui, "/ui/contacts/new", "/ui/contacts/new", data)
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    for field in ("child_age_years", "referral_source", "concerns"):
        assert f'id="{field}-error"' in html, field
    assert 'value="nineteen"' in html and 'value="C-bad"' in html
    assert "Typed &amp; kept &lt;b&gt;here&lt;/b&gt;" in html
    assert re.search(r'value="4B" checked', html)


def test_page_and_json_route_store_the_same_thing(ui, client, auth, contact):
    json_body = contact("C-JSON", concerns=["4B"], received_at="2024-05-01T09:30:00+01:00")
    api = client.post("/v1/contacts/score", json=json_body, headers=auth["worker"]).json()
    sign_in(ui, auth["worker"])
    response = post_form(ui, "/ui/contacts/new", "/ui/contacts/new", contact_form("C-PAGE"))
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/contacts/C-PAGE"
    page = client.get("/v1/contacts/C-PAGE", headers=auth["worker"]).json()
    stored = client.get("/v1/contacts/C-JSON", headers=auth["worker"]).json()
    assert {**page["contact"], "contact_id": "x"} == {**stored["contact"], "contact_id": "x"}
    assert page["assessment"]["risk"] == api["risk"]
    assert page["assessment"]["explanation"] == api["explanation"]


def test_second_opinion_page_and_flagged_nfa(ui, client, auth, high_risk):
    sign_in(ui, auth["worker"])
    form = contact_form(
        "C-HIGH",
        concerns=high_risk["concerns"],
        prior_contacts_12m=str(high_risk["prior_contacts_12m"]),
        previous_cp_plan="yes",
    )
    post_form(ui, "/ui/contacts/new", "/ui/contacts/new", form)
    page = ui.get("/ui/contacts/C-HIGH")
    assert page.status_code == 200
    html = page.text
    assert "Band <strong>" in html and "<svg" in html
    assert "the band would range from" in html
    assessment = client.get("/v1/contacts/C-HIGH", headers=auth["worker"]).json()["assessment"]
    interval = assessment["risk"]["interval"]
    low, high = round(interval["low"] * 100), round(interval["high"] * 100)
    bands = (
        f"band {interval['band_low']}"
        if interval["band_low"] == interval["band_high"]
        else f"bands {interval['band_low']} to {interval['band_high']}"
    )
    assert f"between {low}% and {high}%</strong> ({bands})" in html
    assert "What this estimate cannot see" in html
    for limit in assessment["limits"]:
        assert f'data-limit="{limit["code"]}"' in html
        assert str(escape(limit["text"])) in html
    note = "Long note " * 500
    decided = post_form(
        ui,
        "/ui/contacts/C-HIGH",
        "/ui/contacts/C-HIGH/decision",
        {"decision": "nfa", "reasons": ["no_concerns_identified"], "note": note},
    )
    assert decided.status_code == 303
    shown = ui.get(decided.headers["location"]).text
    assert "Flagged for review" in shown and 'id="flags"' in shown
    stored = client.get("/v1/contacts/C-HIGH", headers=auth["worker"]).json()
    assert stored["decisions"][-1]["note"] == note
    assert stored["decisions"][-1]["flagged_for_review"]


def test_decision_form_errors_keep_input(ui, auth):
    sign_in(ui, auth["worker"])
    post_form(ui, "/ui/contacts/new", "/ui/contacts/new", contact_form("C-D"))
    response = post_form(
        ui,
        "/ui/contacts/C-D",
        "/ui/contacts/C-D/decision",
        {"reasons": ["other"], "note": "kept note", "review_by": "not-a-date"},
    )
    assert response.status_code == 422
    assert 'id="decision-error"' in response.text and 'id="review_by-error"' in response.text
    assert "kept note" in response.text and 'value="not-a-date"' in response.text


def test_review_queue_claim_and_overturn(ui, client, auth, high_risk, contact):
    client.post(
        "/v1/contacts/score", json=contact("C-R", **high_risk), headers=auth["worker"]
    ).raise_for_status()
    recorded = client.post(
        "/v1/contacts/C-R/decision", json={"decision": "nfa"}, headers=auth["worker"]
    ).json()
    review_id = recorded["review_id"]
    assert review_id
    sign_in(ui, auth["leader"])
    queue = ui.get("/ui/reviews?status=open&flag=nfa_despite_substantive_risk")
    assert queue.status_code == 200 and f"/ui/reviews/{review_id}" in queue.text
    bad = ui.get("/ui/reviews?age_band=99")
    assert bad.status_code == 422 and 'id="age_band-error"' in bad.text
    url = f"/ui/reviews/{review_id}"
    assert post_form(ui, url, f"{url}/claim", {}).status_code == 303
    assert 'id="claimed-by">leader<' in ui.get(url).text
    missing = post_form(ui, url, url, {"outcome": "overturned", "note": "kept"})
    assert missing.status_code == 422 and 'id="decision-error"' in missing.text
    assert "kept" in missing.text
    done = post_form(
        ui, url, url, {"outcome": "overturned", "note": "Needs one", "decision": "assessment"}
    )
    assert done.status_code == 303
    stored = client.get("/v1/contacts/C-R", headers=auth["worker"]).json()
    assert stored["decisions"][-1]["decision"] == "assessment"
    assert stored["decisions"][-1]["source"] == "review_overturn"


def test_unknown_contact_is_a_404_page(ui, auth):
    sign_in(ui, auth["worker"])
    response = ui.get("/ui/contacts/C-NONE")
    assert response.status_code == 404 and "Contact not found" in response.text


def test_static_files_are_served(ui):
    response = ui.get("/ui/static/govuk/govuk-frontend.min.css")
    assert response.status_code == 200 and "govuk" in response.text


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    settings = Settings(home=tmp_path, environment="production", secret_key=None)
    with pytest.raises(MissingSecretKey):
        create_app(settings)


def test_session_cookie_is_signed(ui, auth):
    ui.cookies.set(COOKIE, "forged.value", domain="localhost", path="/ui")
    assert ui.get("/ui/contacts/new").status_code == 303


def signed_in_cookie(ui: TestClient, auth) -> str:
    sign_in(ui, auth["leader"])
    assert ui.get("/ui/reviews").status_code == 200  # the genuine cookie opens the page
    genuine = ui.cookies.get(COOKIE)
    ui.cookies.clear()  # only the forged cookie is sent from here on
    return genuine


def test_a_cookie_signed_with_another_key_is_refused(ui, auth):
    genuine = signed_in_cookie(ui, auth)
    wrong = URLSafeTimedSerializer("not-the-key", salt="triage.ui.session")
    _, payload = wrong.loads_unsafe(genuine)  # the genuine session's own contents
    forged = wrong.dumps(payload)
    assert forged.split(".")[0] == genuine.split(".")[0]  # only the signature differs
    ui.cookies.set(COOKIE, forged, domain="localhost", path="/ui")
    response = ui.get("/ui/reviews")
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


@pytest.mark.parametrize("position", [0, 5, -1])
def test_a_valid_cookie_with_one_payload_byte_changed_is_refused(ui, auth, position):
    genuine = signed_in_cookie(ui, auth)
    payload, rest = genuine.split(".", 1)
    index = position % len(payload)
    flipped = "A" if payload[index] != "A" else "B"
    tampered = f"{payload[:index]}{flipped}{payload[index + 1 :]}.{rest}"
    ui.cookies.set(COOKIE, tampered, domain="localhost", path="/ui")
    response = ui.get("/ui/reviews")
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def page_routes(routes, prefix=""):
    """(method, path template) of every page route, through included routers."""
    for route in routes:
        if hasattr(route, "original_router"):  # a router included lazily
            inner = prefix + route.include_context.prefix
            yield from page_routes(route.original_router.routes, inner)
        elif isinstance(route, APIRoute) and route.path.startswith("/ui"):
            yield from ((m, prefix + route.path) for m in route.methods)


def test_every_state_changing_page_refuses_a_form_without_its_csrf_token(app, ui, auth):
    posts = sorted(p for m, p in page_routes(app.routes) if m != "GET" and m != "HEAD")
    assert {"/ui/login", "/ui/logout", "/ui/contacts/new", "/ui/reviews/{review_id}"} <= set(posts)
    assert all(m in ("GET", "HEAD", "POST") for m, _ in page_routes(app.routes))
    sign_in(ui, auth["leader"])  # may use every page: only the token is missing
    for template in posts:
        path = re.sub(r"\{[^}]+\}", "X-1", template)
        for sent in (None, "forged"):
            data = {} if sent is None else {"csrf_token": sent}
            response = ui.post(path, data=data)
            assert response.status_code == 403, (path, sent, response.status_code)
            assert "This form has expired" in response.text, (path, sent)


def test_assign_from_the_queue_and_refuse_a_non_leader(ui, client, auth, high_risk, contact):
    client.post(
        "/v1/contacts/score", json=contact("C-A", **high_risk), headers=auth["worker"]
    ).raise_for_status()
    review_id = client.post(
        "/v1/contacts/C-A/decision", json={"decision": "nfa"}, headers=auth["worker"]
    ).json()["review_id"]
    sign_in(ui, auth["leader"])
    action = f"/ui/reviews/{review_id}/assign"
    refused = post_form(ui, "/ui/reviews", action, {"assignee": "worker"})
    assert refused.status_code == 422 and 'id="assignee-error"' in refused.text
    assert post_form(ui, "/ui/reviews", action, {"assignee": "leader2"}).status_code == 303
    item = client.get(f"/v1/reviews/{review_id}", headers=auth["leader"]).json()
    assert item["assigned_to"] == "leader2"


def test_fairness_page_shows_the_audit_of_stored_decisions(ui, client, auth, contact):
    for index in range(3):
        client.post(
            "/v1/contacts/score", json=contact(f"C-F{index}"), headers=auth["worker"]
        ).raise_for_status()
        client.post(
            f"/v1/contacts/C-F{index}/decision", json={"decision": "nfa"}, headers=auth["worker"]
        ).raise_for_status()
    report = client.get("/v1/fairness/report", headers=auth["data"]).json()
    sign_in(ui, auth["data"])
    page = ui.get("/ui/fairness")
    assert page.status_code == 200
    assert f"({report['rows']} rows)" in page.text
    for caveat in report["caveats"]:
        assert str(escape(caveat)) in page.text


def test_hold_open_for_review_with_a_date(ui, client, auth):
    sign_in(ui, auth["worker"])
    post_form(ui, "/ui/contacts/new", "/ui/contacts/new", contact_form("C-HOLD"))
    decided = post_form(
        ui,
        "/ui/contacts/C-HOLD",
        "/ui/contacts/C-HOLD/decision",
        {
            "decision": "more_information",
            "reasons": ["insufficient_information"],
            "review_by": "2024-05-15",
        },
    )
    assert decided.status_code == 303
    assert "Review by 2024-05-15" in ui.get(decided.headers["location"]).text
    stored = client.get("/v1/contacts/C-HOLD", headers=auth["worker"]).json()
    assert stored["decisions"][-1]["review_by"] == "2024-05-15"


def test_new_contact_form_starts_at_not_known(ui, auth):
    sign_in(ui, auth["worker"])
    html = ui.get("/ui/contacts/new").text
    for value in ("U", "NOBT"):
        assert f'<option value="{value}" selected>' in html
    assert html.count(" selected>") == 3


def test_surface_notice_shows_when_the_estimate_rests_on_surface_features(app, scored):
    assessment = scored("C-S")
    macros = app.state.ui_templates.get_template("macros.html").module
    quiet = str(macros.assessment_summary(assessment))
    assert 'id="surface-warning"' not in quiet
    flagged = {**assessment, "surface_reliance": {**assessment["surface_reliance"]}}
    flagged["surface_reliance"]["flagged"] = True
    loud = str(macros.assessment_summary(flagged))
    assert 'id="surface-warning"' in loud and "rests mainly on surface features" in loud
    assert str(escape(assessment["surface_reliance"]["text"])) in loud


def test_ui_root_sends_each_user_to_their_start_page(ui, auth):
    assert ui.get("/ui").headers["location"] == "/ui/login"
    sign_in(ui, auth["leader"])
    assert ui.get("/ui").headers["location"] == "/ui/inbox"


def test_inbox_page_shows_the_clock_and_claim_opens_the_contact(ui, auth, client, contact, app):
    from data.workdays import FixedClock

    app.state.clock = FixedClock(date(2024, 5, 8))
    for contact_id, received in (("C-LATE", "2024-05-01T09:00"), ("C-TODAY", "2024-05-07T09:00")):
        body = contact(contact_id, received_at=received)
        scored = client.post("/v1/contacts/score", json=body, headers=auth["worker"])
        assert scored.status_code == 200
    sign_in(ui, auth["worker"])
    page = ui.get("/ui/inbox")
    assert page.status_code == 200
    # C-LATE was due on 2 May: 3, 7 and 8 May are late (6 May was a bank holiday).
    assert "3 working days overdue" in page.text and "due today" in page.text
    claimed = post_form(ui, "/ui/inbox", "/ui/inbox/C-LATE/claim", {})
    assert claimed.status_code == 303 and claimed.headers["location"] == "/ui/contacts/C-LATE"
    taken = client.post("/v1/inbox/C-LATE/claim", headers=auth["worker2"])
    assert taken.status_code == 409
    mine = ui.get("/ui/inbox?mine=1").text
    assert 'data-contact="C-LATE"' in mine and 'data-contact="C-TODAY"' not in mine
    released = post_form(ui, "/ui/inbox", "/ui/inbox/C-LATE/release", {})
    assert released.status_code == 303
    bad = ui.get("/ui/inbox?kind=everything")
    assert bad.status_code == 422 and "choose one of the list" in bad.text


def test_the_contact_page_shows_each_revision_and_what_changed(ui, auth, contact):
    secret = "The old account names the neighbour."
    body = contact("C-REV", narrative=secret)
    assert ui.post("/v1/contacts/score", json=body, headers=auth["worker"]).status_code == 200
    sign_in(ui, auth["worker"])
    assert 'id="revisions"' not in ui.get("/ui/contacts/C-REV").text  # one record, no changes
    changed = {**body, "concerns": ["3B", "4B"], "narrative": "A new account."}
    revised = ui.post("/v1/contacts/C-REV/revisions", json=changed, headers=auth["worker"])
    assert revised.status_code == 200, revised.text
    html = ui.get("/ui/contacts/C-REV").text
    table = html[
        html.index('id="revisions"') : html.index("</table>", html.index('id="revisions"'))
    ]
    assert "2 (latest)" in table and "First receipt" in table
    assert "concerns: 4B &rarr; 3B, 4B" in table and "narrative changed" in table
    assert secret not in table and "A new account." not in table
    assert f"Band {revised.json()['risk']['band']} (" in table


def test_a_late_decision_form_shows_the_clock_and_asks_for_late_reasons(ui, client, auth, app):
    from datetime import date

    from data.workdays import FixedClock

    sign_in(ui, auth["worker"])
    post_form(ui, "/ui/contacts/new", "/ui/contacts/new", contact_form("C-LATE"))
    in_time = ui.get("/ui/contacts/C-LATE").text
    assert 'id="decision-clock"' in in_time and 'name="late_reasons"' not in in_time
    app.state.clock = FixedClock(date(2024, 5, 6 + 2))  # due Thu 2 May; Mon 6 May a holiday
    page = ui.get("/ui/contacts/C-LATE").text
    assert "3 working days overdue" in page and 'name="late_reasons"' in page
    refused = post_form(
        ui,
        "/ui/contacts/C-LATE",
        "/ui/contacts/C-LATE/decision",
        {"decision": "nfa", "reasons": ["other"]},
    )
    assert refused.status_code == 422 and 'id="late_reasons-error"' in refused.text
    assert "Late reasons" in refused.text
    decided = post_form(
        ui,
        "/ui/contacts/C-LATE",
        "/ui/contacts/C-LATE/decision",
        {"decision": "nfa", "reasons": ["other"], "late_reasons": ["team_capacity"]},
    )
    assert decided.status_code == 303, decided.text
    stored = client.get("/v1/contacts/C-LATE", headers=auth["worker"]).json()
    assert stored["decisions"][-1]["late_reasons"] == ["team_capacity"]


def test_the_contact_page_shows_the_assessment_clock_and_completes_it(ui, client, auth, app):
    """Received Wed 1 May 2024: the assessment (45 working days) is due Fri 5 Jul 2024. The form
    goes to the same service as POST /v1/contacts/{id}/assessment: refusals name the field, late
    reasons are asked for only when late, and a need outcome records the outcome."""
    from data.workdays import FixedClock

    sign_in(ui, auth["worker"])
    post_form(ui, "/ui/contacts/new", "/ui/contacts/new", contact_form("C-AS"))
    assert 'id="assessment-clock"' not in ui.get("/ui/contacts/C-AS").text  # none decided yet
    decided = post_form(
        ui,
        "/ui/contacts/C-AS",
        "/ui/contacts/C-AS/decision",
        {"decision": "assessment", "reasons": ["other"]},
    )
    assert decided.status_code == 303, decided.text
    app.state.clock = FixedClock(date(2024, 7, 5))
    page = ui.get("/ui/contacts/C-AS").text
    assert "Assessment due 5 July 2024: <strong>due today</strong>" in page
    assert 'name="assessment_late_reasons"' not in page  # in time: no reasons asked for
    missing = post_form(ui, "/ui/contacts/C-AS", "/ui/contacts/C-AS/assessment", {})
    assert missing.status_code == 422
    assert 'id="completed_on-error"' in missing.text and 'id="outcome-error"' in missing.text
    assert 'href="#completed_on"' in missing.text and "Date completed:" in missing.text

    app.state.clock = FixedClock(date(2024, 7, 9))  # two working days after the due day
    page = ui.get("/ui/contacts/C-AS").text
    assert "<strong>2 working days overdue</strong>" in page
    assert 'name="assessment_late_reasons"' in page and 'name="assessment_late_note"' in page
    form = {"completed_on": "2024-07-08", "outcome": "child_in_need_plan", "assessment_note": "ok"}
    late = post_form(ui, "/ui/contacts/C-AS", "/ui/contacts/C-AS/assessment", form)
    assert late.status_code == 422 and 'id="assessment_late_reasons-error"' in late.text
    assert 'href="#assessment_late_reasons"' in late.text and "Late reasons" in late.text
    assert 'value="2024-07-08"' in late.text  # what was typed is kept
    future = post_form(
        ui,
        "/ui/contacts/C-AS",
        "/ui/contacts/C-AS/assessment",
        {**form, "completed_on": "2024-07-10", "assessment_late_reasons": ["team_capacity"]},
    )
    assert future.status_code == 422 and 'id="completed_on-error"' in future.text
    done = post_form(
        ui,
        "/ui/contacts/C-AS",
        "/ui/contacts/C-AS/assessment",
        {**form, "assessment_late_reasons": ["team_capacity"], "assessment_late_note": "Busy."},
    )
    assert done.status_code == 303, done.text
    shown = ui.get(done.headers["location"]).text
    assert 'id="completed"' in shown and 'id="assessment-completed"' in shown
    assert "outcome: <strong>Child in need plan</strong>" in shown
    assert 'action="/ui/contacts/C-AS/assessment"' not in shown  # no second completion
    inbox = client.get("/v1/inbox", params={"kind": "assessment_open"}, headers=auth["worker"])
    assert inbox.json()["items"] == []
    again = client.post(
        "/v1/contacts/C-AS/assessment",
        json={"completed_on": "2024-07-08", "outcome": "nfa", "late_reasons": ["other"]},
        headers=auth["worker"],
    )
    assert again.status_code == 409  # the page stored it through the same service
    report = client.get(
        "/v1/timeliness/report", params={"as_at": "2024-07-09"}, headers=auth["leader"]
    ).json()
    assert report["overall"]["assessments"]["late_reasons"] == {"team_capacity": 1}
