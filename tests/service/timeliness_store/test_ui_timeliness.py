"""The /ui/timeliness page renders the same report as the route, notes for team leaders only."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def ui(app, client) -> Iterator[TestClient]:
    """A browser-like client on http://localhost (where cookies need not be Secure)."""
    with TestClient(app, base_url="http://localhost", follow_redirects=False) as browser:
        yield browser


def sign_in(ui: TestClient, headers: dict[str, str]) -> None:
    csrf = CSRF.search(ui.get("/ui/login").text).group(1)
    token = headers["Authorization"].removeprefix("Bearer ")
    response = ui.post("/ui/login", data={"csrf_token": csrf, "token": token})
    assert response.status_code == 303, response.text


def test_leader_sees_shares_reasons_and_notes(ui, auth, store):
    sign_in(ui, auth["leader"])
    page = ui.get("/ui/timeliness", params={"team": "north"})
    assert page.status_code == 200, page.text
    assert "60% (" in page.text and "of 5" in page.text  # decisions in time, with the interval
    assert "The team did not have capacity: 2" in page.text
    assert "The allocated worker was absent: 1" in page.text
    assert "Could not see the child: 1" in page.text
    assert "short-staffed" in page.text and "Team south" not in page.text
    assert 'href="/ui/timeliness"' in page.text  # the nav link


def test_data_team_sees_no_notes_workers_may_not_open_it(ui, auth, store):
    sign_in(ui, auth["data"])
    page = ui.get("/ui/timeliness")
    assert page.status_code == 200
    assert "The team did not have capacity: 2" in page.text
    assert "short-staffed" not in page.text and "moved away" not in page.text
    assert ui.get("/ui/timeliness", params={"as_at": "soon"}).status_code == 422
    ui.cookies.clear()
    sign_in(ui, auth["worker"])
    assert ui.get("/ui/timeliness").status_code == 403
