"""The web app's repository (storage/auth_repo.py) on SQLite and PostgreSQL: check-ins, invitations, logins."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import auth_repo
from rebalance.storage.auth_repo import CheckInCreate, InvitationCreate
from rebalance.storage.tables import AuditEvent, LoginAttempt, User
from rebalance.storage.types import AuditAction, SafetyLevel
from tests.storage.conftest import People, engine, people, session, session_factory

__all__ = ["engine", "people", "session", "session_factory"]  # the storage fixtures

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _check_in(on: str = "2026-11-20", *flags: str, level: SafetyLevel = SafetyLevel.CLEAR) -> CheckInCreate:
    return CheckInCreate(checked_on=dt.date.fromisoformat(on), answers=list(flags), level=level)


def test_a_patient_checks_in_and_their_clinician_reads_it(session: Session, people: People) -> None:
    made = auth_repo.add_check_in(session, people.patient_user, people.patient, _check_in("2026-11-20"))
    urgent = _check_in("2026-11-27", "bladder_dysfunction", level=SafetyLevel.EMERGENCY)
    auth_repo.add_check_in(session, people.patient_user, people.patient, urgent)
    read = auth_repo.check_ins_for_patient(session, people.clinician, people.patient)
    assert read[0].id == made.id
    assert [(c.checked_on.isoformat(), c.answers, c.level) for c in read] == [
        ("2026-11-20", [], SafetyLevel.CLEAR),
        ("2026-11-27", ["bladder_dysfunction"], SafetyLevel.EMERGENCY),
    ]
    since = auth_repo.check_ins_for_patient(session, people.patient_user, people.patient, dt.date(2026, 11, 21))
    assert [c.level for c in since] == [SafetyLevel.EMERGENCY]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "check_in")).all()
    assert actions == [AuditAction.CREATE, AuditAction.CREATE]


def test_another_clinician_neither_reads_nor_writes_a_patients_check_ins(session: Session, people: People) -> None:
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        auth_repo.add_check_in(session, people.other_clinician, people.patient, _check_in())
    with pytest.raises(PermissionDeniedError):
        auth_repo.check_ins_for_patient(session, people.other_clinician, people.patient)


def test_a_check_in_level_is_one_of_the_safety_levels() -> None:
    with pytest.raises(ValueError, match="level"):
        CheckInCreate(checked_on=dt.date(2026, 11, 20), answers=[], level="fine")  # type: ignore[arg-type]


def test_an_invitation_is_claimed_once(session: Session, people: People) -> None:
    data = InvitationCreate(email="Pat.New@Example.test")
    assert data.email == "pat.new@example.test"
    auth_repo.create_invitation(session, people.clinician, people.patient, data, "h" * 64, NOW + dt.timedelta(days=7))
    assert auth_repo.open_invitation(session, "h" * 64, NOW) is not None
    new_hash = "$argon2id$new"
    user = auth_repo.accept_invitation(session, "h" * 64, NOW, new_hash)
    assert user.id == people.patient_user  # the patient had a user: their password is set
    assert session.scalar(select(User.password_hash).where(User.id == people.patient_user)) == new_hash
    assert auth_repo.open_invitation(session, "h" * 64, NOW) is None
    with pytest.raises(NotFoundError):
        auth_repo.accept_invitation(session, "h" * 64, NOW, "$argon2id$again")


def test_an_expired_invitation_is_not_claimed(session: Session, people: People) -> None:
    data = InvitationCreate(email="pat@example.test")
    auth_repo.create_invitation(session, people.clinician, people.patient, data, "e" * 64, NOW)
    assert auth_repo.open_invitation(session, "e" * 64, NOW) is None
    with pytest.raises(NotFoundError):
        auth_repo.accept_invitation(session, "e" * 64, NOW, "$argon2id$x")


def test_only_the_patients_clinician_or_an_admin_invites(session: Session, people: People) -> None:
    data = InvitationCreate(email="pat@example.test")
    for actor in (people.other_clinician, people.patient_user):
        with pytest.raises(PermissionDeniedError):
            auth_repo.create_invitation(session, actor, people.patient, data, "x" * 64, NOW)
    auth_repo.create_invitation(session, people.admin, people.patient, data, "y" * 64, NOW)


def test_an_invitation_cannot_take_another_users_email(session: Session, people: People) -> None:
    with pytest.raises(ConflictError, match="belongs to another user"):
        auth_repo.create_invitation(
            session, people.clinician, people.patient, InvitationCreate(email="anna@clinic.test"), "z" * 64, NOW
        )


def test_failures_count_per_email_since_its_last_success_and_per_address(session: Session, people: People) -> None:
    for minutes in (20, 10, 8):
        auth_repo.record_login_failure(
            session, "Anna@Clinic.test", "10.0.0.1", NOW - dt.timedelta(minutes=minutes), None
        )
    auth_repo.record_login(session, people.clinician, "anna@clinic.test", "10.0.0.2", NOW - dt.timedelta(minutes=9))
    failures = auth_repo.login_failures(session, "anna@clinic.test", "10.0.0.1", NOW - dt.timedelta(minutes=15))
    assert (failures.by_email, failures.by_ip) == (1, 2)  # 20 min ago is out of the window; 10 before the success
    assert failures.oldest_by_email == NOW - dt.timedelta(minutes=8)
    assert failures.oldest_by_ip == NOW - dt.timedelta(minutes=10)
    assert auth_repo.purge_login_attempts(session, NOW - dt.timedelta(minutes=15)) == 1
    assert len(session.scalars(select(LoginAttempt)).all()) == 3


def test_web_sessions_are_found_by_token_hash_and_purged_when_expired(session: Session, people: People) -> None:
    live = auth_repo.create_web_session(session, people.clinician, "a" * 64, "csrf", NOW, NOW + dt.timedelta(days=7))
    auth_repo.create_web_session(session, people.admin, "b" * 64, "csrf", NOW, NOW + dt.timedelta(hours=1))
    found = auth_repo.web_session_by_token_hash(session, "a" * 64)
    assert found is not None
    assert (found[0].id, found[1].id) == (live.id, people.clinician)
    assert auth_repo.web_session_by_token_hash(session, "c" * 64) is None
    later = NOW + dt.timedelta(hours=2)
    assert auth_repo.purge_web_sessions(session, later, later - dt.timedelta(hours=8)) == 1
    assert auth_repo.web_session_by_token_hash(session, "b" * 64) is None
