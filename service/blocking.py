"""Where a route's work runs: on the event loop when it is short and need not wait, else in the
thread pool.

FastAPI runs every plain ``def`` route and dependency in a thread pool, and under load each hop
there costs more than scoring a contact (profiled: a bare FastAPI route answers about half as
fast from the pool as from the loop). On the embedded SQLite store the work of the hot routes is
local and short (well under a millisecond), so :func:`run` does it on the loop, with writes in
"no waiting" mode: if another writer holds the lock, nothing has been written yet and the work is
run again in the pool, where waiting is fine. On PostgreSQL (network round trips) it always goes
to the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from service.db import Database, WriterBusy, no_waiting

P = ParamSpec("P")
T = TypeVar("T")


async def run(db: Database, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``work(*args, **kwargs)``: inline on SQLite unless a write would wait, else pooled.

    ``work`` must write nothing before its first write transaction begins (true of one
    transaction per call), so that running it again after WriterBusy repeats nothing.
    """
    if db.is_sqlite:
        try:
            with no_waiting():
                return work(*args, **kwargs)
        except WriterBusy:
            pass
    return await run_in_threadpool(work, *args, **kwargs)


async def compute(light: bool, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run CPU work inline when ``light`` (well under a millisecond), else in the thread pool.

    The hop to the pool and back costs more than assessing a contact without a narrative
    (profiled: about a tenth of a scored contact's CPU, and the pool thread then contends with
    the event loop for the GIL); work that runs the sentence model takes tens of milliseconds
    and must not stall every other request, so it goes to the pool.
    """
    if light:
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)
