"""The pages in a real browser: Debian's Chromium driven by Playwright against a live server.

A duty worker signs in, enters a contact with a narrative, reads the second opinion and the
narrative check's prompts and records an NFA that gets flagged; a team leader finds it in the
queue, claims it and overturns it; the contact page then shows the new decision. Every page is
checked with axe-core (no serious or critical violations) and for console errors; screenshots
go to ``var/test-artifacts/ui`` (or ``$TRIAGE_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from trust_records import trust_champion

from config.settings import Settings
from service.app import create_app
from service.auth.schemas import Caller, Role
from service.auth.service import add_user

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("TRIAGE_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "ui"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
BLOCKING = ("serious", "critical")
# A narrative with a concern that is not coded in the browser flow (drug misuse by a parent).
NARRATIVE = (
    "Police attended after a neighbour called. "
    "Mum was injecting heroin in the bathroom while the baby cried."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium: required in CI, else these tests are skipped."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def server(champion_home, database_url, chromium) -> Iterator[tuple[str, dict[str, str]]]:
    """A live uvicorn server on a free loopback port, a fresh database (SQLite and PostgreSQL,
    like every service test: ``database_url``), and tokens."""
    import uvicorn

    settings = Settings(home=champion_home, database_url=database_url)
    trust_champion(settings)
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not live.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    tokens = {}
    for name, role in (("worker", Role.DUTY_WORKER), ("leader", Role.TEAM_LEADER)):
        with app.state.db.write.begin() as session:
            tokens[name] = add_user(
                session, name, role, by=Caller("cli:test", Role.ADMIN), teams=["north"]
            )
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        live.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(chromium) -> Iterator[Any]:
    """A Chromium page collecting console errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        # axe in every page as an init script: the pages' CSP rightly refuses inline scripts.
        context.add_init_script(path=str(AXE))
        tab = context.new_page()
        tab.console_errors = []
        tab.on("console", lambda m: m.type == "error" and tab.console_errors.append(m.text))
        tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
        try:
            yield tab
        finally:
            browser.close()


def check(page: Any, name: str, *, status: int | None = None) -> None:
    """No console errors, no serious or critical axe violations; save a screenshot.

    ``status``: the page itself was answered with this error status on purpose (a form sent
    back with its errors is 422), which Chromium reports as a failed load of the document.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    expected = f"the server responded with a status of {status} "
    errors = [e for e in page.console_errors if status is None or expected not in e]
    assert errors == [], f"{name}: {errors}"
    page.console_errors.clear()
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert bad == [], f"{name}: {bad}"
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/ui/login")
    check(page, "01-login")
    # Keyboard only: the first Tab reaches the skip link, later ones the token field.
    page.keyboard.press("Tab")
    assert "govuk-skip-link" in page.evaluate("document.activeElement.className")
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "token":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def score_contact(base: str, token: str, contact_id: str, received_at: str | None = None) -> None:
    """Score a 14-year-old's contact for team north over HTTP (received now unless given)."""
    import httpx

    body = {
        "contact_id": contact_id,
        "received_at": received_at or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "child_age_years": 14,
        "referral_source": "9",
        "concerns": ["4B"],
        "prior_contacts_12m": 1,
        "previous_cp_plan": False,
        "team_id": "north",
    }
    headers = {"Authorization": f"Bearer {token}"}
    scored = httpx.post(f"{base}/v1/contacts/score", json=body, headers=headers)
    assert scored.status_code == 200, scored.text


def test_worker_flags_an_nfa_and_a_leader_overturns_it(server, page):
    base, tokens = server
    page.goto(f"{base}/ui/reviews")
    assert "/ui/login" in page.url  # signed out: sent to sign in

    sign_in(page, base, tokens["worker"])
    assert page.url.endswith("/ui/inbox")  # duty workers land on the inbox
    page.click("text=New contact")
    check(page, "02-new-contact")

    page.fill("#contact_id", "C-BROWSER")
    # Received now, so this decision is in time (the inbox test below records a late one).
    page.fill("#received_at", time.strftime("%Y-%m-%dT%H:%M", time.gmtime()))
    page.fill("#child_age_years", "six")
    page.select_option("#referral_source", "2A")
    page.fill("#concern-filter", "domestic")
    assert page.locator("[data-search]:visible").count() < 10  # the list narrows as you type
    page.fill("#concern-filter", "")
    for code in ("3B", "16A", "17A", "18C", "19C", "11A"):
        page.check(f"#concern-{code}")
    page.fill("#prior_contacts_12m", "5")
    page.check("#previous_cp_plan-1")
    page.check("#early_help_open-2")
    page.fill("#narrative", NARRATIVE)
    with page.expect_navigation():
        page.click("button:has-text('Get a second opinion')")
    assert page.locator("#child_age_years-error").is_visible()
    assert page.input_value("#contact_id") == "C-BROWSER"
    assert page.is_checked("#concern-16A")
    check(page, "03-new-contact-errors", status=422)

    page.fill("#child_age_years", "6")
    page.click("button:has-text('Get a second opinion')")
    page.wait_for_url("**/ui/contacts/C-BROWSER")
    assert page.locator("#band").is_visible()
    assert "the band would range from" in page.inner_text("#band-range")
    assert page.locator("svg.app-chart rect").count() >= 3
    assert page.locator("#contributions li").count() >= 3
    interval = page.inner_text("#interval")
    assert re.search(r"between \d+% and \d+% \(bands? \d+( to \d+)?\)", interval)
    assert page.locator("#limits li").count() >= 3
    assert "not a model input" in page.inner_text("#limits")
    assert page.locator("#limits li[data-limit='never_has']").is_visible()
    # The narrative check's prompts: under the estimate, before the decision form.
    assert "drug misuse by a parent or carer" in page.inner_text("#narrative-suggestions")
    assert "Prompts for your own reading" in page.inner_text("#narrative-check")
    after = page.evaluate(
        """() => {
          const band = document.querySelector('#band');
          const check = document.querySelector('#narrative-check');
          const form = document.querySelector('form[action$="/decision"]');
          const following = (a, b) => Boolean(a.compareDocumentPosition(b) & 4);
          return [following(band, check), following(check, form)];
        }"""
    )
    assert after == [True, True]
    check(page, "04-second-opinion")

    page.check("#decision-1")  # No further action
    page.check("#reasons-1")  # No concerns identified
    page.fill("#note", "Spoke to the school. " * 40)
    page.click("button:has-text('Record decision')")
    page.wait_for_selector("#recorded")
    assert "Flagged for review" in page.inner_text("#recorded")
    assert page.locator("#flags li").count() >= 1
    assert "the narrative check suggested" in page.inner_text("#flags")
    check(page, "05-nfa-flagged")

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/ui/login")
    sign_in(page, base, tokens["leader"])
    assert page.url.endswith("/ui/inbox")  # team leaders land on the inbox too
    page.click("nav a:has-text('Reviews')")
    page.wait_for_url("**/ui/reviews")
    check(page, "06-review-queue")
    assert page.locator("#queue a:has-text('C-BROWSER')").count() == 1
    page.click("#queue button:has-text('Claim')")
    page.wait_for_url("**/ui/reviews/*")
    assert page.inner_text("#claimed-by") == "leader"
    check(page, "07-review")

    page.check("#outcome-2")  # overturn
    page.fill("#note", "Two domestic abuse contacts this year: needs an assessment.")
    page.check("#decision-5")  # Assessment
    page.check("#reasons-7")  # Other
    with page.expect_navigation():
        page.click("button:has-text('Resolve review')")
    assert "overturned" in page.inner_text("main")
    check(page, "08-review-resolved")

    page.goto(f"{base}/ui/contacts/C-BROWSER")
    decisions = page.inner_text("#decisions")
    assert "Overturn on review" in decisions and "Assessment" in decisions
    check(page, "09-contact-after-overturn")


def test_worker_lands_on_the_inbox_claims_the_overdue_contact_and_decides(server, page):
    base, tokens = server
    score_contact(base, tokens["worker"], "C-OVERDUE", "2024-05-01T09:30:00+01:00")
    score_contact(base, tokens["worker"], "C-NEW")

    sign_in(page, base, tokens["worker"])
    assert page.url.endswith("/ui/inbox")
    check(page, "10-inbox")
    overdue = page.locator("#overdue tr[data-contact='C-OVERDUE']")
    assert "working days overdue" in overdue.inner_text()
    assert page.locator("#overdue tr[data-contact='C-NEW']").count() == 0
    with page.expect_navigation():
        overdue.locator("button:has-text('Claim and open')").click()
    assert page.url.endswith("/ui/contacts/C-OVERDUE")
    check(page, "11-claimed-contact")

    # Overdue: the form shows the clock and asks why; without a reason it is refused.
    assert "working days overdue" in page.inner_text("main")
    page.check("input[name='decision'][value='more_information']")
    page.check("input[name='reasons'][value='other']")
    page.fill("#note", "Asked the caller for the school's name.")
    with page.expect_navigation():
        page.click("button:has-text('Record decision')")
    assert page.locator("#late_reasons-error").is_visible()
    check(page, "11b-late-decision-needs-reasons", status=422)
    page.check("input[name='late_reasons'][value='team_capacity']")
    page.fill("#late_note", "Two workers off sick this week.")
    page.click("button:has-text('Record decision')")
    page.wait_for_selector("#recorded")

    page.click("nav a:has-text('Inbox')")
    page.wait_for_url("**/ui/inbox")
    assert page.locator("tr[data-contact='C-OVERDUE']").count() == 0  # decided: it has left
    assert page.locator("tr[data-contact='C-NEW']").count() == 1
    check(page, "12-inbox-after-decision")


def test_leader_reads_timeliness_by_team_and_month(server, page):
    import httpx

    base, tokens = server
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    # C-T1 is received now and decided at once (in time); C-T2 is overdue.
    score_contact(base, tokens["worker"], "C-T1")
    score_contact(base, tokens["worker"], "C-T2", "2024-05-01T09:30:00+01:00")
    decided = httpx.post(
        f"{base}/v1/contacts/C-T1/decision",
        json={"decision": "nfa", "reasons": ["other"], "note": "n"},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text

    sign_in(page, base, tokens["leader"])
    page.click("nav a:has-text('Timeliness')")
    page.wait_for_url("**/ui/timeliness")
    assert "Team north" in page.inner_text("main")
    check(page, "13-timeliness")


def test_worker_completes_an_overdue_assessment_from_the_contact_page(server, page):
    """Received 1 May 2024 and sent for assessment: the assessment (due 5 July 2024) is long
    overdue, so the page shows its clock and the completion form asks why it is late."""
    import httpx

    base, tokens = server
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    score_contact(base, tokens["worker"], "C-ASSESS", "2024-05-01T09:30:00+01:00")
    decided = httpx.post(
        f"{base}/v1/contacts/C-ASSESS/decision",
        json={"decision": "assessment", "reasons": ["other"], "late_reasons": ["team_capacity"]},
        headers=headers,
    )
    assert decided.status_code == 200, decided.text

    sign_in(page, base, tokens["worker"])
    page.goto(f"{base}/ui/contacts/C-ASSESS")
    clock = page.locator("#assessment-clock").inner_text()
    assert "Assessment due 5 July 2024" in clock and "working days overdue" in clock
    check(page, "20-assessment-open")
    page.fill("#completed_on", "2024-07-10")
    page.check("input[name='outcome'][value='child_in_need_plan']")
    page.fill("#assessment_note", "Plan agreed with the family.")
    with page.expect_navigation():
        page.click("button:has-text('Complete assessment')")
    assert page.locator("#assessment_late_reasons-error").is_visible()
    assert page.locator(".govuk-error-summary a[href='#assessment_late_reasons']").is_visible()
    check(page, "21-assessment-needs-late-reasons", status=422)
    page.check("input[name='assessment_late_reasons'][value='family_not_at_home']")
    page.fill("#assessment_late_note", "Three visits, nobody at home.")
    page.click("button:has-text('Complete assessment')")
    page.wait_for_selector("#completed")
    assert "Child in need plan" in page.locator("#assessment-completed").inner_text()
    check(page, "22-assessment-completed")
