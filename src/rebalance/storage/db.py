"""Engines and sessions, made from the :class:`~rebalance.config.Settings`.

>>> factory = make_session_factory(make_engine())      # REBALANCE_DATABASE_URL
>>> with session_scope(factory) as session:
...     patient = patients.get_patient(session, actor_id, patient_id)

A ``session_scope`` is one unit of work: it commits when the block ends and rolls back when it raises.
The repository functions never commit; their caller's scope does (the web app: one a request,
``web/deps.py``).

SQLite is given what a server database has by default and nothing more: foreign keys enforced, write-ahead
logging (readers never wait for the writer), a busy timeout (a writer waits up to
:data:`SQLITE_BUSY_TIMEOUT_MS` for another's commit), and transactions that take the write lock as they
begin (``BEGIN IMMEDIATE``): a transaction that read first and came to write later would be refused at once,
without waiting, had another written in between. A unit of work that mostly reads (the sessions of
``make_session_factory(engine, reads_first=True)``: the web app's GET requests, which write little beyond
their audit events) reads without a transaction, each statement on the latest commit (as PostgreSQL's
default, read committed, does), and takes the write lock at its first write, for its writes, which then
commit together. What it adds to the session (its audit events) is written as it commits (no autoflush: a
repository function that changes a record and reads on flushes itself), so a page that only reads holds
the lock for that write and the commit alone. Measured with the clinic-day bench
(``bench/README.md``): every page holding the one write lock for its whole request queued the requests one
behind another. On PostgreSQL ``reads_first`` changes nothing. With write-ahead logging a commit is
written to the log without waiting for the disk (``synchronous = NORMAL``, SQLite's advice for WAL): a
commit survives the process being killed, and a power cut may lose the last commits, never the database.
Waiting for the disk at every commit took 9.4 ms a commit on the machine of ``bench/README.md`` (0.01 ms
without), every request's write lock held that long.
PostgreSQL: connections checked before use, a connect timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from rebalance.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000
"""How long a SQLite writer waits for another's commit before it gives up ("database is locked")."""
PG_CONNECT_TIMEOUT_S = 5
"""A PostgreSQL server that does not answer fails the request in seconds, not minutes."""


def make_engine(url: str | URL | None = None, *, echo: bool | None = None) -> Engine:
    """An engine for ``url`` (default: the Settings' ``database_url``), SQLite set up as above."""
    settings = Settings()
    target = make_url(url or settings.database_url)
    echo = settings.database_echo if echo is None else echo
    if target.get_backend_name() == "sqlite":
        engine = create_engine(target, echo=echo)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_write)
        return engine
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S} if target.get_backend_name() == "postgresql" else {}
    return create_engine(target, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver issues no BEGIN of its own: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


READS_FIRST = "rebalance_reads_first"
"""The execution option of a unit of work that begins without the write lock (``session_scope``)."""


def _sqlite_begin(connection: Any) -> None:
    if not connection.get_execution_options().get(READS_FIRST):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_before_write(
    connection: Any, cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """In a unit of work that reads first: the write lock taken before its first statement that is not a
    plain read, so that its writes commit together."""
    if (
        connection.get_execution_options().get(READS_FIRST)
        and not connection.connection.dbapi_connection.in_transaction
        and statement.lstrip()[:6].upper() != "SELECT"
    ):
        cursor.execute("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, reads_first: bool = False) -> sessionmaker[Session]:
    """Sessions bound to ``engine``. Objects stay readable after commit (``expire_on_commit=False``).
    ``reads_first``: units of work that mostly read; on SQLite they take the write lock only when they first
    write (above), and their reads are not one snapshot: each sees the latest commit."""
    if reads_first:  # what they add (audit events) is written as they commit: no flush before each query
        return sessionmaker(
            bind=engine.execution_options(**{READS_FIRST: True}), expire_on_commit=False, autoflush=False
        )
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end of the block, roll back if it raises, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (the demo clinic): a table loaded since it
    was last analyzed looks nearly empty to the planner until the autovacuum daemon comes by. SQLite: nothing."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
