"""The service database: engine, sessions and the column types every table shares.

SQLite (the default, ``TRIAGE_HOME/triage.db``) runs in WAL mode: readers never block writers,
and every write transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue instead
of failing with "database is locked". Writers queue on a :class:`WriteLock` (threads on a lock,
processes on a lock file beside the database), which wakes each as soon as the writer before is
done; SQLite's own busy handler, which polls with sleeps of up to 100 ms, is left for writers
that are not triage. PostgreSQL gets a connection pool that checks a connection before use
without a round trip (:func:`_check_alive`), and a second pool of autocommit connections for
the token lookup that every request makes (one statement, no BEGIN or ROLLBACK). Nothing is
built at import.
"""

from __future__ import annotations

import fcntl
import os
import select
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from config.settings import Settings

# Read-only sessions begin deferred on SQLite; every other transaction begins IMMEDIATE.
READ_ONLY = "triage_read_only"
# How long a SQLite writer may queue behind this process's other writers (each is short; the
# busy timeout bounds only the wait for writers in other processes).
WRITE_QUEUE_SECONDS = 60.0
# Set in a pooled SQLite connection's info while it holds the process's write lock.
HOLDS_WRITE_LOCK = "triage_holds_write_lock"
# True while work runs on the event loop: a SQLite write then never waits (see WriterBusy).
_NO_WAIT: ContextVar[bool] = ContextVar("triage_db_no_wait", default=False)


class WriterBusy(Exception):
    """A write would have to wait for another writer, and the caller asked not to wait.

    Raised before anything is written, so the work can be run again where waiting is fine.
    """


@contextmanager
def no_waiting() -> Iterator[None]:
    """Within this block a SQLite write transaction that would wait raises WriterBusy."""
    token = _NO_WAIT.set(True)
    try:
        yield
    finally:
        _NO_WAIT.reset(token)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every service table."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class Database:
    """An engine with its write and read-only session factories."""

    engine: Engine
    write: sessionmaker[Session]
    read: sessionmaker[Session]
    read_engine: Engine  # the engine with read-only transactions, for Core queries
    # For one read statement on every request's path (the token lookup). On PostgreSQL a pool
    # of its own whose connections are in autocommit mode, set once when each is opened: a lone
    # statement sees the same under READ COMMITTED either way, and BEGIN and ROLLBACK would be
    # two round trips more. On SQLite the read-only engine.
    lookup_engine: Engine

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite store (its work is local and short)."""
        return self.engine.dialect.name == "sqlite"

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file without blocking anyone."""
        if self.is_sqlite:
            with self.engine.connect() as connection:
                raw = connection.connection.driver_connection
                # For mypy: an open connection always has its DBAPI connection
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # type: ignore[union-attr]

    def dispose(self) -> None:
        """Close every pooled connection, for good: a later use raises DatabaseClosed."""
        # SQLAlchemy's dispose() leaves a fresh, empty pool behind: a late caller would quietly
        # open a connection there that nobody closes (on PostgreSQL it was garbage-collected
        # still open, long after the test that leaked it). Refuse to connect at all instead.
        engines = [self.engine]
        if self.lookup_engine.pool is not self.engine.pool:  # PostgreSQL's own lookup pool
            engines.append(self.lookup_engine)
        for engine in engines:
            event.listen(engine, "do_connect", _refuse_connecting)
            engine.dispose()


class DatabaseClosed(RuntimeError):
    """The database was disposed of (its owner, e.g. the service's lifespan, has ended)."""


def _refuse_connecting(*_args: Any) -> None:
    raise DatabaseClosed("this database was disposed of; open a new one with open_database")


def open_database(settings: Settings, *, background_checkpoints: bool = False) -> Database:
    """Build the engine and session factories for the settings' database.

    ``background_checkpoints`` (the service): SQLite commits never copy the write-ahead log into
    the database file themselves; the owner calls :meth:`Database.checkpoint` now and then, off
    the requests' path (a checkpoint writes and syncs megabytes: tens of milliseconds).
    """
    engine = create_engine_for(settings, background_checkpoints=background_checkpoints)
    read_engine = engine.execution_options(**{READ_ONLY: True})
    lookup_engine: Engine = read_engine
    if engine.dialect.name != "sqlite":
        # Each lookup holds its connection for one round trip: half the pool suffices, and
        # with no overflow none is opened and closed again under a burst (each costs the
        # server a process); a burst's lookups wait a moment for one instead.
        lookup_engine = create_engine_for(
            settings,
            isolation_level="AUTOCOMMIT",
            pool_size=lookup_pool_size(settings),
            max_overflow=0,
        )
    return Database(
        engine=engine,
        write=sessionmaker(engine, expire_on_commit=False),
        read=sessionmaker(read_engine, expire_on_commit=False),
        read_engine=read_engine,
        lookup_engine=lookup_engine,
    )


# The execution option under which every connection carries the audit chain's HMAC key.
AUDIT_KEY_OPTION = "triage_audit_key"


def lookup_pool_size(settings: Settings) -> int:
    """How many connections a process keeps for token lookups (PostgreSQL)."""
    return max(1, settings.db_pool_size // 2)


def create_engine_for(
    settings: Settings,
    *,
    background_checkpoints: bool = False,
    isolation_level: str | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> Engine:
    """An engine for ``settings.database_uri``: SQLite tuned for concurrency, or a pool of
    ``pool_size`` connections (default ``settings.db_pool_size``) and ``max_overflow`` more at
    need (default as many), opened with ``isolation_level`` when given (``"AUTOCOMMIT"``).

    Every connection carries the audit chain's key as the execution option
    :data:`AUDIT_KEY_OPTION`, so whoever appends to the chain in any transaction keys its HMAC
    with it, and the key itself is never stored in the database.
    """
    from config.settings import audit_key

    key = {AUDIT_KEY_OPTION: audit_key(settings)}
    url = make_url(settings.database_uri)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings, background_checkpoints, key)
    options: dict[str, Any] = {}
    if isolation_level is not None:
        options["isolation_level"] = isolation_level
    psycopg = url.get_driver_name() == "psycopg"
    size = settings.db_pool_size if pool_size is None else pool_size
    engine = create_engine(
        url,
        # psycopg: checked by _check_alive instead (pool_pre_ping's round trip on every
        # checkout was two of a scored contact's thirteen); another driver: pinged.
        pool_pre_ping=not psycopg,
        pool_size=size,
        max_overflow=size if max_overflow is None else max_overflow,
        hide_parameters=True,  # values may be narrative or notes: never in error messages
        execution_options=key,
        **options,
    )
    if psycopg:
        event.listen(engine, "checkout", _check_alive)
        event.listen(engine, "checkin", _note_checkin)
    return engine


# A pooled connection idle longer than this is pinged (one round trip) before use: a firewall
# or a proxy may have dropped it without a word.
PING_AFTER_IDLE_SECONDS = 10.0
# In a pooled connection's info: when it last went back to the pool (time.monotonic()).
CHECKED_IN_AT = "triage_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[CHECKED_IN_AT] = time.monotonic()


def _check_alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Refuse a pooled PostgreSQL connection that will not work: the pool then opens another.

    Refused (DisconnectionError): one closed or broken; one the server has written to while it
    sat idle (a server that shuts down or restarts, or ends the session, says so and closes the
    socket; anything else it may say unasked, such as a changed setting, costs no more than a
    new connection); one idle longer than :data:`PING_AFTER_IDLE_SECONDS` that does not answer
    a ping. A connection back from recent use costs no round trip.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    if server_has_spoken(dbapi_connection.pgconn.socket):
        raise DisconnectionError("the server has hung up on this connection")
    idle_since = record.info.get(CHECKED_IN_AT)
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        ping(dbapi_connection)
    except Exception as error:
        raise DisconnectionError("the connection did not answer a ping") from error


def server_has_spoken(socket: int) -> bool:
    """Whether an idle connection's socket has something to read (or is closed), not waiting.

    ``poll``, not ``select``: a busy process may hold sockets numbered above select's limit.
    """
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))


def ping(dbapi_connection: Any) -> None:
    """An empty statement outside any transaction (psycopg), as pool_pre_ping would send."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(";")
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit


def _enable_wal(cursor: Any, timeout: float) -> None:
    """Switch a SQLite database to WAL, retrying while another connection holds the lock.

    The switch needs an exclusive lock and SQLite answers "database is locked" at once, without
    its busy handler, when several processes open a fresh database together. WAL persists in the
    file, so later connections only read the mode.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_engine(
    url: URL, settings: Settings, background_checkpoints: bool, options: dict[str, Any]
) -> Engine:
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    timeout = settings.db_busy_timeout_seconds
    engine = create_engine(
        url,
        connect_args={"timeout": timeout, "check_same_thread": False},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        hide_parameters=True,
        execution_options=options,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        _enable_wal(cursor, timeout)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if background_checkpoints:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    on_disk = bool(database) and database != ":memory:"
    writers = WriteLock(Path(f"{database}{WRITE_LOCK_SUFFIX}") if on_disk else None)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # BEGIN and PRAGMA straight on the sqlite3 connection: they run on every transaction,
        # and SQLAlchemy's statement machinery costs far more than SQLite's work here.
        raw = connection.connection.driver_connection
        if connection.get_execution_options().get(READ_ONLY, False):
            raw.execute("BEGIN")
            return
        info = connection.connection.info
        no_wait = _NO_WAIT.get()
        if not info.get(HOLDS_WRITE_LOCK):
            if no_wait:
                if not writers.acquire(None, None):
                    raise WriterBusy("another writer is busy")
            elif not writers.acquire(max(timeout, WRITE_QUEUE_SECONDS), timeout):
                raise sqlite3.OperationalError("database is locked (waited for other writers)")
            info[HOLDS_WRITE_LOCK] = True
        try:
            if no_wait:
                _begin_without_waiting(raw, timeout)
            else:
                raw.execute("BEGIN IMMEDIATE")
        except BaseException:
            _release(info, writers)
            raise

    # A connection keeps the lock until it goes back to the pool (a session gives its
    # connection back when it commits or rolls back), so a connection that commits and goes on
    # writing never waits for itself.
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info, writers)

    @event.listens_for(engine, "close")
    def _close(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info, writers)

    return engine


def _begin_without_waiting(raw: sqlite3.Connection, timeout: float) -> None:
    """BEGIN IMMEDIATE, or WriterBusy at once if another process is writing."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise WriterBusy("another process is writing") from error
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")


WRITE_LOCK_SUFFIX = "-writer.lock"


class WriteLock:
    """One writer at a time on a SQLite database, woken as soon as the one before is done.

    Threads of this process queue on a lock; processes on an advisory lock (``flock``) of a file
    beside the database, polled every 2 ms at most. SQLite's own busy handler would poll with
    sleeps of up to 100 ms, which under several workers' load made writes queue for seconds.
    """

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def acquire(self, thread_wait: float | None, process_wait: float | None) -> bool:
        """Take both locks, waiting up to the given seconds for each (None: not at all)."""
        if thread_wait is None:
            taken = self._threads.acquire(blocking=False)
        else:
            taken = self._threads.acquire(timeout=thread_wait)
        if not taken:
            return False
        if self._path is None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        if _flock(fd, process_wait):
            self._fd = fd
            return True
        os.close(fd)
        self._threads.release()
        return False

    def release(self) -> None:
        """Give both back (closing the file drops its lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._threads.release()


def _flock(fd: int, wait: float | None) -> bool:
    deadline = time.monotonic() + (wait or 0.0)
    delay = 0.0002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if wait is None or time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.002)


def _release(info: dict[str, Any], writers: WriteLock) -> None:
    if info.pop(HOLDS_WRITE_LOCK, False):
        writers.release()
