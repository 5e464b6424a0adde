"""Engines and sessions, made from the :class:`~rebalance.config.Settings`.

>>> with session_scope() as session:        # the default database (REBALANCE_DATABASE_URL)
...     patient = repo.get_patient(session, actor_id, patient_id)

A ``session_scope`` is one unit of work: it commits when the block ends and rolls back when it
raises. The repository functions never commit; their caller's scope does.

SQLite gets what a server database has by default: foreign keys enforced, write-ahead logging
(readers do not block the writer), and real transactions — SQLAlchemy's recipe that takes
transaction control away from the ``sqlite3`` driver, so ``BEGIN`` also covers reads and DDL and
savepoints work.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from rebalance.config import Settings


def make_engine(url: str | None = None, *, echo: bool | None = None) -> Engine:
    """An engine for ``url`` (default: the Settings' ``database_url``), with SQLite set up as above."""
    settings = Settings()
    target = url or settings.database_url
    engine = create_engine(target, echo=settings.database_echo if echo is None else echo, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _set_up_sqlite(engine)
    return engine


SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for the lock before giving up


def _set_up_sqlite(engine: Engine) -> None:
    in_memory = make_url(engine.url).database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver stops issuing BEGIN itself; see _on_begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every unit of work here writes (an audit event at least). A deferred BEGIN that later
        # upgrades to a write fails at once with "database is locked" when another writer got
        # there first; IMMEDIATE takes the write lock up front, so writers queue (busy_timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``. Objects stay readable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@functools.cache
def default_session_factory() -> sessionmaker[Session]:
    """The process's session factory for the Settings' database (made once, on first use)."""
    return make_session_factory(make_engine())


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """One unit of work: commit at the end of the block, roll back if it raises, always close."""
    session = (factory or default_session_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
