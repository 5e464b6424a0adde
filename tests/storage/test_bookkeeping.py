"""The bookkeeping writer: the read events and session marks of reading units of work, stored off the
request path — every one of them, and nothing a rolled-back unit of work read."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage import audit, auth_repo, bookkeeping, repo
from rebalance.storage.bookkeeping import Bookkeeping, reading_scope
from rebalance.storage.db import make_reading_session_factory, session_scope
from rebalance.storage.tables import AuditEvent, WebSession
from rebalance.storage.types import AuditAction, utc_now
from tests.storage.conftest import People


@pytest.fixture
def writer(session_factory: sessionmaker[Session]) -> Iterator[Bookkeeping]:
    writer = Bookkeeping(session_factory)
    yield writer
    writer.close()


@pytest.fixture
def reading(engine: Engine) -> sessionmaker[Session]:
    return make_reading_session_factory(engine)


def _events(factory: sessionmaker[Session]) -> list[tuple[int | None, AuditAction, str]]:
    with session_scope(factory) as db:
        rows = db.execute(select(AuditEvent.user_id, AuditEvent.action, AuditEvent.entity_type).order_by(AuditEvent.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _count(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as db:
        return db.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _read_a_patient(writer: Bookkeeping, reading: sessionmaker[Session], people: People) -> None:
    """A reading unit of work that reads one patient (one READ event)."""
    with reading_scope(writer, reading) as db:
        repo.get_patient(db, people.clinician, people.patient)


def test_the_read_events_of_a_reading_unit_of_work_are_stored_by_the_writer(
    session_factory: sessionmaker[Session], reading: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    before = _count(session_factory)
    _read_a_patient(writer, reading, people)
    assert _count(session_factory) == before  # not written by the unit of work itself
    assert writer.waiting() == 1
    writer.flush()
    assert _events(session_factory)[-1] == (people.clinician, AuditAction.READ, "patient")
    assert writer.waiting() == 0


def test_the_writers_thread_stores_them_soon_without_being_asked(
    session_factory: sessionmaker[Session], reading: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    before = _count(session_factory)
    _read_a_patient(writer, reading, people)
    deadline = time.monotonic() + 5
    while _count(session_factory) == before and time.monotonic() < deadline:
        time.sleep(bookkeeping.FLUSH_EVERY_S)
    assert _count(session_factory) == before + 1


def test_a_change_in_a_reading_unit_of_work_is_written_with_it_not_later(
    session_factory: sessionmaker[Session],
    reading: sessionmaker[Session],
    writer: Bookkeeping,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bookkeeping, "FLUSH_EVERY_S", 60.0)  # the writer's thread keeps the read until asked
    with reading_scope(writer, reading) as db:
        repo.get_patient(db, people.clinician, people.patient)
        audit.record(db, people.clinician, AuditAction.UPDATE, "patient", people.patient, people.patient)
    assert _events(session_factory)[-1] == (people.clinician, AuditAction.UPDATE, "patient")  # already stored
    assert writer.waiting() == 1  # the read, handed over


def test_a_unit_of_work_that_fails_hands_over_nothing(
    session_factory: sessionmaker[Session], reading: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    with pytest.raises(RuntimeError), reading_scope(writer, reading) as db:
        repo.get_patient(db, people.clinician, people.patient)
        raise RuntimeError("the page failed")
    assert writer.waiting() == 0


def test_events_the_database_refuses_are_kept_and_stored_on_the_next_try(
    session_factory: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    row = {
        "at": utc_now(),
        "user_id": people.admin,
        "action": AuditAction.READ,
        "entity_type": None,  # NOT NULL: the database refuses it
        "entity_id": people.patient,
        "patient_id": people.patient,
        "detail": {},
    }
    writer.add_events([row])
    with pytest.raises(Exception, match=r"(?i)null"):
        writer.flush()
    assert writer.waiting() == 1  # kept
    writer._events[0]["entity_type"] = "patient"  # (what a database back in order would take)
    writer.flush()
    assert writer.waiting() == 0
    assert _events(session_factory)[-1] == (people.admin, AuditAction.READ, "patient")


def test_a_session_is_marked_at_its_latest_activity_never_earlier(
    session_factory: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    start = utc_now() - dt.timedelta(hours=1)
    with session_scope(session_factory) as db:
        web_session = auth_repo.create_web_session(
            db, people.patient_user, "h" * 64, "c" * 32, start, start + dt.timedelta(1)
        )
    later, latest = start + dt.timedelta(minutes=20), start + dt.timedelta(minutes=40)
    writer.touch(web_session.id, latest)
    writer.touch(web_session.id, later)  # arrives after, is older: ignored
    writer.flush()
    with session_scope(session_factory) as db:
        assert db.scalar(select(WebSession.last_seen_at)) == latest
    writer.touch(web_session.id, later)  # older than what is stored: the row keeps the latest
    writer.flush()
    with session_scope(session_factory) as db:
        assert db.scalar(select(WebSession.last_seen_at)) == latest


def test_close_stores_what_is_waiting_and_later_hand_overs_at_once(
    session_factory: sessionmaker[Session], reading: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    before = _count(session_factory)
    with reading_scope(writer, reading) as db:
        repo.get_patient(db, people.clinician, people.patient)
    writer.close()
    assert _count(session_factory) == before + 1
    with reading_scope(writer, reading) as db:
        repo.get_patient(db, people.clinician, people.patient)
    assert _count(session_factory) == before + 2


def test_on_sqlite_a_reading_unit_of_work_neither_takes_nor_waits_for_the_write_lock(
    backend: str, engine: Engine, reading: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    other = engine.raw_connection()  # another writer, holding the lock throughout
    try:
        other.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
        started = time.monotonic()
        with reading_scope(writer, reading) as db:
            assert repo.get_patient(db, people.clinician, people.patient).id == people.patient
            db.execute(text("SELECT 1"))
        assert time.monotonic() - started < 1.0  # the busy timeout is 10 s
    finally:
        other.rollback()
        other.close()


def test_the_writer_stores_every_column_as_an_insert_would(
    session_factory: sessionmaker[Session], writer: Bookkeeping, people: People
) -> None:
    """On PostgreSQL the writer uses COPY, not INSERT: the rows read back must be the same."""
    at = dt.datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=dt.UTC)
    detail = {"read": "session_logs", "from": None, "ids": [1, 2], "note": 'tab\there, quote " and \\ too'}
    rows = [
        {"at": at, "user_id": people.clinician, "action": AuditAction.READ, "entity_type": "patient",
         "entity_id": people.patient, "patient_id": people.patient, "detail": detail},
        {"at": at + dt.timedelta(seconds=1), "user_id": None, "action": AuditAction.LOGIN_FAILED,
         "entity_type": "user", "entity_id": None, "patient_id": None, "detail": {}},
    ]  # fmt: skip
    writer.add_events(rows)
    writer.flush()
    with session_scope(session_factory) as db:
        stored = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()[::-1]
        got = [
            {
                name: getattr(event, name)
                for name in ("at", "user_id", "action", "entity_type", "entity_id", "patient_id", "detail")
            }
            for event in stored
        ]
    assert got == rows
