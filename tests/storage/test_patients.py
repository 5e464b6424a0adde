"""Patients: created and read by their clinician, the patient list, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage.repos import patients, users
from rebalance.storage.schemas import PatientCreate, UserCreate
from rebalance.storage.tables import Patient, User
from rebalance.storage.types import Role, SafetyLevel, Sex
from tests.storage.conftest import People
from tests.storage.factories import add_assessment, add_log, add_program


def test_create_and_read_a_patient(session: Session, people: People) -> None:
    created = patients.create_patient(session, people.clinician, PatientCreate(display_name="Sam", sex=Sex.MALE))
    session.commit()
    session.expunge_all()
    read = patients.get_patient(session, people.clinician, created.id)
    assert read == created
    assert (read.display_name, read.sex, read.clinician_id, read.archived) == ("Sam", Sex.MALE, people.clinician, False)


def test_read_patient_not_found(session: Session, people: People) -> None:
    with pytest.raises(NotFoundError, match="patient 999999 not found") as caught:
        patients.get_patient(session, people.clinician, 999_999)
    assert (caught.value.entity, caught.value.entity_id) == ("patient", 999_999)


def test_read_patient_of_another_clinician_is_denied(session: Session, people: People) -> None:
    with pytest.raises(PermissionDeniedError, match="not this user's patient") as caught:
        patients.get_patient(session, people.other_clinician, people.patient)
    assert (caught.value.user_id, caught.value.action) == (people.other_clinician, "read")


def test_the_patient_reads_their_own_record_and_an_admin_reads_any(session: Session, people: People) -> None:
    assert patients.get_patient(session, people.patient_user, people.patient).external_ref == "c-017"
    assert patients.get_patient(session, people.admin, people.patient).id == people.patient


def test_an_inactive_or_unknown_user_reads_nothing(session: Session, people: People) -> None:
    user = session.get(User, people.clinician)
    assert user is not None
    user.active = False
    for actor in (people.clinician, 424_242):
        with pytest.raises(PermissionDeniedError, match="unknown or inactive user"):
            patients.get_patient(session, actor, people.patient)


def test_a_clinician_creates_patients_only_for_themselves(session: Session, people: People) -> None:
    with pytest.raises(PermissionDeniedError, match="only for themselves"):
        patients.create_patient(
            session, people.clinician, PatientCreate(display_name="X"), clinician_id=people.other_clinician
        )
    made_by_admin = patients.create_patient(
        session, people.admin, PatientCreate(display_name="Y"), people.other_clinician
    )
    assert made_by_admin.clinician_id == people.other_clinician
    with pytest.raises(NotFoundError, match=f"clinician {people.admin} not found"):
        patients.create_patient(session, people.admin, PatientCreate(display_name="Z"), clinician_id=people.admin)


def test_only_the_first_user_is_created_without_an_acting_user(session: Session, people: People) -> None:
    data = UserCreate(email="second@clinic.test", display_name="Second", role=Role.ADMIN)
    with pytest.raises(PermissionDeniedError, match="only the first user"):
        users.create_user(session, None, data)


def test_an_email_is_registered_once_whatever_its_case(session: Session, people: People) -> None:
    data = UserCreate(email="Anna@Clinic.test", display_name="Anna again", role=Role.CLINICIAN)
    with pytest.raises(ConflictError, match="already exists"):
        users.create_user(session, people.admin, data)


def test_a_clinician_may_not_create_staff(session: Session, people: People) -> None:
    data = UserCreate(email="new@clinic.test", display_name="New", role=Role.CLINICIAN)
    with pytest.raises(PermissionDeniedError, match="only patient users of their own"):
        users.create_user(session, people.clinician, data)


def test_patient_list_shows_only_the_clinicians_patients_with_latest_safety_and_last_session(
    session: Session, people: People
) -> None:
    anna, ben = people.clinician, people.other_clinician
    zoe = patients.create_patient(session, anna, PatientCreate(display_name="Zoe")).id
    alex = patients.create_patient(session, anna, PatientCreate(display_name="Alex")).id
    patients.create_patient(session, ben, PatientCreate(display_name="Ben's patient"))
    # Pat: clear, then an emergency a week later (the latest counts); logs on two days
    first = add_assessment(session, anna, people.patient, on="2026-11-01")
    add_assessment(session, anna, people.patient, on="2026-11-08", level=SafetyLevel.EMERGENCY)
    program = add_program(session, anna, people.patient, first.id)
    add_log(session, people.patient_user, people.patient, program.id, on="2026-11-03")
    add_log(session, people.patient_user, people.patient, program.id, on="2026-11-05")
    # Zoe: an older assessment stored after a newer one; the date decides, not the order of storing
    add_assessment(session, anna, zoe, on="2026-10-10")
    add_assessment(session, anna, zoe, on="2026-09-01", level=SafetyLevel.EMERGENCY)
    session.commit()

    rows = patients.list_patients_for_clinician(session, anna)

    assert [(r.display_name, r.latest_safety_level, r.last_session_on) for r in rows] == [
        ("Alex", None, None),
        ("Pat Example", SafetyLevel.EMERGENCY, dt.date(2026, 11, 5)),
        ("Zoe", SafetyLevel.CLEAR, None),
    ]
    assert [r.id for r in rows] == [alex, people.patient, zoe]
    assert [r.display_name for r in patients.list_patients_for_clinician(session, ben)] == ["Ben's patient"]


def test_archived_patients_are_left_off_the_list_unless_asked_for(session: Session, people: People) -> None:
    archived = patients.create_patient(session, people.clinician, PatientCreate(display_name="Old"))
    session.execute(update(Patient).where(Patient.id == archived.id).values(archived=True))
    session.commit()
    names = [r.display_name for r in patients.list_patients_for_clinician(session, people.clinician)]
    every = [
        r.display_name for r in patients.list_patients_for_clinician(session, people.clinician, include_archived=True)
    ]
    assert names == ["Pat Example"]
    assert every == ["Old", "Pat Example"]


def test_a_patient_list_is_for_the_clinician_and_admins(session: Session, people: People) -> None:
    with pytest.raises(PermissionDeniedError):
        patients.list_patients_for_clinician(session, people.other_clinician, people.clinician)
    with pytest.raises(PermissionDeniedError):
        patients.list_patients_for_clinician(session, people.patient_user, people.clinician)
    assert len(patients.list_patients_for_clinician(session, people.admin, people.clinician)) == 1
