"""The bench's own `triage` commands and server: environment, setup, start and stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.plan import STARTUP_SECONDS, TRIAGE, Plan

# The bench's contacts come from the synthetic generator: its user works in all of its teams.
SYNTHETIC_TEAMS = [arg for team in ("T1", "T2", "T3", "T4") for arg in ("--team", team)]


def server_env(home: Path, plan: Plan) -> dict[str, str]:
    """The environment of the bench's `triage` commands and server."""
    env = {
        **os.environ,
        "TRIAGE_HOME": str(home),
        "TRIAGE_RATE_LIMIT": "1000000000/minute",  # the bench measures speed, not the limiter
        "TRIAGE_MODEL_POLL_SECONDS": "0",
    }
    env.pop("TRIAGE_DATABASE_URL", None)
    if plan.database_url:
        env["TRIAGE_DATABASE_URL"] = plan.database_url
    return env


def triage(args: list[str], env: dict[str, str], log: Path) -> str:
    """Run a `triage` command, its stderr appended to ``log``; its stdout, or raise."""
    with log.open("a") as err:
        done = subprocess.run(
            [str(TRIAGE), *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"`triage {' '.join(args)}` exited {done.returncode}; see {log}")
    return done.stdout


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], plan: Plan, log: Path) -> Iterator[str]:
    """Run `triage serve` (log to ``log``) until the block ends; yield its base URL."""
    with serving_process(env, plan, log) as (base, _pid):
        yield base


def cpu_seconds(pid: int) -> float:
    """The user + system CPU time a process has used so far (Linux ``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """:func:`cpu_seconds` of a process and all its live descendants (a server's workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # after the command name in parentheses: state, then the parent's pid
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        member = todo.pop()
        todo += children.get(member, [])
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(member)
    return total


@contextmanager
def serving_process(env: dict[str, str], plan: Plan, log: Path) -> Iterator[tuple[str, int]]:
    """:func:`serving`, yielding also the server's process id (its CPU time and its workers':
    :func:`tree_cpu_seconds`)."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(TRIAGE), "serve", "--port", str(port), "--workers", str(plan.workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"triage serve exited {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"triage serve did not answer in {STARTUP_SECONDS} s; see {log}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the stages ----------------------------------------------------------------------------------


def setup_home(home: Path, env: dict[str, str], plan: Plan, log: Path) -> str:
    """A champion in ``home`` (trained once) and a new duty worker's token."""
    home.mkdir(parents=True, exist_ok=True)
    triage(["quickstart", "--rows", str(plan.train_rows)], env, log)
    # A champion reused from an earlier run may be new to this run's database: record it, or
    # the server would refuse to load it (SECURITY.md, "Trusted models").
    triage(["models", "trust"], env, log)
    name = f"bench-{datetime.now(UTC):%Y%m%d%H%M%S}-{os.getpid()}"
    token = (
        triage(["users", "add", name, "--role", "duty_worker", *SYNTHETIC_TEAMS], env, log)
        .strip()
        .splitlines()
    )
    if not token:
        raise RuntimeError(f"`triage users add` printed no token; see {log}")
    return token[-1]
