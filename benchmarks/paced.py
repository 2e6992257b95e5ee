"""An open-loop HTTP client: requests sent at a steady rate, whatever the server answers.

A closed-loop load generator (wrk) sends a connection's next request only when the last one has
come back, so a stalled server is offered less load and its stalls barely show in the figures
(coordinated omission). Here request ``i`` is due at ``start + i / rate`` and is sent then on
any free connection; its latency runs from that due time, so time spent waiting for the server,
for a connection or for the client itself all counts.

The client is a few lines of asyncio over HTTP/1.1 keep-alive connections, cheap enough to
leave the CPU to the server it shares a small machine with. ``client_lag`` says how late the
client itself was in picking a request up: if its p99 grows past a few milliseconds, the client
did not keep up. The achieved rate counts requests put on the wire, so it falls below the rate
offered when the client lags or when every connection is waiting for the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np


@dataclass(frozen=True)
class Call:
    """One request to send: method, path (with any query) and JSON body."""

    method: str
    path: str
    body: bytes = b""


@dataclass
class PacedResult:
    """What a paced run saw: per-request latencies from the due time, statuses and errors."""

    rate: float
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    client_lags: list[float] = field(default_factory=list)  # seconds the client was late
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # no answer, by exception type
    last_sent: float = 0.0  # seconds from the start to the last request sent
    elapsed: float = 0.0  # seconds from the start to the last answer

    @property
    def sent(self) -> int:
        """How many requests were sent (or tried)."""
        return len(self.client_lags)


def percentiles_ms(
    seconds: Sequence[float], qs: Sequence[float] = (50, 95, 99)
) -> dict[str, float]:
    """``{"p50": ms, ...}`` of a list of durations in seconds (NaN when empty)."""
    values = np.asarray(seconds, dtype=np.float64) * 1000
    return {
        f"p{q:g}": round(float(np.percentile(values, q)), 4) if values.size else float("nan")
        for q in qs
    }


def summarise(result: PacedResult) -> dict:
    """The figures of a paced run, JSON-ready."""
    answered = sum(result.statuses.values())
    ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
    return {
        "offered_rate": result.rate,
        "achieved_rate": round((result.sent - 1) / result.last_sent, 1)
        if result.last_sent
        else 0.0,
        "requests": result.sent,
        "answered": answered,
        "ok": ok,
        "non_2xx": answered - ok,
        "errors": sum(result.errors.values()),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "error_kinds": dict(result.errors),
        "latency_ms": percentiles_ms(result.latencies),
        "client_lag_ms": percentiles_ms(result.client_lags, (50, 99)),
    }


class Connection:
    """One HTTP/1.1 keep-alive connection; reopened after any failure."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, call: Call) -> int:
        """Send one request, read the whole answer, return its status."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{call.method} {call.path} HTTP/1.1\r\n{self.head}"
            f"Content-Length: {len(call.body)}\r\n\r\n"
        )
        self.writer.write(head.encode("latin-1") + call.body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        else:
            await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        """Close the socket (the next request opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def run(
    base_url: str,
    calls: Sequence[Call],
    *,
    rate: float,
    connections: int = 16,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> PacedResult:
    """Send ``calls`` in order at ``rate`` per second over up to ``connections`` connections.

    Parameters
    ----------
    base_url
        ``http://host:port`` (plain HTTP only).
    calls
        The requests, sent in order; how many there are sets the duration.
    rate
        Requests per second offered, whatever the answers.
    connections
        How many keep-alive connections may be open; a request due while all are busy waits
        for one, and the wait counts in its latency.
    headers
        Sent with every request (e.g. ``Authorization``, ``Content-Type``).
    timeout
        Seconds a request may take before it counts as an error.
    """
    url = urlsplit(base_url)
    if url.scheme != "http" or url.hostname is None:
        raise ValueError(f"need an http://host:port URL, not {base_url!r}")
    port = url.port or 80
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(url.hostname, port, headers or {}))
    result = PacedResult(rate=rate)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(call: Call, due: float) -> None:
        result.client_lags.append(loop.time() - due)
        connection = await pool.get()
        result.last_sent = max(result.last_sent, loop.time() - start)
        try:
            status = await asyncio.wait_for(connection.request(call), timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            result.errors[type(exc).__name__] += 1
            await connection.close()
        else:
            result.statuses[status] += 1
            result.latencies.append(loop.time() - due)
        finally:
            pool.put_nowait(connection)
            result.elapsed = max(result.elapsed, loop.time() - start)

    tasks = []
    try:
        for i, call in enumerate(calls):
            due = start + i / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(call, due)))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        while not pool.empty():
            await pool.get_nowait().close()
    return result


def run_sync(base_url: str, calls: Sequence[Call], **options) -> PacedResult:
    """:func:`run` from synchronous code."""
    return asyncio.run(run(base_url, calls, **options))
