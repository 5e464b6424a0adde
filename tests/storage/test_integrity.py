"""What the database itself guarantees, on both: foreign keys, JSON round trips, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from rebalance.storage.db import make_engine
from rebalance.storage.migrate import upgrade
from rebalance.storage.repos import assessments
from rebalance.storage.schemas import AssessmentCreate
from rebalance.storage.tables import Assessment, Patient, SessionLog, User
from rebalance.storage.types import Role, SafetyLevel
from tests.storage.conftest import People
from tests.storage.factories import analysis_document, assessment_document


def test_foreign_keys_are_enforced(session: Session, people: People) -> None:
    session.add(SessionLog(patient_id=999_999, program_id=999_999, performed_on=dt.date(2026, 11, 1), entries=[]))
    with pytest.raises(IntegrityError):
        session.flush()


def test_sqlite_connections_enforce_foreign_keys_and_write_ahead(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


TRICKY: dict[str, Any] = {
    "text": 'Schmerz im Gesäß — rechts 😖, "quoted", back\\slash, new\nline',
    "numbers": [0, -1, 2**53, 0.1, 1e-9, 55.5],
    "nothing": None,
    "flags": [True, False],
    "nested": {"deep": [{"deeper": [[], {}]}]},
    "empty": "",
}


def test_json_documents_round_trip(session_factory: sessionmaker[Session], people: People) -> None:
    document = {**assessment_document(), "extra": TRICKY}
    analysis = {**analysis_document(SafetyLevel.CAUTION), "extra": TRICKY}
    with session_factory() as session:
        data = AssessmentCreate(assessed_on=dt.date(2026, 11, 20), document=document, analysis=analysis)
        stored_id = assessments.add_assessment(session, people.clinician, people.patient, data).id
        session.commit()
    with session_factory() as session:  # a new session: read from the database, not from memory
        stored = session.get(Assessment, stored_id)
        assert stored is not None
        assert stored.document == document
        assert stored.analysis == analysis
        assert stored.safety_level is SafetyLevel.CAUTION
        assert assessments.get_assessment(session, people.admin, stored_id).document["extra"] == TRICKY


def test_timestamps_are_timezone_aware_utc(session_factory: sessionmaker[Session], people: People) -> None:
    with session_factory() as session:
        patient = session.scalars(select(Patient)).one()
        assert patient.created_at.tzinfo is dt.UTC
        assert abs(dt.datetime.now(dt.UTC) - patient.created_at) < dt.timedelta(minutes=5)
        summer = dt.datetime(2026, 7, 1, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        session.add(User(email="tz@clinic.test", display_name="Tz", role=Role.ADMIN, created_at=summer))
        session.commit()
    with session_factory() as session:
        stored = session.scalars(select(User.created_at).where(User.email == "tz@clinic.test")).one()
        assert stored == dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)
        assert stored.tzinfo is dt.UTC


def test_a_naive_timestamp_is_refused(session: Session) -> None:
    session.add(
        User(email="naive@clinic.test", display_name="Naive", role=Role.ADMIN, created_at=dt.datetime(2026, 1, 1))
    )
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_values_outside_their_set_are_refused_by_the_database(session: Session, people: People) -> None:
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE users SET role = 'superuser' WHERE id = :id"), {"id": people.admin})
