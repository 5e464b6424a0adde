"""The audit log: who read or changed which record, and when."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebalance.errors import PermissionDeniedError
from rebalance.storage.repos import assessments, audit_log, patients, programs, session_logs
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_log, add_program

READ, CREATE, UPDATE, PUBLISH = AuditAction.READ, AuditAction.CREATE, AuditAction.UPDATE, AuditAction.PUBLISH


def test_reads_and_changes_of_a_patient_record_are_audited(session: Session, people: People) -> None:
    anna, pat = people.clinician, people.patient_user
    patients.get_patient(session, anna, people.patient)
    assessment = add_assessment(session, anna, people.patient)
    v1 = add_program(session, anna, people.patient, assessment.id, ProgramStatus.PUBLISHED)
    v2 = add_program(session, anna, people.patient, assessment.id)
    programs.publish_program(session, anna, v2.id)
    log = add_log(session, pat, people.patient, v2.id, on="2026-11-02")
    programs.latest_program(session, pat, people.patient)
    session_logs.session_logs_for_patient(session, pat, people.patient)
    session.commit()

    events = audit_log.audit_events_for(session, people.admin, EntityType.PATIENT, people.patient)

    assert [(e.user_id, e.action, e.entity_type, e.entity_id) for e in events] == [
        (anna, CREATE, "patient", people.patient),
        (anna, CREATE, "user", pat),  # the patient's own login
        (anna, READ, "patient", people.patient),
        (anna, CREATE, "assessment", assessment.id),
        (anna, CREATE, "program", v1.id),
        (anna, PUBLISH, "program", v1.id),
        (anna, CREATE, "program", v2.id),
        (anna, UPDATE, "program", v1.id),
        (anna, PUBLISH, "program", v2.id),
        (pat, CREATE, "session_log", log.id),
        (pat, READ, "program", v2.id),
        (pat, READ, "patient", people.patient),
    ]
    assert events[7].detail == {"status": "superseded", "superseded_by": v2.id}
    assert events[-1].detail == {"read": "session_logs", "from": None, "to": None, "count": 1}
    assert all(e.at.tzinfo is dt.UTC for e in events)


def test_the_events_of_one_record(session: Session, people: People) -> None:
    assessment = add_assessment(session, people.clinician, people.patient)
    assessments.get_assessment(session, people.admin, assessment.id)
    events = audit_log.audit_events_for(session, people.admin, EntityType.ASSESSMENT, assessment.id)
    assert [(e.user_id, e.action) for e in events] == [(people.clinician, CREATE), (people.admin, READ)]
    assert events[0].detail == {"safety_level": "clear"}


def test_a_patient_list_is_one_read_event(session: Session, people: People) -> None:
    patients.list_patients_for_clinician(session, people.clinician)
    events = audit_log.audit_events_for(session, people.admin, EntityType.PATIENT_LIST, people.clinician)
    assert [(e.user_id, e.action, e.detail) for e in events] == [(people.clinician, READ, {"count": 1})]


def test_a_refused_read_writes_nothing_and_the_audit_log_is_for_admins(session: Session, people: People) -> None:
    before = session.scalars(select(AuditEvent.id)).all()
    with pytest.raises(PermissionDeniedError):
        patients.get_patient(session, people.other_clinician, people.patient)
    assert session.scalars(select(AuditEvent.id)).all() == before
    with pytest.raises(PermissionDeniedError, match="only an admin reads the audit log"):
        audit_log.audit_events_for(session, people.clinician, EntityType.PATIENT, people.patient)


def test_the_read_events_of_a_unit_of_work_are_stored_with_it_stamped_when_read(
    session_factory: sessionmaker[Session], people: People
) -> None:
    pat = people.patient_user
    with session_factory() as session:
        programs.latest_program(session, pat, people.patient)
        assessments.latest_assessment(session, pat, people.patient)
        session_logs.session_logs_for_patient(session, pat, people.patient)
        session.commit()
    with session_factory() as session:
        events = audit_log.audit_events_for(session, people.admin, EntityType.PATIENT, people.patient)
    assert [(e.user_id, e.detail.get("read")) for e in events[-3:]] == [
        (pat, "latest_program"),
        (pat, "latest_assessment"),
        (pat, "session_logs"),
    ]
    assert events[-3].at < events[-2].at < events[-1].at  # stamped when read


def test_the_session_sees_its_own_events_before_it_commits(session: Session, people: People) -> None:
    patients.get_patient(session, people.clinician, people.patient)
    latest = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (latest.user_id, latest.action, latest.entity_id) == (people.clinician, READ, people.patient)


def test_a_rollback_drops_the_events_not_yet_written(session_factory: sessionmaker[Session], people: People) -> None:
    with session_factory() as session:
        before = len(session.scalars(select(AuditEvent.id)).all())
        patients.get_patient(session, people.clinician, people.patient)
        session.rollback()
        session.commit()
        assert len(session.scalars(select(AuditEvent.id)).all()) == before


def test_a_savepoint_rolled_back_drops_only_its_own_events(session: Session, people: People) -> None:
    patients.get_patient(session, people.clinician, people.patient)  # before the savepoint: kept
    with pytest.raises(PermissionDeniedError), session.begin_nested():
        programs.latest_program(session, people.clinician, people.patient)  # inside: dropped with it
        raise PermissionDeniedError(people.clinician, READ, EntityType.PATIENT, people.patient, "a test")
    with session.begin_nested():
        session_logs.session_logs_for_patient(session, people.clinician, people.patient)  # released: kept
    session.commit()
    events = audit_log.audit_events_for(session, people.admin, EntityType.PATIENT, people.patient)
    reads = [(e.entity_type, e.detail.get("read")) for e in events if e.action is READ]
    assert reads == [("patient", None), ("patient", "session_logs")]
