"""The demonstration seed: a recent synthetic slice through the services, refused when not empty."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from data.synthetic import GeneratorConfig, generate
from data.workdays import LONDON, FixedClock
from service.audit.service import verify
from service.audit.tables import AuditEvent
from service.auth.schemas import Caller, Role
from service.auth.service import add_user
from service.decisions.tables import DecisionRecord
from service.demo.seed import DEMO_ACTOR, DemoOptions, SeedRefused, seed_demo

NOW = datetime(2024, 9, 2, 17, 0, tzinfo=LONDON)  # a Monday
OPTIONS = DemoOptions(months=4, per_team=25, undecided=2, seed=1)


@pytest.fixture(scope="module")
def extract():
    return generate(GeneratorConfig(rows=4_000, seed=11))


def seed(app, extract, **changes):
    return seed_demo(
        app.state.db,
        app.state.champion,
        extract,
        settings=app.state.settings,
        now=NOW,
        options=DemoOptions(**{**OPTIONS.__dict__, **changes}),
    )


def test_a_seeded_store_has_timeliness_for_every_team_and_work_in_the_inbox(
    app, client, auth, extract
):
    result = seed(app, extract)
    assert result.contacts == 100 and result.undecided >= 8  # four teams, two newest each
    app.state.clock = FixedClock(NOW)
    report = client.get("/v1/timeliness/report", headers=auth["leader"]).json()
    teams = {t["team_id"]: t["overall"] for t in report["teams"]}
    assert sorted(teams) == ["T1", "T2", "T3", "T4"]
    for team in teams.values():
        assert team["decisions"]["recorded"] >= 20
        assert team["assessments"]["recorded"] > 0
    overall = report["overall"]
    assert overall["decisions"]["late_without_reasons"] == 0
    assert overall["assessments"]["late_without_reasons"] == 0
    assert sum(overall["decisions"]["late_reasons"].values()) >= overall["decisions"]["late"] > 0
    assert sum(overall["assessments"]["late_reasons"].values()) > 0
    inbox = client.get("/v1/inbox", params={"limit": 200}, headers=auth["worker"]).json()
    waiting = [item for item in inbox["items"] if item["kind"] == "awaiting_decision"]
    assert len(waiting) == result.undecided
    assert any(item["overdue"] for item in waiting) and not all(i["overdue"] for i in waiting)
    with app.state.db.read() as session:
        assert verify(session).ok


def test_a_user_of_one_team_sees_that_teams_demonstration_work_and_no_other(
    app, client, auth, extract
):
    result = seed(app, extract, undecided=3)
    assert result.teams == ("T1", "T2", "T3", "T4")
    app.state.clock = FixedClock(NOW)
    headers = {}
    for name, role in (("t2-worker", Role.DUTY_WORKER), ("t2-leader", Role.TEAM_LEADER)):
        with app.state.db.write.begin() as session:
            token = add_user(session, name, role, by=Caller("cli:test", Role.ADMIN), teams=["T2"])
        headers[name] = {"Authorization": f"Bearer {token}"}
    inbox = client.get("/v1/inbox", params={"limit": 200}, headers=headers["t2-worker"]).json()
    waiting = [i for i in inbox["items"] if i["kind"] == "awaiting_decision"]
    assert len(waiting) == 3 and {i["team_id"] for i in inbox["items"]} == {"T2"}
    everyone = client.get("/v1/inbox", params={"limit": 200}, headers=auth["worker"]).json()
    others = {i["contact_id"] for i in everyone["items"] if i["team_id"] != "T2"}
    assert others  # the other teams' work is there, for their users
    for contact_id in sorted(others)[:3]:
        got = client.get(f"/v1/contacts/{contact_id}", headers=headers["t2-worker"])
        assert got.status_code == 404
    queue = client.get("/v1/reviews", headers=headers["t2-leader"]).json()
    assert {r["team_id"] for r in queue["items"]} <= {"T2"}


def test_seeded_rows_are_recorded_by_the_demo_actor(app, client, extract):
    with app.state.db.read() as session:
        before = session.scalar(select(func.max(AuditEvent.seq))) or 0  # the champion's record
    seed(app, extract, per_team=3, undecided=0)
    with app.state.db.read() as session:
        actors = set(session.scalars(select(AuditEvent.actor).where(AuditEvent.seq > before)))
        decided_by = set(session.scalars(select(DecisionRecord.decided_by)))
    assert actors == {DEMO_ACTOR} and decided_by == {DEMO_ACTOR}


def test_seeding_twice_or_in_production_is_refused(app, client, extract):
    seed(app, extract, per_team=2, undecided=0)
    with pytest.raises(SeedRefused, match="already holds contacts"):
        seed(app, extract, per_team=2)
    app.state.settings = app.state.settings.model_copy(update={"environment": "production"})
    with pytest.raises(SeedRefused, match="production"):
        seed(app, extract, per_team=2)
