"""The web app's repository (storage/auth_repo.py) on SQLite and PostgreSQL: check-ins, invitations, logins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import auth_repo
from rebalance.storage.auth_repo import CheckInCreate, InvitationCreate
from rebalance.storage.db import reading_engine
from rebalance.storage.quick import Quick
from rebalance.storage.tables import AuditEvent, LoginAttempt, User
from rebalance.storage.types import AuditAction, SafetyLevel, utc_now
from rebalance.web import security
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


def test_the_sessions_of_several_requests_are_found_in_one_statement_and_only_those_in_force_signed_in(
    session: Session, people: People, engine: Engine
) -> None:
    """The log writer's lookup (``web_sessions_with_page_state``, ``security.find_sessions``): each as the
    lookup of one request finds it, one statement for them all on PostgreSQL; an ended session, one idle too
    long and an inactive user are not signed in, as for one request."""
    now = utc_now()
    week = dt.timedelta(days=7)
    auth_repo.create_web_session(session, people.patient_user, "a" * 64, "csrf-a", now, now + week)
    auth_repo.create_web_session(session, people.clinician, "b" * 64, "csrf-b", now, now + week)
    auth_repo.create_web_session(session, people.admin, "c" * 64, "csrf-c", now - week, now - dt.timedelta(hours=1))
    session.commit()
    reads = reading_engine(engine)
    statements: list[str] = []
    real = Quick._alone

    def counted(quick: Quick, *args: Any, **kwargs: Any) -> Any:
        statements.append("")
        return real(quick, *args, **kwargs)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Quick, "_alone", counted)
            found = auth_repo.web_sessions_with_page_state(reads, ["a" * 64, "b" * 64, "c" * 64, "d" * 64, "a" * 64])
        assert len(statements) == (1 if engine.dialect.name == "postgresql" else 4)  # one a distinct hash else
        for hashed in ("a" * 64, "b" * 64, "c" * 64):
            assert found[hashed] == auth_repo.web_session_with_page_state(reads, hashed)
        assert "d" * 64 not in found and found["a" * 64][2].program_id is None  # a patient's page state
        signed = security.find_sessions(reads, Settings(), ["a" * 64, "b" * 64, "c" * 64])
        assert {h[0]: s.user.id for h, s in signed.items()} == {"a": people.patient_user, "b": people.clinician}
        session.execute(update(User).where(User.id == people.clinician).values(active=False))
        session.commit()
        assert set(security.find_sessions(reads, Settings(), ["a" * 64, "b" * 64])) == {"a" * 64}
    finally:
        if reads is not engine:
            reads.dispose()
