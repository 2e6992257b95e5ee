"""SQLite writers in one process queue on a lock: none fails, none waits for itself."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from service.db import open_database


def test_many_threads_writing_at_once_all_commit_in_full(tmp_path):
    db = open_database(Settings(home=tmp_path, db_pool_size=20))
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))

    def increment(_: int) -> None:
        with db.write() as session:  # read-modify-write: lost updates show up in the total
            n = session.execute(text("SELECT n FROM counter")).scalar_one()
            session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
            session.commit()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(increment, range(400)))
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 400
    db.dispose()


def test_a_writer_queues_behind_another_in_the_process_beyond_the_busy_timeout(tmp_path):
    # SQLite's busy handler would give up after 50 ms with "database is locked"; a writer in
    # the same process waits its turn instead and starts the moment the first one commits.
    db = open_database(Settings(home=tmp_path, db_busy_timeout_seconds=0.05))
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    first_is_writing = threading.Event()

    def slow_writer() -> None:
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            first_is_writing.set()
            time.sleep(0.5)
            session.commit()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert first_is_writing.wait(10)
    with db.write() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()
    thread.join()
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    db.dispose()


def test_a_connection_that_commits_and_writes_again_does_not_wait_for_itself(tmp_path):
    db = open_database(Settings(home=tmp_path, db_busy_timeout_seconds=1))
    with db.engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        connection.commit()
        connection.execute(text("INSERT INTO t VALUES (1)"))  # begins again: same lock holder
        connection.commit()
    with db.write() as session:  # the lock went back with the connection
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    db.dispose()


def test_a_failed_transaction_gives_the_lock_back(tmp_path):
    db = open_database(Settings(home=tmp_path, db_busy_timeout_seconds=1))
    with db.write() as session:
        session.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
        session.commit()
    with pytest.raises(IntegrityError), db.write() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    # Were the lock still held, this would queue for WRITE_QUEUE_SECONDS (60 s) and then fail.
    with db.write() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()
    db.dispose()


def test_work_on_the_event_loop_never_waits_for_a_writer(tmp_path):
    """blocking.run does short work inline, and hands it to the thread pool when it would wait."""
    import asyncio
    import sqlite3

    from service import blocking
    from service.db import WriterBusy, no_waiting

    db = open_database(Settings(home=tmp_path, db_busy_timeout_seconds=5))
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER, thread TEXT)"))

    def insert(n: int) -> None:
        with db.write() as session:
            session.execute(
                text("INSERT INTO t VALUES (:n, :thread)"),
                {"n": n, "thread": threading.current_thread().name},
            )
            session.commit()

    async def main() -> None:
        await blocking.run(db, insert, 1)  # nobody else writing: inline, on this thread
        with db.write() as session:  # this thread holds the write lock meanwhile
            session.execute(text("INSERT INTO t VALUES (0, 'holder')"))
            with no_waiting(), pytest.raises(WriterBusy):
                insert(99)
            pending = asyncio.ensure_future(blocking.run(db, insert, 2))
            await asyncio.sleep(0.2)
            assert not pending.done()  # waiting in the pool, not failing
            session.commit()
        await pending

    asyncio.run(main())
    # Another process holding SQLite's lock: no waiting on the busy timeout either.
    other = sqlite3.connect(tmp_path / "triage.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with no_waiting(), pytest.raises(WriterBusy):
        insert(98)
    other.execute("ROLLBACK")
    other.close()
    with db.read() as session:
        rows = session.execute(text("SELECT n, thread FROM t ORDER BY n")).all()
    assert [n for n, _ in rows] == [0, 1, 2]
    assert rows[1].thread == threading.main_thread().name
    assert rows[2].thread != threading.main_thread().name
    db.dispose()


@pytest.mark.parametrize("background", [False, True])
def test_the_service_checkpoints_the_log_itself_not_on_a_commit(tmp_path, background):
    db = open_database(Settings(home=tmp_path), background_checkpoints=background)
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (blob BLOB)"))
    for _ in range(1_500):  # about 1,500 pages of log; SQLite checkpoints every 1,000 by default
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (randomblob(4000))"))
            session.commit()
    wal = tmp_path / "triage.db-wal"
    pages = wal.stat().st_size / 4096
    if background:
        assert pages > 1_500  # no commit copied the log into the database file
        db.checkpoint()
        with db.write() as session:  # the next write starts the log again from its beginning
            session.execute(text("INSERT INTO t VALUES (1)"))
            session.commit()
        with db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            busy, log, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log <= 2 and done == log
    else:
        assert pages < 1_200
    db.dispose()


def test_writers_in_other_processes_queue_on_the_lock_file(tmp_path):
    import fcntl
    import os

    from service.db import WRITE_LOCK_SUFFIX, WriterBusy, no_waiting

    db = open_database(Settings(home=tmp_path, db_busy_timeout_seconds=5))
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    # Another process's writer: a lock on its own open file, as flock sees another process.
    other = os.open(tmp_path / f"triage.db{WRITE_LOCK_SUFFIX}", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)

    def write(n: int) -> None:
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            session.commit()

    with no_waiting(), pytest.raises(WriterBusy):
        write(99)  # the event loop's attempt gives way at once
    released = threading.Timer(0.3, os.close, [other])  # closing the file drops its lock
    released.start()
    write(1)  # waits for the other writer, then goes ahead
    released.join()
    with db.read() as session:
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [1]
    db.dispose()
