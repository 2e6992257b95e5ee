"""Group commit: requests for the same write that arrive together are stored together.

Each hot write route (scoring a contact, recording a decision) submits its request's work to
its process's :class:`Group` and awaits the answer. The first submission schedules a flush with
``loop.call_soon`` (no timer: a request alone is never delayed); the flush takes every member
submitted meanwhile and does their work in ONE write transaction, so the per-transaction costs
(the model's per-call overhead, a connection, BEGIN/COMMIT, the audit chain's head row) are paid
once per group instead of once per request. While a flush waits on the database (PostgreSQL, in
the thread pool), new members gather for the next one. Every member's answer is given only
once that transaction has committed (durable when answered).

If doing them together raises anything (a replayed or repeated ``contact_id``, a 404 or 422 of
one member, a database error), the transaction has rolled back and each member is run alone,
in order, through the route's own single-request path: every request gets exactly the answer
or the error it would have had alone.

A group is per process and holds nothing between flushes: correctness never depends on it
(several processes or replicas each group their own requests; the database serialises them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

M = TypeVar("M")
R = TypeVar("R")

logger = logging.getLogger("triage.service")


class Group(Generic[M, R]):
    """Members submitted together are done by ``together`` in one transaction; each member by
    ``alone`` when that fails (or when it is alone). At most ``most`` members per flush."""

    def __init__(
        self,
        together: Callable[[list[M]], Awaitable[list[R]]],
        alone: Callable[[M], Awaitable[R]],
        *,
        most: int,
    ) -> None:
        self.together = together
        self.alone = alone
        self.most = most
        self._waiting: list[tuple[M, asyncio.Future[R]]] = []
        self._flushing = False
        self._tasks: set[asyncio.Task[None]] = set()  # strong references to running flushes
        self.flushes = 0  # transactions tried together (for tests and profiles)

    async def submit(self, member: M) -> R:
        """``member``'s answer once the transaction that stored it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((member, future))
        if not self._flushing:
            self._flushing = True
            # After the callbacks already ready: requests that arrived in the same turn of the
            # loop submit first, and join this flush.
            loop.call_soon(self._start, loop)
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        task = loop.create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
                await self._settle(batch)
        finally:
            self._flushing = False
            for _, future in self._waiting:  # only if the flush itself was cancelled
                future.cancel()
            self._waiting = []

    async def _settle(self, batch: list[tuple[M, asyncio.Future[R]]]) -> None:
        try:
            if len(batch) > 1:
                self.flushes += 1
                try:
                    results = await self.together([m for m, _ in batch])
                except Exception as error:  # rolled back: each member alone gives its answer
                    logger.debug("group of %d done alone: %s", len(batch), type(error).__name__)
                else:
                    for (_, future), result in zip(batch, results, strict=True):
                        if not future.done():  # its request may have been cancelled
                            future.set_result(result)
                    return
            for member, future in batch:
                try:
                    result = await self.alone(member)
                except Exception as error:
                    if not future.done():
                        future.set_exception(error)
                else:
                    if not future.done():
                        future.set_result(result)
        finally:
            for _, future in batch:  # cancelled mid-way: no request waits for ever
                if not future.done():
                    future.cancel()
