"""A real `triage serve` process for tests: start it, stop it, or kill it outright.

The server runs in a session (process group) of its own, so :func:`kill` takes uvicorn and any
worker processes down together with SIGKILL, as a crash or the OOM killer would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

TRIAGE = Path(sys.executable).with_name("triage")
STARTUP_SECONDS = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int, env: dict[str, str], log: Path, workers: int = 1) -> subprocess.Popen:
    """Start `triage serve` in its own process group; wait until /health answers 200."""
    command = [str(TRIAGE), "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"triage serve exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    kill(process)
    pytest.fail(f"triage serve did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """Shut the server down gracefully (SIGTERM), or kill it if it does not stop."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the server's whole process group and reap it."""
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the group id is its pid
    process.wait()
