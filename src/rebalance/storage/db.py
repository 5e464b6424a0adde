"""Engines and sessions, made from the :class:`~rebalance.config.Settings`.

>>> with session_scope() as session:        # the default database (REBALANCE_DATABASE_URL)
...     patient = repo.get_patient(session, actor_id, patient_id)

A ``session_scope`` is one unit of work: it commits when the block ends and rolls back when it
raises. The repository functions never commit; their caller's scope does. A ``read_connection`` is
for reads outside any unit of work: each statement stands alone and no lock is taken. (The web app's
sign-in check of every request stands alone the same way, on the driver's cursor: ``quick.py``.)

SQLite gets what a server database has by default: foreign keys enforced, write-ahead logging
(readers do not block the writer), and real transactions — SQLAlchemy's recipe that takes
transaction control away from the ``sqlite3`` driver, so ``BEGIN`` also covers reads and DDL and
savepoints work. A unit of work that writes takes the write lock up front (``BEGIN IMMEDIATE``) —
every one does but a reading one (``make_reading_session_factory``), whose read events go to the
bookkeeping writer; the writers of one process queue for it first come, first served
(:class:`WriteLock`), and the processes on one file take turns on an ``flock`` beside it
(:class:`ProcessLock`), instead of polling SQLite's busy handler, whose sleeps grow to 100 ms. With
write-ahead logging, ``synchronous = NORMAL`` is safe: a power cut may lose the last commits, never
the database.

The write-ahead log is copied back into the database file (a checkpoint) by SQLite at the commit that
takes it past 1,000 pages, by default: that commit holds the write locks, and every writer of every
process waits, for as long as the copy and its ``fsync`` take (25 ms to 0.8 s measured under load).
The web app's engine is made with ``background_checkpoints``: its connections never checkpoint at a
commit, and :func:`checkpoint`, called off the request path (the bookkeeping writer's thread, every
cycle), copies what is new without holding or waiting for any write lock (``PASSIVE``).

Connection pools hold as many connections as the web app has worker threads (:data:`POOL_SIZE`), so
a request never waits for a connection while another thread has one to spare.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from rebalance.config import Settings

POOL_SIZE = 40  # anyio's default worker threads, which run the web app's sync routes: one connection each
POOL_OVERFLOW = 10  # beyond that, for the sign-in reads of requests waiting for a thread

READS_ONLY = "rebalance_reads_only"  # execution option of a read_connection
READS_FIRST = "rebalance_reads_first"  # execution option of a reading unit of work's connection (SQLite: BEGIN)
AUTOCOMMITS = "rebalance_autocommits"  # execution option of an engine whose connections are made in autocommit

PG_CONNECT_TIMEOUT_S = 5  # seconds to make a connection to the PostgreSQL server
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for the lock before giving up
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA cache_size = -8000",  # KiB of page cache a connection may keep (the default is 2,000)
    "PRAGMA temp_store = MEMORY",
)
SQLITE_FILE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",  # safe with WAL: durable up to the last checkpoint, never corrupt
    "PRAGMA mmap_size = 268435456",  # read pages straight from the file's mapping (256 MiB)
)


def make_engine(
    url: str | URL | None = None,
    *,
    echo: bool | None = None,
    autocommit: bool = False,
    background_checkpoints: bool = False,
) -> Engine:
    """An engine for ``url`` (default: the Settings' ``database_url``), with SQLite set up as above.

    ``autocommit`` (a server database): every connection of the pool commits each statement on its own,
    from the moment it is made — for reads only (:func:`reading_engine`). ``background_checkpoints`` (a
    SQLite file): its connections never checkpoint the write-ahead log at a commit; the caller calls
    :func:`checkpoint` regularly, off the request path."""
    settings = Settings()
    target = make_url(url or settings.database_url)
    options: dict[str, Any] = {"echo": settings.database_echo if echo is None else echo}
    in_memory = target.get_backend_name() == "sqlite" and target.database in (None, "", ":memory:")
    if not in_memory:
        options |= {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_use_lifo": True}
    if target.get_backend_name() == "sqlite":
        options["connect_args"] = {"factory": LockingConnection}
    elif target.get_backend_name() == "postgresql":
        # A server that does not answer fails the request in seconds, not minutes (and never holds a
        # web worker's event loop longer: web/deps.WebContext.on).
        options["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    if autocommit and target.get_backend_name() != "sqlite":
        options |= {"isolation_level": AUTOCOMMIT, "pool_reset_on_return": None}  # nothing to roll back
        options["execution_options"] = {AUTOCOMMITS: True}
    engine = create_engine(target, **options)
    if engine.dialect.name == "sqlite":
        _set_up_sqlite(engine, None if in_memory else write_lock(str(target.database)), background_checkpoints)
    else:
        _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0
"""A server's connection idle longer than this is checked (``SELECT 1``) before it is used again."""


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections idle more than :data:`PING_AFTER_IDLE_S` only.

    A database server restarted while the app was idle must not fail its next request; but a ping
    before every use costs a round trip per unit of work for connections used a moment ago. A restart
    in the middle of a busy second fails the requests under way: the first disconnect found renews the
    whole pool (SQLAlchemy's own handling).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # just made, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the connection was lost while idle: {exc}") from exc


class WriteLock:
    """First come, first served: the writers of one SQLite file in this process wait here, in turn.

    ``release`` hands the lock straight to the longest waiter. A thread that already holds it (a
    second unit of work open in the same thread) is not made to wait on itself: ``acquire`` returns
    False at once and SQLite's own locking decides, as it would without this lock.
    """

    def __init__(self, across_processes: ProcessLock | None = None) -> None:
        self.across_processes = across_processes  # the file's lock, once this process holds this one
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._waiters: deque[tuple[threading.Lock, int]] = deque()

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True once this thread holds the lock. Raises when it timed out."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner is None:
                self._owner = me
                return True
            if self._owner == me:
                return False
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append((waiter, me))
        if waiter.acquire(timeout=timeout):
            return True
        with self._mutex:
            if (waiter, me) in self._waiters:
                self._waiters.remove((waiter, me))
                raise sqlite3.OperationalError("database is locked")
        return True  # handed over just as the wait timed out

    def release(self) -> None:
        with self._mutex:
            if not self._waiters:
                self._owner = None
                return
            waiter, ident = self._waiters.popleft()
            self._owner = ident
            waiter.release()


_write_locks: dict[str, WriteLock] = {}
_write_locks_mutex = threading.Lock()


def write_lock(database: str) -> WriteLock:
    """The one :class:`WriteLock` of a SQLite file in this process (every engine on it shares it)."""
    key = os.path.realpath(database)
    with _write_locks_mutex:
        if key not in _write_locks:
            _write_locks[key] = WriteLock(ProcessLock(f"{key}-writer"))
        return _write_locks[key]


class ProcessLock:
    """The writers of a SQLite file across processes (``rebalance serve --workers N``) take turns here:
    an exclusive ``flock`` on a file beside the database (``<database>-writer``), taken by the one thread
    of each process that holds its :class:`WriteLock`.

    The kernel wakes a waiting process as soon as the lock is free, where SQLite's busy handler would
    poll with sleeps growing to 100 ms and let the process that just wrote take the lock again and
    again. A process that dies releases it (the kernel does). There is no timeout: a waiter waits as
    long as a writer of another process is in its transaction.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._mutex = threading.Lock()

    def acquire(self) -> None:
        with self._mutex:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits without the GIL

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


class LockingConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that gives the write locks back once its transaction ends."""

    write_lock: WriteLock | None = None
    holds_write_lock = False

    def begin_immediate(self) -> None:
        """``BEGIN IMMEDIATE``, after waiting in turn for the process's write lock, then the file's."""
        if self.write_lock is not None:
            self.holds_write_lock = self.write_lock.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            if self.holds_write_lock and self.write_lock is not None and self.write_lock.across_processes is not None:
                self.write_lock.across_processes.acquire()
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self.holds_write_lock and self.write_lock is not None:
            self.holds_write_lock = False
            if self.write_lock.across_processes is not None:
                self.write_lock.across_processes.release()
            self.write_lock.release()


def _set_up_sqlite(engine: Engine, lock: WriteLock | None, background_checkpoints: bool) -> None:
    pragmas = SQLITE_PRAGMAS + (SQLITE_FILE_PRAGMAS if lock is not None else ())
    if lock is not None and background_checkpoints:
        pragmas += ("PRAGMA wal_autocheckpoint = 0",)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver stops issuing BEGIN itself; see _on_begin
        if isinstance(dbapi_connection, LockingConnection):
            dbapi_connection.write_lock = lock
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READS_ONLY):  # a read_connection: no BEGIN, so no lock
            return
        if options.get(READS_FIRST):  # a reading unit of work: no lock unless it comes to write
            connection.exec_driver_sql("BEGIN")
            return
        # Any other unit of work writes (an audit event at least). A deferred BEGIN that later
        # upgrades to a write fails at once with "database is locked" when another writer got
        # there first; IMMEDIATE takes the write lock up front, so writers queue (WriteLock, then
        # busy_timeout for the writers of other processes).
        dbapi_connection = connection.connection.dbapi_connection
        if isinstance(dbapi_connection, LockingConnection):
            dbapi_connection.begin_immediate()
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def checkpoint(engine: Engine) -> tuple[int, int] | None:
    """Copy the write-ahead log's new pages into the database file (``PRAGMA wal_checkpoint(PASSIVE)``),
    outside any transaction, without taking or waiting for a write lock: writers and readers go on
    meanwhile, and pages a reader still needs are left for the next time. ``(pages in the log, pages
    copied so far)``; None when there is nothing to do (a server database, or SQLite in memory)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            _busy, pages, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()
    return int(pages), int(copied)


def analyze(engine: Engine) -> None:
    """Refresh a server database's statistics (``ANALYZE``) after a bulk load, such as the demo clinic's.

    PostgreSQL plans with them: a table loaded since it was last analyzed looks nearly empty to it, and the
    latest sessions of a patient, a few rows down an index, were then planned as a read of all of the
    version's sessions and a sort (0.03 ms became 25 ms at 20,000 sessions; ``bench/README.md``) until the
    autovacuum daemon next analyzed it. SQLite, whose planner was tuned here without statistics: nothing."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``. Objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


AUTOCOMMIT = "AUTOCOMMIT"


def reading_engine(engine: Engine) -> Engine:
    """The engine for reads that stand alone (:func:`read_connection`, :func:`make_reading_session_factory`).

    On a server database, a pool of its own whose connections are in autocommit from the start: setting
    it on each checkout of a shared pool, and resetting it on each return, costs more than the read. On
    SQLite, ``engine`` itself (a read's ``BEGIN`` is left out, or deferred, per connection). Dispose of
    it as of ``engine``.
    """
    return engine if engine.dialect.name == "sqlite" else make_engine(engine.url, autocommit=True)


def _standing_alone(engine: Engine, sqlite_option: str) -> dict[str, Any]:
    """Execution options under which each statement of a read commits on its own: ``sqlite_option`` on
    SQLite (how ``_on_begin`` treats the ``BEGIN``); autocommit on a server database, unless the
    engine's pool is in autocommit already (:func:`reading_engine`)."""
    if engine.dialect.name == "sqlite":
        return {sqlite_option: True}
    return {} if engine.get_execution_options().get(AUTOCOMMITS) else {"isolation_level": AUTOCOMMIT}


def make_reading_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work that read (the web app's GET requests; ``bookkeeping.reading_session``).

    On SQLite their transaction begins deferred: no write lock is taken or waited for unless the unit
    of work comes to write, which it rarely does — its read events go to the bookkeeping writer.

    On a server database each statement commits on its own (autocommit): no ``BEGIN`` and no
    ``COMMIT``, each of them a round trip. The reads see what they would in a transaction: at READ
    COMMITTED (PostgreSQL's default, which the app keeps) every statement takes a snapshot of its own
    anyway. What such a unit of work writes (the audit log's events, when it reads the log itself) is
    kept at once, even if the request then fails.
    """
    options = _standing_alone(engine, READS_FIRST)
    return sessionmaker(bind=engine.execution_options(**options) if options else engine, expire_on_commit=False)


@functools.cache
def default_session_factory() -> sessionmaker[Session]:
    """The process's session factory for the Settings' database (made once, on first use)."""
    return make_session_factory(make_engine())


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None, **info: Any) -> Iterator[Session]:
    """One unit of work: commit at the end of the block, roll back if it raises, always close.
    ``info`` goes into the session's ``Session.info``."""
    session = (factory or default_session_factory())(info=info)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """Reads outside a unit of work: a connection whose statements each commit on their own (autocommit;
    on SQLite no ``BEGIN``), so nothing is locked and no snapshot is held while the caller goes on.

    For a lookup that must not hold a transaction open (scripts, tests; the web app's sign-in check
    uses ``quick.Quick``, which stands alone the same way); nothing is written through it. Pass
    the reading engine (:func:`reading_engine`) on a server database, whose pool is in autocommit
    already; on any other engine each connection is put in autocommit and back.
    """
    options = _standing_alone(engine, READS_ONLY)
    with engine.connect() as connection:
        yield connection.execution_options(**options) if options else connection
