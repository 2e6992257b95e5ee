"""The unit of work: the one place a service transaction is committed.

Services never commit. They take the session (or Core connection) of the transaction they run
in, and the caller's unit of work commits it if the work returns and rolls it back if it raises:
the write-session dependency of a route (``service.deps``), these runners for work handed to
:func:`service.blocking.run`, and ``db.write.begin()`` in the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from service.db import Database

T = TypeVar("T")


def in_session(db: Database, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``work(session, *args, **kwargs)`` in one write transaction, committed if it returns."""
    with db.write.begin() as session:
        return work(session, *args, **kwargs)


def in_connection(db: Database, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``work(connection, *args, **kwargs)`` in one Core write transaction, committed if it returns.

    A Core connection rather than a session for the hottest writes (plain INSERTs).
    """
    with db.engine.begin() as connection:
        return work(connection, *args, **kwargs)
