"""What the patient's own pages need from the store: how the next morning felt, and their own assessments."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError, PermissionDeniedError
from rebalance.storage.repos import assessments, session_logs
from rebalance.storage.schemas import SessionEntry, SessionLogCreate
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_log, add_program


@pytest.fixture
def program_id(session: Session, people: People) -> int:
    assessment = add_assessment(session, people.clinician, people.patient)
    return add_program(session, people.clinician, people.patient, assessment.id, ProgramStatus.PUBLISHED).id


def test_the_next_morning_attaches_to_every_exercise_done_in_the_session(
    session: Session, people: People, program_id: int
) -> None:
    entries = [
        SessionEntry(exercise_id="bird_dog", done=True, pain_during=2),
        SessionEntry(exercise_id="glute_bridge", done=False),
    ]
    data = SessionLogCreate(program_id=program_id, performed_on=dt.date(2026, 11, 2), entries=entries)
    log = session_logs.add_session_log(session, people.patient_user, people.patient, data)
    updated = session_logs.set_next_morning(session, people.patient_user, log.id, pain=3, stiffness=4)
    session.commit()
    session.expunge_all()
    (stored,) = session_logs.session_logs_for_patient(session, people.clinician, people.patient)
    assert stored == updated
    done, skipped = stored.entries
    assert (done.pain_next_morning, done.stiffness_next_morning, done.pain_during) == (3, 4, 2)
    assert (skipped.pain_next_morning, skipped.stiffness_next_morning) == (None, None)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.UPDATE)).one()
    assert (event.entity_type, event.entity_id, event.user_id) == (EntityType.SESSION_LOG, log.id, people.patient_user)
    assert event.detail == {"pain_next_morning": 3, "stiffness_next_morning": 4}


def test_a_value_left_out_keeps_the_one_stored(session: Session, people: People, program_id: int) -> None:
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-02")
    session_logs.set_next_morning(session, people.patient_user, log.id, pain=3, stiffness=2)
    again = session_logs.set_next_morning(session, people.clinician, log.id, pain=None, stiffness=5)
    assert (again.entries[0].pain_next_morning, again.entries[0].stiffness_next_morning) == (3, 5)


def test_a_next_morning_out_of_range_changes_nothing(session: Session, people: People, program_id: int) -> None:
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-02")
    with pytest.raises(ValidationError):
        session_logs.set_next_morning(session, people.patient_user, log.id, pain=11, stiffness=None)
    (stored,) = session_logs.session_logs_for_patient(session, people.patient_user, people.patient)
    assert stored.entries[0].pain_next_morning is None


def test_only_the_patient_their_clinician_or_an_admin_record_the_next_morning(
    session: Session, people: People, program_id: int
) -> None:
    log = add_log(session, people.patient_user, people.patient, program_id, on="2026-11-02")
    with pytest.raises(PermissionDeniedError):
        session_logs.set_next_morning(session, people.other_clinician, log.id, pain=1, stiffness=1)
    with pytest.raises(NotFoundError):
        session_logs.set_next_morning(session, people.patient_user, log.id + 1000, pain=1, stiffness=1)
    by_admin = session_logs.set_next_morning(session, people.admin, log.id, pain=1, stiffness=None)
    assert by_admin.entries[0].pain_next_morning == 1


def test_a_patient_reads_their_own_assessments_oldest_first(session: Session, people: People) -> None:
    later = add_assessment(session, people.clinician, people.patient, on="2026-11-20")
    earlier = add_assessment(session, people.clinician, people.patient, on="2026-10-01")
    session.commit()
    assert [a.id for a in assessments.patient_assessments(session, people.patient_user, people.patient)] == [
        earlier.id,
        later.id,
    ]
    with pytest.raises(PermissionDeniedError):
        assessments.patient_assessments(session, people.other_clinician, people.patient)
    event = session.scalars(select(AuditEvent).where(AuditEvent.user_id == people.patient_user)).all()[-1]
    assert event.detail == {"read": "assessments", "ids": [earlier.id, later.id]}


def test_a_patient_reads_their_latest_assessment_alone(session: Session, people: People) -> None:
    assert assessments.latest_assessment(session, people.patient_user, people.patient) is None
    first = add_assessment(session, people.clinician, people.patient, on="2026-11-20")
    add_assessment(session, people.clinician, people.patient, on="2026-10-01")
    second_that_day = add_assessment(session, people.clinician, people.patient, on="2026-11-20")
    session.commit()
    latest = assessments.latest_assessment(session, people.patient_user, people.patient)
    assert latest is not None
    assert latest.id == second_that_day.id != first.id
    with pytest.raises(PermissionDeniedError):
        assessments.latest_assessment(session, people.other_clinician, people.patient)
    events = session.scalars(select(AuditEvent).where(AuditEvent.user_id == people.patient_user)).all()
    assert [(e.action, e.entity_type, e.entity_id) for e in events] == [
        (AuditAction.READ, EntityType.PATIENT, people.patient),  # none yet
        (AuditAction.READ, EntityType.ASSESSMENT, latest.id),
    ]
    assert events[0].detail == {"read": "latest_assessment"}
