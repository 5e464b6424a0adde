"""Engines and sessions: SQLite's set-up, its writers taking turns, and reads that take no lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage import db, repo
from rebalance.storage.bookkeeping import Bookkeeping
from rebalance.storage.db import (
    WriteLock,
    checkpoint,
    make_engine,
    make_session_factory,
    read_connection,
    reading_engine,
    session_scope,
    write_lock,
)
from rebalance.storage.migrate import upgrade
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.types import Role, utc_now
from tests.storage.conftest import POSTGRESQL_URL


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(sqlite_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(sqlite_engine)


def test_sqlite_runs_with_wal_foreign_keys_and_normal_sync(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1}  # 1 = NORMAL


_HUNDRED_PAGES = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO filler SELECT randomblob(3900) FROM n"""


def _fill(engine: Engine, pages: int) -> None:
    """About ``pages`` pages written through ``engine``, a hundred to a unit of work."""
    with session_scope(make_session_factory(engine)) as db:
        db.execute(text("CREATE TABLE IF NOT EXISTS filler (x BLOB)"))
    for _ in range(pages // 100):
        with session_scope(make_session_factory(engine)) as db:
            db.execute(text(_HUNDRED_PAGES))


def test_a_commit_checkpoints_the_log_past_1000_pages_unless_checkpoints_are_left_to_the_background(
    tmp_path: Path,
) -> None:
    """SQLite's default: the commit that takes the write-ahead log past 1,000 pages copies it back,
    holding the write locks. The web app's engine leaves that to :func:`checkpoint`, called off the
    request path, which copies everything new without a lock (``PASSIVE``)."""
    sizes = {}
    for background in (False, True):
        url = f"sqlite:///{tmp_path / f'{background}.db'}"
        engine = make_engine(url, background_checkpoints=background)
        try:
            _fill(engine, 1500)
            sizes[background] = checkpoint(engine)
            assert checkpoint(engine) == sizes[background]  # nothing new to copy
        finally:
            engine.dispose()
    assert sizes[False] is not None and sizes[False][0] < 1000  # checkpointed, and the log begun again
    log, copied = sizes[True] or (0, -1)
    assert log >= 1500 and copied == log  # never at a commit; all of it by checkpoint()
    assert checkpoint(make_engine("sqlite://")) is None


def test_the_bookkeeping_writer_checkpoints_the_log_it_is_given(tmp_path: Path) -> None:
    database = tmp_path / "kept.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    engine = make_engine(url, background_checkpoints=True)
    writer = Bookkeeping(make_session_factory(engine), checkpoints=engine)
    try:
        _fill(engine, 500)
        before = database.stat().st_size
        writer.touch(1, utc_now())  # starts its thread
        deadline = time.monotonic() + 10
        while database.stat().st_size < before + 400 * 3900 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert database.stat().st_size >= before + 400 * 3900  # the pages copied into the file
    finally:
        writer.close()
        engine.dispose()


def test_analyze_gives_postgresql_the_statistics_of_what_was_loaded(engine: Engine, people: object) -> None:
    """After a bulk load (the demo clinic), PostgreSQL's planner knows the tables' sizes: a table loaded
    since it was last analyzed looked nearly empty, and the latest sessions of a patient were planned as a
    read and sort of the whole version (``bench/README.md``). SQLite: nothing to do."""
    db.analyze(engine)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        users = connection.exec_driver_sql("SELECT count(*) FROM users").scalar()
        known = connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass").scalar()
    assert users and known == users


def test_the_engines_of_one_file_share_its_write_lock(tmp_path: Path) -> None:
    assert write_lock(str(tmp_path / "a.db")) is write_lock(str(tmp_path / ".." / tmp_path.name / "a.db"))
    assert write_lock(str(tmp_path / "a.db")) is not write_lock(str(tmp_path / "b.db"))


def test_the_write_lock_serves_writers_in_the_order_they_came() -> None:
    lock, served, started = WriteLock(), [], []
    assert lock.acquire(timeout=1)

    def writer(n: int) -> None:
        started.append(n)
        lock.acquire(timeout=5)
        served.append(n)
        lock.release()

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=writer, args=(n,)))
        threads[-1].start()
        while len(started) <= n:  # each waits before the next one comes
            time.sleep(0.001)
        time.sleep(0.01)
    lock.release()
    for thread in threads:
        thread.join()
    assert served == [0, 1, 2, 3, 4]


def test_a_thread_holding_the_write_lock_is_not_made_to_wait_on_itself_and_a_wait_ends() -> None:
    lock = WriteLock()
    assert lock.acquire(timeout=1) is True
    assert lock.acquire(timeout=1) is False  # held already by this thread: SQLite's own locking decides
    failure: list[BaseException] = []

    def other() -> None:
        try:
            lock.acquire(timeout=0.05)
        except sqlite3.OperationalError as exc:
            failure.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert [str(e) for e in failure] == ["database is locked"]
    lock.release()
    assert lock.acquire(timeout=0.05) is True  # the timed-out waiter left the queue


def test_concurrent_units_of_work_take_turns_and_none_fails(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        admin = repo.create_user(db, None, UserCreate(email="ada@x.test", display_name="Ada", role=Role.ADMIN)).id
        clinician = repo.create_user(
            db, admin, UserCreate(email="cy@x.test", display_name="Cy", role=Role.CLINICIAN)
        ).id
    errors: list[BaseException] = []

    def add_patients(n: int) -> None:
        try:
            for i in range(10):
                with session_scope(factory) as db:
                    repo.create_patient(db, clinician, PatientCreate(display_name=f"P{n}-{i}"))
                    repo.list_patients_for_clinician(db, clinician)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add_patients, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(factory) as db:
        assert len(repo.list_patients_for_clinician(db, clinician)) == 80


def test_a_read_connection_neither_waits_for_nor_blocks_a_writer(factory: sessionmaker[Session]) -> None:
    """SQLite: no ``BEGIN``, so neither a snapshot nor a lock is held while the caller goes on."""
    engine = factory.kw["bind"]
    assert reading_engine(engine) is engine  # SQLite reads through the one engine
    with session_scope(factory) as writer:
        writer.execute(text("CREATE TABLE notes (n INTEGER)"))
    with session_scope(factory) as writer:
        writer.execute(text("INSERT INTO notes VALUES (1)"))  # holds the write lock until the block ends
        with read_connection(engine) as reader:
            assert reader.execute(text("SELECT count(*) FROM notes")).scalar() == 0  # the last commit's view
            assert not reader.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    with read_connection(engine) as reader:
        assert reader.execute(text("SELECT count(*) FROM notes")).scalar() == 1
        with session_scope(factory) as writer:  # begins while the read connection is open
            writer.execute(text("INSERT INTO notes VALUES (2)"))


def test_a_server_connection_lost_while_idle_is_replaced_before_it_is_used(
    postgresql_server: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a connection idle longer than PING_AFTER_IDLE_S is checked first; one just used is not."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.05)
    engine = make_engine(POSTGRESQL_URL)
    pings: list[object] = []
    monkeypatch.setattr(
        engine.dialect, "do_ping", lambda conn: pings.append(conn) or type(engine.dialect).do_ping(engine.dialect, conn)
    )
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as connection:  # used a moment ago: not pinged
            connection.exec_driver_sql("SELECT 1")
        assert pings == []  # nor when it was new
        with postgresql_server.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        time.sleep(0.1)
        with engine.connect() as connection:  # idle long enough: pinged, found dead, replaced
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_a_reading_unit_of_work_on_postgresql_sends_no_begin_and_no_commit(postgresql_server: Engine) -> None:
    """Each of its statements commits on its own (READ COMMITTED gives each its own snapshot anyway);
    an ordinary unit of work still runs in one transaction."""
    from sqlalchemy import event

    from rebalance.storage.db import make_reading_session_factory

    engine = make_engine(POSTGRESQL_URL)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    try:
        with session_scope(make_reading_session_factory(engine)) as reading:
            assert reading.execute(
                text("SELECT txid_current_if_assigned() IS NULL, now() = statement_timestamp()")
            ).one() == (True, True)
            autocommit = reading.connection().connection.driver_connection.autocommit  # type: ignore[union-attr]
        assert autocommit is True
        with session_scope(make_session_factory(engine)) as writing:
            first = writing.execute(text("SELECT now()")).scalar()
            time.sleep(0.01)
            assert writing.execute(text("SELECT now()")).scalar() == first  # one transaction
        assert not any(s.upper().startswith(("BEGIN", "COMMIT")) for s in sent)
    finally:
        engine.dispose()


def test_the_reading_engine_of_postgresql_is_a_pool_in_autocommit_that_never_sets_or_resets_it(
    postgresql_server: Engine,
) -> None:
    """Its connections are made in autocommit: a checkout sets nothing and a return resets nothing (each
    would be calls into the driver per request); reads through it see what is committed."""
    engine = make_engine(POSTGRESQL_URL)
    reads = reading_engine(engine)
    calls: list[str] = []
    for name in ("set_isolation_level", "reset_isolation_level"):
        real = getattr(reads.dialect, name)
        setattr(reads.dialect, name, lambda *args, _name=name, _real=real: (calls.append(_name), _real(*args)))
    try:
        assert reads is not engine and reads.pool is not engine.pool
        for _ in range(2):
            with read_connection(reads) as connection:
                assert connection.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
                assert "isolation_level" not in connection.get_execution_options()
                assert connection.exec_driver_sql("SELECT txid_current_if_assigned() IS NULL").scalar() is True
        assert calls.count("reset_isolation_level") == 0 and calls.count("set_isolation_level") <= 1  # (on connect)
        with read_connection(engine) as connection:  # on an ordinary engine: autocommit for this connection only
            assert connection.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
        with engine.connect() as connection:
            assert connection.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        reads.dispose()
        engine.dispose()


def test_the_writers_of_two_processes_take_turns_on_the_file_beside_the_database(
    factory: sessionmaker[Session],
) -> None:
    """Another process holding the SQLite file's writer lock makes this one's writer wait for it (the
    kernel wakes it), rather than poll SQLite's busy handler; and the lock is the file ``<db>-writer``."""
    import subprocess
    import sys

    database = factory.kw["bind"].url.database
    lock_file = Path(f"{Path(database).resolve()}-writer")
    holder = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(0.5)\n"
        "print('released', time.monotonic(), flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        started = time.monotonic()
        with session_scope(factory) as db:  # BEGIN IMMEDIATE waits for the other process's turn
            repo.create_user(db, None, UserCreate(email="late@x.test", display_name="Late", role=Role.ADMIN))
        began = time.monotonic()
        released = float(child.stdout.readline().split()[1])
    finally:
        child.wait(timeout=10)
    assert began - started >= 0.3
    assert began >= released  # not before the other process let go
    assert lock_file.exists()
