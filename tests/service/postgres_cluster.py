"""A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, on a free port.

The server binaries are found on PATH (`initdb` and `pg_ctl`), else in the newest of Debian's
/usr/lib/postgresql/*/bin. `initdb` and `pg_ctl` refuse to run as root, so as root (CI) they run
as the ``postgres`` user, and the cluster's folder is given to that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from server_process import free_port

DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
BINARIES = ("initdb", "pg_ctl", "postgres")
SKIP_REASON = (
    "PostgreSQL cases skipped: no PostgreSQL server found (initdb and pg_ctl on PATH or in "
    f"{DEBIAN_BIN_DIRS}); install it (Debian: apt-get install postgresql) or set "
    "TRIAGE_TEST_POSTGRES_URL to a superuser URL"
)
START_SECONDS = 60


def has_server(folder: Path) -> bool:
    """Whether ``folder`` holds the server binaries a cluster needs."""
    return all((folder / name).is_file() for name in BINARIES)


def find_bin_dir(path: str | None = None, debian_dirs: str = DEBIAN_BIN_DIRS) -> Path | None:
    """The folder of PostgreSQL's server binaries: `initdb`'s on PATH, else Debian's newest."""
    initdb = shutil.which("initdb", path=path)
    if initdb and has_server(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    found = [Path(folder) for folder in glob.glob(debian_dirs) if has_server(Path(folder))]
    # Debian's folders are named for the major version: /usr/lib/postgresql/16/bin.
    found.sort(key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    return found[-1] if found else None


def run_as_postgres_if_root() -> list[str]:
    """The prefix that runs a command as the ``postgres`` user when we are root, else none."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextlib.contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[str]:
    """Start a cluster on 127.0.0.1 and a free port; yield its superuser URL; then remove it."""
    prefix = run_as_postgres_if_root()
    # Not under pytest's tmp_path: as root that folder is private to root.
    base = Path(tempfile.mkdtemp(prefix="triage-test-postgres-"))
    password = secrets.token_hex(16)
    (base / "password").write_text(password + "\n")
    if prefix:
        owner = pwd.getpwnam("postgres")
        for item in (base, base / "password"):
            os.chown(item, owner.pw_uid, owner.pw_gid)
    data, port = base / "data", free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], cwd=base, check=True, capture_output=True, text=True)

    started = False
    try:
        try:
            run(
                str(bin_dir / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                "postgres",
                "--pwfile",
                str(base / "password"),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
            )
            # Durability off: the cluster lives only as long as the test session.
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            run(
                str(bin_dir / "pg_ctl"),
                "start",
                "--pgdata",
                str(data),
                "--wait",
                "--timeout",
                str(START_SECONDS),
                "--log",
                str(base / "server.log"),
                "-o",
                options,
            )
        except subprocess.CalledProcessError as error:
            log = base / "server.log"
            detail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"the test PostgreSQL cluster did not start: {error.cmd[len(prefix)]}\n"
                f"{error.stdout}{error.stderr}{detail}"
            ) from error
        started = True
        yield f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "stop", "--pgdata", str(data), "--mode", "immediate")
        shutil.rmtree(base, ignore_errors=True)
