"""Engines and sessions: SQLite's set-up (WAL, a busy timeout, transactions that take the write lock as
they begin), concurrent units of work, and a server connection lost while idle."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage import audit, db
from rebalance.storage.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_factory, session_scope
from rebalance.storage.migrate import upgrade
from rebalance.storage.repos import patients, users
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.types import AuditAction, EntityType, Role
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


@pytest.fixture
def reads(sqlite_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(sqlite_engine, reads_first=True)


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    expected = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": SQLITE_BUSY_TIMEOUT_MS, "synchronous": 1}
    assert pragma == expected  # synchronous 1 = NORMAL: durable when the process dies, not a power cut


def test_a_sqlite_unit_of_work_holds_the_write_lock_from_its_first_statement(factory: sessionmaker[Session]) -> None:
    """A transaction that read first and wrote later would be refused at once, without waiting, had another
    written in between: every unit of work takes the lock as it begins, so writers wait their turn instead."""
    database = str(factory.kw["bind"].url.database)
    with session_scope(factory) as session:
        session.execute(text("SELECT count(*) FROM users"))  # a read: the lock is already held
        other = sqlite3.connect(database, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_a_unit_of_work_that_reads_first_takes_the_write_lock_at_its_first_write_only(
    sqlite_engine: Engine, reads: sessionmaker[Session]
) -> None:
    """A GET request's unit of work: its reads leave the write lock free for others' writes; its first write
    takes the lock, and its writes commit together when it ends (or not at all if it raises)."""
    database = str(sqlite_engine.url.database)
    insert = "INSERT INTO users (email, display_name, role, active, created_at) VALUES (:e, 'X', 'admin', 1, '2026')"
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        with session_scope(reads) as session:
            session.execute(text("SELECT count(*) FROM users"))
            other.execute("BEGIN IMMEDIATE")  # the lock is free while it reads
            other.execute(insert, {"e": "cy@x.test"})
            other.execute("COMMIT")
            assert session.execute(text("SELECT count(*) FROM users")).scalar() == 1  # the latest commit
            session.execute(text(insert), {"e": "ada@x.test"})
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # its writes hold the lock until it ends
        with pytest.raises(RuntimeError), session_scope(reads) as session:
            session.execute(text("SELECT count(*) FROM users"))
            session.execute(text(insert), {"e": "bo@x.test"})
            session.execute(text(insert), {"e": "di@x.test"})
            raise RuntimeError("the request failed")
        emails = {row[0] for row in other.execute("SELECT email FROM users")}
        assert emails == {"cy@x.test", "ada@x.test"}  # both of the failed unit's writes rolled back
    finally:
        other.close()


def test_the_audit_events_of_a_unit_of_work_that_reads_first_are_written_as_it_ends(
    sqlite_engine: Engine, reads: sessionmaker[Session]
) -> None:
    """A GET's audit events: recorded as it reads, written as it commits (the lock free meanwhile); dropped
    with a unit of work that fails."""
    database = str(sqlite_engine.url.database)
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        with session_scope(reads) as session:
            audit.record(session, None, AuditAction.READ, EntityType.PATIENT_LIST, None)
            session.execute(text("SELECT count(*) FROM users"))
            other.execute("BEGIN IMMEDIATE")  # still free: the event waits for the end
            other.execute("ROLLBACK")
        assert other.execute("SELECT count(*) FROM audit_events").fetchone() == (1,)
        with session_scope(reads) as session:  # rolled back, then going on: the rolled-back event is gone
            audit.record(session, None, AuditAction.READ, EntityType.PATIENT_LIST, None)
            session.execute(text("SELECT 1"))
            session.rollback()
            audit.record(session, None, AuditAction.READ, EntityType.PATIENT, 7)
        kept = other.execute("SELECT entity_type, entity_id FROM audit_events ORDER BY id").fetchall()
        assert kept == [("patient_list", None), ("patient", 7)]
    finally:
        other.close()


def test_a_unit_of_work_that_raises_stores_nothing(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        users.create_user(session, None, UserCreate(email="ada@x.test", display_name="Ada", role=Role.ADMIN))
        raise RuntimeError("the request failed")
    with session_scope(factory) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_concurrent_units_of_work_take_turns_and_none_fails(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        admin = users.create_user(session, None, UserCreate(email="ada@x.test", display_name="Ada", role=Role.ADMIN))
        clinician = users.create_user(
            session, admin.id, UserCreate(email="cy@x.test", display_name="Cy", role=Role.CLINICIAN)
        ).id
    errors: list[BaseException] = []

    def add_patients(n: int) -> None:
        try:
            for i in range(10):
                with session_scope(factory) as session:
                    patients.create_patient(session, clinician, PatientCreate(display_name=f"P{n}-{i}"))
                    patients.list_patients_for_clinician(session, clinician)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add_patients, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(factory) as session:
        assert len(patients.list_patients_for_clinician(session, clinician)) == 80


def test_analyze_gives_postgresql_the_statistics_of_what_was_loaded(engine: Engine, people: object) -> None:
    """After a bulk load (the demo clinic), PostgreSQL's planner knows the tables' sizes (a table loaded
    since it was last analyzed looks nearly empty to it). SQLite: nothing to do."""
    db.analyze(engine)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM users").scalar()
        known = connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass").scalar()
    assert count and known == count


def test_a_server_connection_lost_while_idle_is_replaced_before_it_is_used(postgresql_server: Engine) -> None:
    """PostgreSQL restarted, or a connection killed: the next unit of work gets a new connection."""
    engine = make_engine(POSTGRESQL_URL)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with postgresql_server.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
    finally:
        engine.dispose()
