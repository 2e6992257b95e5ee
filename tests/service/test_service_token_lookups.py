"""Token checks made together (service.auth.lookups): each answer is a lone check's, the checks
of one event-loop turn share one lookup, an error reaches every request of the group, and a
revoked token is refused from the next request on. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from service.auth import lookups
from service.auth import service as auth_service
from service.auth.lookups import MAX_DIGESTS, TokenLookups, check_tokens
from service.auth.schemas import Caller, Role
from service.auth.service import add_user, check_token, revoke_user, rotate_token
from service.db import utcnow

ADMIN = Caller("cli:test", Role.ADMIN)


def add(app, name: str, role: Role = Role.DUTY_WORKER, teams=("north", "south"), days=90) -> str:
    with app.state.db.write.begin() as session:
        return add_user(session, name, role, by=ADMIN, days=days, max_days=365, teams=teams)


@pytest.fixture
def tokens(app, client, monkeypatch) -> list[str]:
    """One token of each kind: active with two teams, active without teams, rotated (old and
    new, both working in the overlap), revoked, soon expired, and nobody's."""
    active = add(app, "ada")
    admin = add(app, "root", Role.ADMIN, teams=())
    old = add(app, "bo")
    with app.state.db.write.begin() as session:
        new = rotate_token(session, "bo", by=ADMIN, overlap_hours=1)
    revoked = add(app, "cy")
    with app.state.db.write.begin() as session:
        revoke_user(session, "cy", by=ADMIN)
    expiring = add(app, "di", days=1)
    start = utcnow()  # two days on: di's token has expired, the rest have not
    monkeypatch.setattr(auth_service, "utcnow", lambda: start + timedelta(days=2))
    return [active, admin, old, new, revoked, expiring, "nobody's token"]


def lone(app, token: str):
    with app.state.db.lookup_engine.connect() as connection:
        return check_token(connection, token)


def test_each_check_of_a_group_is_the_lone_check(app, tokens):
    group = tokens + tokens[::-1]  # each twice, in both orders
    with app.state.db.lookup_engine.connect() as connection:
        together = check_tokens(connection, group)
    assert together == [lone(app, token) for token in group]
    kinds = {(c.holder, c.expired, c.teams) for c in together}
    assert (("ada", "duty_worker"), False, frozenset({"north", "south"})) in kinds
    assert (("root", "admin"), False, frozenset()) in kinds
    assert (None, True, frozenset()) in kinds  # di's expired
    assert (None, False, frozenset()) in kinds  # cy's revoked, nobody's


def test_the_old_token_of_a_rotation_ends_with_its_overlap(app, tokens):
    old = tokens[2]
    with app.state.db.lookup_engine.connect() as connection:
        [check] = check_tokens(connection, [old])
    assert check == lone(app, old)
    assert check.expired  # two days on: the hour of overlap is over


def test_more_tokens_than_one_statement_holds_are_checked_alike(app, client):
    many = [add(app, f"u{i}", teams=("north",)) for i in range(MAX_DIGESTS + 3)] + ["nobody's"]
    with app.state.db.lookup_engine.connect() as connection:
        together = check_tokens(connection, many)
    assert together == [lone(app, token) for token in many]
    assert [c.holder[0] for c in together[:-1] if c.holder] == [f"u{i}" for i in range(35)]


def test_the_checks_of_one_turn_share_one_lookup(app, tokens, monkeypatch):
    calls: list[list[str]] = []
    real = lookups.lookup_tokens

    def counted(db, group):
        calls.append(list(group))
        return real(db, group)

    monkeypatch.setattr(lookups, "lookup_tokens", counted)

    async def main():
        checker = TokenLookups()
        db = app.state.db
        together = await asyncio.gather(*(checker.check(db, token) for token in tokens))
        alone = [await checker.check(db, token) for token in tokens[:2]]
        return together, alone

    together, alone = asyncio.run(main())
    assert together == [lone(app, token) for token in tokens]
    assert alone == [lone(app, token) for token in tokens[:2]]
    assert calls == [tokens, tokens[:1], tokens[1:2]]


def test_a_failed_lookup_reaches_every_request_of_its_group(app, tokens, monkeypatch):
    def broken(db, group):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(lookups, "lookup_tokens", broken)

    async def main():
        checker = TokenLookups()
        checks = [checker.check(app.state.db, token) for token in tokens[:3]]
        return await asyncio.gather(*checks, return_exceptions=True)

    answers = asyncio.run(main())
    assert [type(a) for a in answers] == [RuntimeError] * 3


def test_a_revoked_token_is_refused_from_the_next_request_on(app, client):
    token = add(app, "ed")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=headers).status_code == 200
    with app.state.db.write.begin() as session:
        revoke_user(session, "ed", by=ADMIN)
    assert client.get("/v1/me", headers=headers).status_code == 401
