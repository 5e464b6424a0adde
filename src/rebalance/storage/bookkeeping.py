"""The bookkeeping of requests — read events for the audit log, and "this web session was active" —
written off the request path, in batches (the web app hands over every request's, GET or not).

>>> writer = Bookkeeping(session_factory)
>>> with reading_scope(writer, make_reading_session_factory(engine)) as db:   # (web/deps.get_db)
...     repo.latest_program(db, user_id, patient_id)   # records a READ event, handed to the writer
>>> writer.flush()                             # written now (tests, shutdown); else within FLUSH_EVERY_S

A request that only reads then never writes: on SQLite it takes no write lock and never waits for one,
and on a server database it commits nothing. Every read is still audited: the writer's thread stores
the events it was handed, all of them in one unit of work, at most :data:`FLUSH_EVERY_S` later, and
on :meth:`Bookkeeping.close` (the app's shutdown). What a crash of the process can lose is the events
of its last fraction of a second, never a change: changes and their audit events are written together
in the unit of work that makes them, as always (``audit.py``).

Given the engine (``checkpoints``), the same thread also checkpoints its SQLite write-ahead log every
cycle (``db.checkpoint``), so that no request's commit has to (``db.make_engine(background_checkpoints=True)``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Engine, Table, bindparam
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage.db import checkpoint, session_scope
from rebalance.storage.quick import Quick
from rebalance.storage.tables import AuditEvent, WebSession

logger = logging.getLogger("rebalance.storage")

FLUSH_EVERY_S = 0.05
"""The writer stores what it was handed at least this often (seconds) while there is anything."""

MAX_WAITING = 200_000
"""Events kept for a retry while the database refuses them; beyond that the oldest are dropped (logged)."""

KEY = "rebalance.bookkeeping"
"""``Session.info`` key of a reading unit of work: the :class:`Bookkeeping` its events go to."""

_SESSIONS = cast(Table, WebSession.__table__)
_TOUCH = (
    _SESSIONS.update()
    .where(_SESSIONS.c.id == bindparam("session_id"), _SESSIONS.c.last_seen_at < bindparam("seen"))
    .values(last_seen_at=bindparam("seen"))
)


class Bookkeeping:
    """Read events and session activity, stored by a thread of its own (started on first use)."""

    def __init__(self, session_factory: sessionmaker[Session], checkpoints: Engine | None = None) -> None:
        self._factory = session_factory
        self._checkpoints = checkpoints
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._seen: dict[int, dt.datetime] = {}  # web session id -> the latest activity
        self._wake = threading.Event()
        self._write_lock = threading.Lock()  # one batch at a time (the thread, flush)
        self._thread: threading.Thread | None = None
        self._closed = False

    # handing over

    def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Audit events (rows of ``audit_events``, as ``audit.record`` makes them) to store."""
        if not rows:
            return
        with self._lock:
            self._events.extend(rows)
        self._start()

    def touch(self, web_session_id: int, seen: dt.datetime) -> None:
        """Mark a web session active at ``seen`` (a later mark wins; an earlier one is ignored)."""
        with self._lock:
            self._mark(web_session_id, seen)
        self._start()

    def _mark(self, web_session_id: int, seen: dt.datetime) -> None:
        known = self._seen.get(web_session_id)
        if known is None or seen > known:
            self._seen[web_session_id] = seen

    def waiting(self) -> int:
        """Events and session marks not yet stored."""
        with self._lock:
            return len(self._events) + len(self._seen)

    # storing

    def flush(self) -> None:
        """Store everything handed over so far, now, in this thread. Raises if the database refuses it
        (what was not stored is kept for the next try)."""
        with self._write_lock:
            with self._lock:
                events, self._events = self._events, []
                seen, self._seen = self._seen, {}
            if not events and not seen:
                return
            try:
                with session_scope(self._factory) as db:
                    connection = db.connection()
                    if events:
                        store_events(connection, events)
                    if seen:
                        connection.execute(_TOUCH, [{"session_id": k, "seen": v} for k, v in seen.items()])
            except BaseException:
                self._keep(events, seen)
                raise

    def close(self) -> None:
        """Store what is waiting and stop the thread (the app's shutdown). Later hand-overs are stored
        at once, in the caller's thread."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _keep(self, events: list[dict[str, Any]], seen: dict[int, dt.datetime]) -> None:
        with self._lock:
            self._events[:0] = events
            for key, value in seen.items():
                self._mark(key, value)
            if len(self._events) > MAX_WAITING:
                dropped = len(self._events) - MAX_WAITING
                del self._events[:dropped]
                logger.error("audit: %d read events dropped: the database refused them for too long", dropped)

    def _start(self) -> None:
        if self._closed:
            self.flush()
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="rebalance-bookkeeping", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_EVERY_S)
            try:
                self.flush()
            except Exception:
                logger.exception("audit: read events could not be stored; trying again")
            if self._checkpoints is not None:
                try:
                    checkpoint(self._checkpoints)
                except Exception:
                    logger.exception("the write-ahead log could not be checkpointed; trying again")


_COLUMNS = [c for c in cast(Table, AuditEvent.__table__).c if c.name != "id"]
_COPY = f"COPY audit_events ({', '.join(c.name for c in _COLUMNS)}) FROM STDIN"
_INSERT = Quick(
    cast(Table, AuditEvent.__table__).insert().values({c.name: bindparam(c.name, type_=c.type) for c in _COLUMNS})
)


def insert_events(connection: Connection, events: list[dict[str, Any]]) -> None:
    """Insert audit events (rows as ``audit.record`` makes them) in ``connection``'s transaction, on the
    driver's cursor: every unit of work that changes a record makes it (``quick.py``: one statement for
    many rows)."""
    _INSERT.many_in(connection, events)


def store_events(connection: Connection, events: list[dict[str, Any]]) -> None:
    """Insert a batch of read events in ``connection``'s transaction: one ``COPY`` on PostgreSQL (a
    fraction of the cost of an ``INSERT`` a row, in the server and in the driver), else
    :func:`insert_events`."""
    if connection.dialect.name != "postgresql":
        insert_events(connection, events)
        return
    convert = _converters(connection.dialect)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(_COPY) as copy:  # type: ignore[union-attr]
        for event in events:
            copy.write_row([event.get(name) if bind is None else bind(event.get(name)) for name, bind in convert])


_CONVERTERS: dict[str, list[tuple[str, Callable[[Any], Any] | None]]] = {}


def _converters(dialect: Dialect) -> list[tuple[str, Callable[[Any], Any] | None]]:
    """Each column's value as SQLAlchemy binds it in an INSERT (the enum's value, the JSON document as
    text), worked out once per kind of database (the app's engines of one kind are set up alike)."""
    if dialect.name not in _CONVERTERS:
        _CONVERTERS[dialect.name] = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in _COLUMNS]
    return _CONVERTERS[dialect.name]


def reading_session(writer: Bookkeeping, factory: sessionmaker[Session], info: dict[str, Any] | None = None) -> Session:
    """A session whose read events go to ``writer`` as its unit of work commits (its other events it
    writes itself, with its changes). ``factory``: ``db.make_reading_session_factory`` for a unit of work
    that only reads, or any other; ``info`` is added to its ``Session.info``."""
    return factory(info={KEY: writer, **(info or {})})


def reading_scope(writer: Bookkeeping, factory: sessionmaker[Session]) -> AbstractContextManager[Session]:
    """:func:`~rebalance.storage.db.session_scope` for a unit of work that reads (see :func:`reading_session`)."""
    return session_scope(factory, **{KEY: writer})
