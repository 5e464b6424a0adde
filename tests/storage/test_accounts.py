"""The web app's records on SQLite and PostgreSQL: check-ins, invitations, passwords, logins, web sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage.repos import check_ins, invitations, logins, patients, users, web_sessions
from rebalance.storage.schemas import CheckInCreate, InvitationCreate, PatientCreate
from rebalance.storage.tables import AuditEvent, Invitation, LoginAttempt, User
from rebalance.storage.types import AuditAction, SafetyLevel
from tests.storage.conftest import People

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _check_in(on: str = "2026-11-20", *flags: str, level: SafetyLevel = SafetyLevel.CLEAR) -> CheckInCreate:
    return CheckInCreate(checked_on=dt.date.fromisoformat(on), answers=list(flags), level=level)


def test_a_patient_checks_in_and_their_clinician_reads_it(session: Session, people: People) -> None:
    made = check_ins.add_check_in(session, people.patient_user, people.patient, _check_in("2026-11-20"))
    urgent = _check_in("2026-11-27", "bladder_dysfunction", level=SafetyLevel.EMERGENCY)
    check_ins.add_check_in(session, people.patient_user, people.patient, urgent)
    read = check_ins.check_ins_for_patient(session, people.clinician, people.patient)
    assert read[0].id == made.id
    assert [(c.checked_on.isoformat(), c.answers, c.level) for c in read] == [
        ("2026-11-20", [], SafetyLevel.CLEAR),
        ("2026-11-27", ["bladder_dysfunction"], SafetyLevel.EMERGENCY),
    ]
    since = check_ins.check_ins_for_patient(session, people.patient_user, people.patient, dt.date(2026, 11, 21))
    assert [c.level for c in since] == [SafetyLevel.EMERGENCY]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "check_in")).all()
    assert actions == [AuditAction.CREATE, AuditAction.CREATE]


def test_another_clinician_neither_reads_nor_writes_a_patients_check_ins(session: Session, people: People) -> None:
    with pytest.raises(PermissionDeniedError, match="not this user's patient"):
        check_ins.add_check_in(session, people.other_clinician, people.patient, _check_in())
    with pytest.raises(PermissionDeniedError):
        check_ins.check_ins_for_patient(session, people.other_clinician, people.patient)


def test_a_check_in_level_is_one_of_the_safety_levels() -> None:
    with pytest.raises(ValueError, match="level"):
        CheckInCreate(checked_on=dt.date(2026, 11, 20), answers=[], level="fine")  # type: ignore[arg-type]


def test_an_invitation_activates_the_patients_account_once_for_its_email(session: Session, people: People) -> None:
    data = InvitationCreate(email="Pat@Example.test")
    assert data.email == "pat@example.test"  # the patient's account's email, any case
    invitations.create_invitation(session, people.clinician, people.patient, data, "h" * 64, NOW + dt.timedelta(days=7))
    assert invitations.open_invitation(session, "h" * 64, NOW) is not None
    user = invitations.accept_invitation(session, "h" * 64, NOW, "$argon2id$new")
    assert user.id == people.patient_user  # the patient's account, not activated until now
    assert session.scalar(select(User.password_hash).where(User.id == people.patient_user)) == "$argon2id$new"
    assert invitations.open_invitation(session, "h" * 64, NOW) is None
    with pytest.raises(NotFoundError):
        invitations.accept_invitation(session, "h" * 64, NOW, "$argon2id$again")


def test_a_patient_without_an_account_gets_one_for_the_invited_email(session: Session, people: People) -> None:
    new = patients.create_patient(session, people.clinician, PatientCreate(display_name="New Pat")).id
    data = InvitationCreate(email="new.pat@example.test")
    invitations.create_invitation(session, people.clinician, new, data, "n" * 64, NOW + dt.timedelta(days=7))
    user = invitations.accept_invitation(session, "n" * 64, NOW, "$argon2id$new")
    assert (user.email, user.patient_id, user.clinician_id) == ("new.pat@example.test", new, people.clinician)


def test_an_activated_account_is_never_invited_again(session: Session, people: People) -> None:
    """A link that set an activated patient's password would hand their account to whoever opens it."""
    invitations.create_invitation(
        session, people.clinician, people.patient, InvitationCreate(email="pat@example.test"), "o" * 64, NOW
    )  # made while the account was not activated (expired at once)
    theirs = "$argon2id$theirs"
    session.execute(update(User).where(User.id == people.patient_user).values(password_hash=theirs))
    with pytest.raises(ConflictError, match="activated their account already"):
        invitations.create_invitation(
            session, people.clinician, people.patient, InvitationCreate(email="pat@example.test"), "a" * 64, NOW
        )
    session.execute(update(Invitation).values(expires_at=NOW + dt.timedelta(days=1)))  # an older link, still open
    with pytest.raises(NotFoundError):
        invitations.accept_invitation(session, "o" * 64, NOW, "$argon2id$stranger")
    assert session.scalar(select(User.password_hash).where(User.id == people.patient_user)) == theirs


def test_an_invitation_is_bound_to_the_email_of_the_patients_account(session: Session, people: People) -> None:
    with pytest.raises(ConflictError, match=r"account is for pat@example\.test"):
        invitations.create_invitation(
            session, people.clinician, people.patient, InvitationCreate(email="someone@else.test"), "s" * 64, NOW
        )


def test_issuing_an_invitation_ends_the_older_links(session: Session, people: People) -> None:
    week = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    data = InvitationCreate(email="pat@example.test")
    invitations.create_invitation(session, people.clinician, people.patient, data, "1" * 64, week)
    invitations.create_invitation(session, people.clinician, people.patient, data, "2" * 64, week)
    now = dt.datetime.now(dt.UTC)
    assert invitations.open_invitation(session, "1" * 64, now) is None
    assert invitations.open_invitation(session, "2" * 64, now) is not None
    with pytest.raises(NotFoundError):
        invitations.accept_invitation(session, "1" * 64, now, "$argon2id$old-link")


def test_setting_a_password_ends_every_session_of_the_user(session: Session, people: People) -> None:
    week = NOW + dt.timedelta(days=7)
    web_sessions.create_web_session(session, people.patient_user, "p" * 64, "csrf", NOW, week)
    web_sessions.create_web_session(session, people.clinician, "c" * 64, "csrf", NOW, week)
    users.set_password(session, people.patient_user, "$argon2id$new")
    assert web_sessions.find_web_session(session, "p" * 64) is None
    assert web_sessions.find_web_session(session, "c" * 64) is not None  # another user's: kept
    changed = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == AuditAction.UPDATE)).all()
    assert {"changed": "password"} in changed


def test_an_expired_invitation_is_not_claimed(session: Session, people: People) -> None:
    data = InvitationCreate(email="pat@example.test")
    invitations.create_invitation(session, people.clinician, people.patient, data, "e" * 64, NOW)
    assert invitations.open_invitation(session, "e" * 64, NOW) is None
    with pytest.raises(NotFoundError):
        invitations.accept_invitation(session, "e" * 64, NOW, "$argon2id$x")


def test_only_the_patients_clinician_or_an_admin_invites(session: Session, people: People) -> None:
    data = InvitationCreate(email="pat@example.test")
    for actor in (people.other_clinician, people.patient_user):
        with pytest.raises(PermissionDeniedError):
            invitations.create_invitation(session, actor, people.patient, data, "x" * 64, NOW)
    invitations.create_invitation(session, people.admin, people.patient, data, "y" * 64, NOW)


def test_an_invitation_cannot_take_another_users_email(session: Session, people: People) -> None:
    with pytest.raises(ConflictError, match="belongs to another user"):
        invitations.create_invitation(
            session, people.clinician, people.patient, InvitationCreate(email="anna@clinic.test"), "z" * 64, NOW
        )


def _attempt(session: Session, email: str, ip: str, minutes_ago: int, *, success: bool = False) -> None:
    session.add(LoginAttempt(key=email, ip=ip, at=NOW - dt.timedelta(minutes=minutes_ago), success=success))
    session.flush()


def test_failures_count_per_email_and_address_since_its_last_success_and_per_address(
    session: Session, people: People
) -> None:
    for minutes in (20, 10, 8):
        _attempt(session, "anna@clinic.test", "10.0.0.1", minutes)
    _attempt(session, "anna@clinic.test", "10.0.0.9", 7)  # another address
    _attempt(session, "anna@clinic.test", "10.0.0.2", 9, success=True)
    failures = logins.login_failures(session, "Anna@Clinic.test", "10.0.0.1", NOW - dt.timedelta(minutes=15))
    assert (failures.by_email, failures.by_ip) == (1, 2)  # 20 min ago is out of the window; 10 before the success
    assert failures.oldest_by_email == NOW - dt.timedelta(minutes=8)
    assert failures.oldest_by_ip == NOW - dt.timedelta(minutes=10)
    elsewhere = logins.login_failures(session, "anna@clinic.test", "10.0.0.3", NOW - dt.timedelta(minutes=15))
    assert (elsewhere.by_email, elsewhere.by_ip) == (0, 0)  # an address that has not failed
    assert logins.purge_login_attempts(session, NOW - dt.timedelta(minutes=15)) == 1
    assert len(session.scalars(select(LoginAttempt)).all()) == 4


def test_an_attempt_counts_as_failed_until_it_succeeds(session: Session, people: People) -> None:
    attempt = logins.add_attempt(session, "Anna@clinic.test", "10.0.0.1", NOW)
    assert logins.login_failures(session, "anna@clinic.test", "10.0.0.1", NOW - dt.timedelta(minutes=1)).by_email == 1
    logins.login_succeeded(session, attempt, people.clinician, "10.0.0.1")
    assert logins.login_failures(session, "anna@clinic.test", "10.0.0.1", NOW - dt.timedelta(minutes=1)).by_email == 0
    logins.login_failed(session, "nobody@clinic.test", "10.0.0.1", None)
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == [AuditAction.LOGIN, AuditAction.LOGIN_FAILED]


def test_web_sessions_are_found_by_token_hash_and_purged_when_expired(session: Session, people: People) -> None:
    live = web_sessions.create_web_session(session, people.clinician, "a" * 64, "csrf", NOW, NOW + dt.timedelta(days=7))
    web_sessions.create_web_session(session, people.admin, "b" * 64, "csrf", NOW, NOW + dt.timedelta(hours=1))
    found = web_sessions.find_web_session(session, "a" * 64)
    assert found is not None
    assert (found[0].id, found[1].id) == (live.id, people.clinician)
    assert web_sessions.find_web_session(session, "c" * 64) is None
    later = NOW + dt.timedelta(hours=2)
    assert web_sessions.purge_web_sessions(session, later, later - dt.timedelta(hours=8)) == 1
    assert web_sessions.find_web_session(session, "b" * 64) is None
