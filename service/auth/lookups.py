"""The token checks of the requests that arrive together, made in one statement.

Every authenticated request reads its caller's token. Made one by one, each read takes a
connection from the pool, runs a statement and (on PostgreSQL) hops to the thread pool and back:
about a tenth of a scored contact's server CPU (py-spy, 2026-12-03). :class:`TokenLookups` lets
the requests that reach their token check in one turn of the event loop share one connection,
one ``IN (...)`` statement and one hop. The lookup is scheduled with ``loop.call_soon``, never a
timer, so a lone request waits for nothing but the rest of the loop's current turn.

Each answer is :func:`~service.auth.service.judge_token` of the rows of that token's digest, as a
lone :func:`~service.auth.service.check_token` judges them; nothing is kept from one turn to the
next, so a revoked or rotated token is refused from the next request on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Connection, String, bindparam, or_, select
from sqlalchemy.exc import DBAPIError

from service import blocking
from service.auth.service import HOLDER_COLUMNS, TokenCheck, hash_token, judge_token
from service.auth.tables import User, UserTeam
from service.db import Database
from service.prebuilt import Prebuilt

# Digests per statement: a larger group is looked up in several (each size is compiled once).
MAX_DIGESTS = 32


@cache
def _holders(n: int) -> Prebuilt:
    """The rows of the tokens of ``n`` digests (parameters ``d0`` to ``d{n-1}``)."""
    digests: list[BindParameter[str]] = [bindparam(f"d{i}", type_=String) for i in range(n)]
    return Prebuilt(
        select(*HOLDER_COLUMNS)
        .outerjoin(UserTeam, UserTeam.user_name == User.name)
        .where(or_(User.token_hash.in_(digests), User.previous_token_hash.in_(digests)))
    )


def check_tokens(connection: Connection, tokens: Sequence[str]) -> list[TokenCheck]:
    """:func:`~service.auth.service.check_token` of each of ``tokens``, in few statements."""
    digests = [hash_token(token) for token in tokens]
    unique = list(dict.fromkeys(digests))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(unique), MAX_DIGESTS):
        part = unique[start : start + MAX_DIGESTS]
        rows += _holders(len(part)).all(connection, {f"d{i}": d for i, d in enumerate(part)})
    return [judge_token([r for r in rows if digest in (r[2], r[5])], digest) for digest in digests]


def lookup_tokens(db: Database, tokens: Sequence[str]) -> list[TokenCheck]:
    """:func:`check_tokens` on the lookup engine (on PostgreSQL outside any transaction: one
    round trip). Should the connection turn out dead (the server restarted since its last use),
    the read is made once more on a fresh connection: it writes nothing, so repeating is safe."""
    try:
        with db.lookup_engine.connect() as connection:
            return check_tokens(connection, tokens)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with db.lookup_engine.connect() as connection:
        return check_tokens(connection, tokens)


Waiting = list[tuple[str, "asyncio.Future[TokenCheck]"]]


class TokenLookups:
    """The token checks asked for in one turn of the event loop, looked up together."""

    def __init__(self) -> None:
        self._waiting: Waiting = []
        self._running: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def check(self, db: Database, token: str) -> TokenCheck:
        """Whose ``token`` is, if active and unexpired, or why not (as ``check_token``)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[TokenCheck] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._look_up, db)
        self._waiting.append((token, answer))
        return await answer

    def _look_up(self, db: Database) -> None:
        """Take the turn's checks; on SQLite look them up at once (local and short: inline, as
        ``service.blocking`` does), on PostgreSQL in one trip to the thread pool."""
        waiting, self._waiting = self._waiting, []
        tokens = [token for token, _ in waiting]
        if not db.is_sqlite:
            task = asyncio.ensure_future(_pooled(db, tokens, waiting))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            return
        try:
            checks = lookup_tokens(db, tokens)
        except Exception as error:  # every request of the group gets the lookup's error
            _answer(waiting, error=error)
            return
        _answer(waiting, checks)


async def _pooled(db: Database, tokens: list[str], waiting: Waiting) -> None:
    try:
        checks = await blocking.run(db, lookup_tokens, db, tokens)
    except Exception as error:  # every request of the group gets the lookup's error
        _answer(waiting, error=error)
        return
    except asyncio.CancelledError:  # the loop is closing: so are the requests
        for _, answer in waiting:
            answer.cancel()
        raise
    _answer(waiting, checks)


def _answer(
    waiting: Waiting, checks: list[TokenCheck] | None = None, error: Exception | None = None
) -> None:
    """Give each waiting request its check (or the error), unless it was cancelled meanwhile."""
    for i, (_, answer) in enumerate(waiting):
        if answer.done():
            continue
        if checks is not None:
            answer.set_result(checks[i])
        else:
            answer.set_exception(error or RuntimeError("no token check"))
