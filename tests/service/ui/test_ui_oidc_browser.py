"""Signing in to the pages at a real OpenID provider, in Debian's Chromium (Playwright).

A duty worker presses "Sign in with your organisation's account", signs in at the provider
(tests/oidc_provider) and lands on the inbox; signing out ends the service's session and the
provider's; a team leader in two groups gets the leaders' pages; someone whose group has no
role here gets a page saying whom to ask. The service's pages pass the same axe and console
checks as in test_ui_browser.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from oidc_server import Provider, free_port, running_provider
from test_ui_browser import check, chromium, page  # noqa: F401 (fixtures)

from config.settings import Settings
from service.app import create_app


@pytest.fixture
def oidc_server(
    champion_home,
    database_url,
    tmp_path,
    chromium,  # noqa: F811
) -> Iterator[tuple[str, Provider]]:
    """A live service on a free loopback port with OIDC sign-in through a live provider, on
    the database under test (SQLite, then PostgreSQL, like every service test)."""
    import uvicorn

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_provider(tmp_path, [base]) as provider:
        settings = Settings(
            home=champion_home,
            database_url=database_url,
            **provider.settings(),
        )
        app = create_app(settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        live = uvicorn.Server(config)
        thread = threading.Thread(target=live.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not live.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield base, provider
        finally:
            live.should_exit = True
            thread.join(timeout=10)


def sign_in(tab: Any, base: str, provider: Provider, login: str) -> None:
    """From a page of the service, through the provider's sign-in form, and back."""
    tab.goto(f"{base}/ui/inbox")
    tab.wait_for_url("**/ui/login?next=*")
    check(tab, f"oidc-login-{login}")
    assert tab.locator("#token").count() == 0  # token sign-in is off with OIDC
    tab.click("#oidc-sign-in")
    tab.wait_for_url(f"{provider.issuer}/interaction/*")
    tab.fill("input[name=login]", login)
    tab.fill("input[name=password]", "any password")
    # The provider's own test page asks for a web font and a favicon it cannot have offline:
    # its console errors are not the service's.
    tab.console_errors.clear()
    tab.click("button[type=submit]")


def test_a_worker_signs_in_at_the_provider_and_out_of_both(oidc_server, page):  # noqa: F811
    base, provider = oidc_server
    sign_in(page, base, provider, "amira")
    page.wait_for_url(f"{base}/ui/inbox")  # back where they were going
    check(page, "oidc-inbox-amira")
    assert "Sign out amira" in page.inner_text("nav")
    assert page.locator("nav a:has-text('Reviews')").count() == 0  # a duty worker

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{provider.issuer}/session/end*")  # the provider asks to confirm
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{base}/ui/login")
    page.goto(f"{base}/ui/inbox")
    page.wait_for_url("**/ui/login?next=*")  # signed out here
    page.click("#oidc-sign-in")
    page.wait_for_url(f"{provider.issuer}/interaction/*")  # and there: asked to sign in again
    assert page.locator("input[name=login]").count() == 1


def test_a_leader_gets_the_leaders_pages_and_an_unmapped_group_is_told_whom_to_ask(
    oidc_server,
    page,  # noqa: F811
):
    base, provider = oidc_server
    sign_in(page, base, provider, "lee")
    page.wait_for_url(f"{base}/ui/inbox")
    page.click("nav a:has-text('Reviews')")
    page.wait_for_url(f"{base}/ui/reviews")
    check(page, "oidc-reviews-lee")

    page.context.clear_cookies()  # another person at the same machine
    sign_in(page, base, provider, "nobody")
    page.wait_for_selector("#whom-to-ask")
    assert "You cannot use this service yet" in page.inner_text("h1")
    assert "Ask your team leader or your IT service desk" in page.inner_text("#whom-to-ask")
    check(page, "oidc-refused-nobody", status=403)
