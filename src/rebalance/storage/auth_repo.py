"""The web app's repository: logins, web sessions, clinicians' accounts, invitations, check-ins.

Like :mod:`rebalance.storage.repo`: small functions that take a :class:`~sqlalchemy.orm.Session`
(and, where a user acts, the acting user's id), check that the user may do it, write an audit
event, flush and never commit.

Policy (hashing, token making, expiry, rate limits) lives in :mod:`rebalance.web.security`; this
module only stores and finds. Tokens never reach the database: callers pass their SHA-256.

    logins        credentials_for, record_login, record_login_failure, login_failures, purge_login_attempts
    web sessions  create_web_session, web_session_by_token_hash, touch_web_session, end_web_session, ...
    clinicians    list_clinicians, set_clinician_active (admins only)
    invitations   create_invitation (the patient's clinician or an admin), open_invitation, accept_invitation
    check-ins     add_check_in, check_ins_for_patient (the patient, their clinician, an admin)

The schema families of the new tables (``XCreate``, ``XPublic``) are at the top, as in ``schemas.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, cast

import psycopg
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import CursorResult, Engine, Select, String, Table, any_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import audit, page_state
from rebalance.storage.quick import Quick
from rebalance.storage.repo import _actor, _patient
from rebalance.storage.schemas import UserPublic
from rebalance.storage.tables import CheckIn, Invitation, LoginAttempt, Patient, User, WebSession
from rebalance.storage.types import AuditAction, EntityType, Role, SafetyLevel

RedFlagId = str
"""A red-flag id of the knowledge base (``red_flags.yaml``); the caller checks it against the base."""


class AuthEntity(StrEnum):
    """The kinds of record this module's audit events name (``audit_events.entity_type`` is plain text)."""

    WEB_SESSION = "web_session"
    INVITATION = "invitation"
    CHECK_IN = "check_in"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# schemas: users as the login and the admin pages see them


class UserCredentials(_Out):
    """What a login checks. Never leaves the web layer's security module."""

    id: int
    email: str
    role: Role
    active: bool
    password_hash: str | None


class ClinicianListItem(_Out):
    """One row of the admin's list of clinicians."""

    id: int
    email: str
    display_name: str
    active: bool
    created_at: dt.datetime
    patient_count: int


class LoginFailures(_Out):
    """Failed logins counted for rate limiting, and the oldest counted (when the count starts to fall)."""

    by_email: int
    by_ip: int
    oldest_by_email: dt.datetime | None
    oldest_by_ip: dt.datetime | None


# schemas: web sessions


class WebSessionPublic(_Out):
    """A web session as the web layer uses it: never the token (the database holds only its hash)."""

    id: int
    user_id: int
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


# schemas: invitations


class InvitationCreate(_In):
    """A new invitation: the email the patient will sign in with."""

    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")  # as UserBase.email

    @field_validator("email")
    @classmethod
    def _lower_case(cls, email: str) -> str:
        return email.strip().lower()


class InvitationPublic(_Out):
    """An invitation as stored (never the token)."""

    id: int
    patient_id: int
    email: str
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None


# schemas: check-ins


class CheckInCreate(_In):
    """A weekly check-in: the red flags answered yes, and the level the library gives them."""

    checked_on: dt.date
    answers: list[RedFlagId] = Field(max_length=100)
    level: SafetyLevel


class CheckInPublic(_Out):
    """A check-in as stored."""

    id: int
    patient_id: int
    checked_on: dt.date
    answers: list[RedFlagId]
    level: SafetyLevel
    created_at: dt.datetime


# Statements of every request, built once (see repo.py).
_SESSIONS, _USERS = cast(Table, WebSession.__table__), cast(Table, User.__table__)
_SESSION_AND_USER = (  # columns, not ORM records: every request runs it, and it is the cheaper by far
    select(
        *(c.label(f"s_{c.name}") for c in _SESSIONS.c if c.name in WebSessionPublic.model_fields),
        *(c.label(f"u_{c.name}") for c in _USERS.c if c.name in UserPublic.model_fields),
    ).select_from(_SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
)
_SESSION_BY_TOKEN_HASH = _SESSION_AND_USER.where(_SESSIONS.c.token_hash == bindparam("token_hash"))
# ... and the page state of the user's own patient record (None but for patients): one round trip.
_SESSION_WITH_PAGE_STATE = _SESSION_BY_TOKEN_HASH.add_columns(*page_state.state_columns(_USERS.c.patient_id))
# ... of several requests at once, on PostgreSQL (the log writer's, for the sessions logged at one moment).
_LOOKUPS_WITH_PAGE_STATE = Quick(
    _SESSION_AND_USER.add_columns(_SESSIONS.c.token_hash.label("token_hash"))
    .add_columns(*page_state.state_columns(_USERS.c.patient_id))
    .where(_SESSIONS.c.token_hash == any_(bindparam("token_hashes", type_=ARRAY(String))))
)
# Standing alone (every request's sign-in check), run on the driver's cursor: quick.py.
_LOOKUP, _LOOKUP_WITH_PAGE_STATE = Quick(_SESSION_BY_TOKEN_HASH), Quick(_SESSION_WITH_PAGE_STATE)
_CHECK_INS = (
    select(CheckIn)
    .where(
        CheckIn.patient_id == bindparam("patient_id"), CheckIn.checked_on.between(bindparam("start"), bindparam("end"))
    )
    .order_by(CheckIn.checked_on, CheckIn.id)
)


# logins


def credentials_for(session: Session, email: str) -> UserCredentials | None:
    """The user who logs in with ``email`` (any case), or None."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return None if user is None else UserCredentials.model_validate(user)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    """Store a new hash of the same password (a re-hash with newer parameters at login)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def record_login(session: Session, user_id: int, email: str, ip: str, at: dt.datetime) -> None:
    """A successful login: counted for rate limiting (it resets the email's failures) and audited."""
    session.add(LoginAttempt(key=email.strip().lower(), ip=ip, at=at, success=True))
    audit.record(session, user_id, AuditAction.LOGIN, EntityType.USER, user_id, ip=ip)


def record_login_failure(session: Session, email: str, ip: str, at: dt.datetime, user_id: int | None) -> None:
    """A failed login (``user_id`` when the email is a user's): counted for rate limiting and audited."""
    key = email.strip().lower()[:320]
    session.add(LoginAttempt(key=key, ip=ip, at=at, success=False))
    audit.record(session, user_id, AuditAction.LOGIN_FAILED, EntityType.USER, user_id, email=key, ip=ip)


def login_failures(session: Session, email: str, ip: str, since: dt.datetime) -> LoginFailures:
    """Failures since ``since``: for the email, those after its last success; for the address, all."""
    key = email.strip().lower()
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.success.is_(True))
    )
    email_since = max(since, last_success) if last_success is not None else since
    by_email = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.key == key, LoginAttempt.success.is_(False), LoginAttempt.at > email_since
        )
    ).one()
    by_ip = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > since
        )
    ).one()
    return LoginFailures(
        by_email=by_email[0], by_ip=by_ip[0], oldest_by_email=_aware(by_email[1]), oldest_by_ip=_aware(by_ip[1])
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """An aggregate bypasses the column type: SQLite gives back naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def purge_login_attempts(session: Session, before: dt.datetime) -> int:
    """Forget attempts older than ``before`` (they no longer count); returns how many."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(cast(CursorResult[Any], result).rowcount)


# web sessions


def create_web_session(
    session: Session, user_id: int, token_hash: str, csrf_token: str, now: dt.datetime, expires_at: dt.datetime
) -> WebSessionPublic:
    """Start a web session for a user (after their password was checked)."""
    row = WebSession(
        user_id=user_id,
        token_hash=token_hash,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return WebSessionPublic.model_validate(row)


def web_session_by_token_hash(db: Session | Engine, token_hash: str) -> tuple[WebSessionPublic, UserPublic] | None:
    """The web session with this token hash and its user (active or not: the caller decides), or None.
    (In a unit of work, or on its own on the reading engine: ``db.reading_engine``, ``quick.py``.)"""
    values = _first(db, _SESSION_BY_TOKEN_HASH, _LOOKUP, token_hash)
    return None if values is None else _session_and_user(values)


def web_session_with_page_state(
    db: Session | Engine, token_hash: str
) -> tuple[WebSessionPublic, UserPublic, page_state.PageState] | None:
    """:func:`web_session_by_token_hash` and, in the same statement, the page state of the user's own
    patient record (``page_state.py``; all None for a user who is not a patient)."""
    values = _first(db, _SESSION_WITH_PAGE_STATE, _LOOKUP_WITH_PAGE_STATE, token_hash)
    return None if values is None else (*_session_and_user(values), page_state.from_values(values))


def web_sessions_with_page_state(
    engine: Engine, token_hashes: Sequence[str]
) -> dict[str, tuple[WebSessionPublic, UserPublic, page_state.PageState]]:
    """:func:`web_session_with_page_state` of each of ``token_hashes`` found, standing alone on ``engine``
    (the reading engine), by token hash: one statement for them all on PostgreSQL, one each elsewhere."""
    if engine.dialect.name != "postgresql":
        each = {token_hash: web_session_with_page_state(engine, token_hash) for token_hash in set(token_hashes)}
        return {token_hash: found for token_hash, found in each.items() if found is not None}
    return _by_token_hash(_LOOKUPS_WITH_PAGE_STATE.all(engine, {"token_hashes": sorted(set(token_hashes))}))


async def web_sessions_with_page_state_async(
    connection: psycopg.AsyncConnection[Any], dialect: Dialect, token_hashes: Sequence[str]
) -> dict[str, tuple[WebSessionPublic, UserPublic, page_state.PageState]]:
    """:func:`web_sessions_with_page_state` on PostgreSQL, awaited on ``connection`` (an event loop's own, in
    autocommit; ``dialect``: its engine's): one statement for them all (``Quick.all_async``)."""
    params = {"token_hashes": sorted(set(token_hashes))}
    return _by_token_hash(await _LOOKUPS_WITH_PAGE_STATE.all_async(connection, dialect, params))


def _by_token_hash(
    rows: Sequence[Mapping[str, Any]],
) -> dict[str, tuple[WebSessionPublic, UserPublic, page_state.PageState]]:
    return {row["token_hash"]: (*_session_and_user(row), page_state.from_values(row)) for row in rows}


def _first(db: Session | Engine, statement: Select[Any], quick: Quick, token_hash: str) -> Mapping[Any, Any] | None:
    if isinstance(db, Engine):
        return quick.first(db, {"token_hash": token_hash})
    row = db.connection().execute(statement, {"token_hash": token_hash}).one_or_none()
    return None if row is None else row._mapping


def _session_and_user(values: Mapping[Any, Any]) -> tuple[WebSessionPublic, UserPublic]:
    web_session = {key[2:]: value for key, value in values.items() if key.startswith("s_")}
    user = {key[2:]: value for key, value in values.items() if key.startswith("u_")}
    return WebSessionPublic.model_validate(web_session), UserPublic.model_validate(user)


def touch_web_session(session: Session, session_id: int, now: dt.datetime) -> None:
    """Record activity on a web session (it keeps it from idling out)."""
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def end_web_session(session: Session, session_id: int, user_id: int | None = None) -> None:
    """Delete a web session (logout, expiry, rotation); audited when ``user_id`` ends it (logout)."""
    session.execute(delete(WebSession).where(WebSession.id == session_id))
    if user_id is not None:
        audit.record(session, user_id, AuditAction.DELETE, AuthEntity.WEB_SESSION, session_id, reason="logout")


def end_web_sessions_of_user(session: Session, user_id: int) -> int:
    """Delete every web session of a user (deactivation); returns how many."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(cast(CursorResult[Any], result).rowcount)


def purge_web_sessions(session: Session, now: dt.datetime, idle_since: dt.datetime) -> int:
    """Delete sessions past their absolute expiry or not seen since ``idle_since``; returns how many."""
    expired = or_(WebSession.expires_at <= now, WebSession.last_seen_at < idle_since)
    result = session.execute(delete(WebSession).where(expired))
    return int(cast(CursorResult[Any], result).rowcount)


# clinicians (admins only)


def _admin(session: Session, actor_id: int, action: AuditAction, entity_id: object) -> User:
    actor = _actor(session, actor_id, action, EntityType.USER, entity_id)
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError(actor.id, action, EntityType.USER, entity_id, "only an admin manages clinicians")
    return actor


def list_clinicians(session: Session, actor_id: int) -> list[ClinicianListItem]:
    """Every clinician by name, active or not, with their number of patients (admins only)."""
    _admin(session, actor_id, AuditAction.READ, None)
    patients = select(func.count(Patient.id)).where(Patient.clinician_id == User.id).correlate(User).scalar_subquery()
    rows = session.execute(
        select(User.id, User.email, User.display_name, User.active, User.created_at, patients.label("patient_count"))
        .where(User.role == Role.CLINICIAN)
        .order_by(User.display_name, User.id)
    ).all()
    return [ClinicianListItem.model_validate(row._asdict()) for row in rows]


def set_clinician_active(session: Session, actor_id: int, user_id: int, *, active: bool) -> UserPublic:
    """Activate or deactivate a clinician (admins only); deactivating ends their web sessions."""
    actor = _admin(session, actor_id, AuditAction.UPDATE, user_id)
    user = session.get(User, user_id)
    if user is None or user.role is not Role.CLINICIAN:
        raise NotFoundError("clinician", user_id)
    if user.active != active:
        user.active = active
        audit.record(session, actor.id, AuditAction.UPDATE, EntityType.USER, user.id, active=active)
    if not active:
        end_web_sessions_of_user(session, user.id)
    session.flush()
    return UserPublic.model_validate(user)


# invitations


def create_invitation(
    session: Session,
    actor_id: int,
    patient_id: int,
    data: InvitationCreate,
    token_hash: str,
    expires_at: dt.datetime,
) -> InvitationPublic:
    """Invite a patient to set their password (the patient's clinician or an admin).

    The email must be free, or already the patient's own (an invitation to an existing patient user
    resets their password).
    """
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.CREATE)
    holder = session.scalar(select(User).where(User.email == data.email))
    if holder is not None and holder.patient_id != patient.id:
        raise ConflictError(AuthEntity.INVITATION, None, "this email already belongs to another user")
    invitation = Invitation(
        token_hash=token_hash, patient_id=patient.id, email=data.email, created_by=actor.id, expires_at=expires_at
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session, actor.id, AuditAction.CREATE, AuthEntity.INVITATION, invitation.id, patient.id, email=data.email
    )
    return InvitationPublic.model_validate(invitation)


def open_invitation(session: Session, token_hash: str, now: dt.datetime) -> InvitationPublic | None:
    """The invitation with this token hash if it is unused and unexpired, else None."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return InvitationPublic.model_validate(invitation)


def accept_invitation(session: Session, token_hash: str, now: dt.datetime, password_hash: str) -> UserPublic:
    """Use an invitation once: create the patient's user with this password (or set it, if they have one).

    Single use holds across concurrent requests: the invitation is claimed by a conditional update.
    """
    invitation = open_invitation(session, token_hash, now)
    claimed = session.execute(
        update(Invitation)
        .where(Invitation.token_hash == token_hash, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
    )
    if invitation is None or cast(CursorResult[Any], claimed).rowcount != 1:
        raise NotFoundError(AuthEntity.INVITATION, None)
    user = session.scalar(select(User).where(User.patient_id == invitation.patient_id))
    if user is None:
        user = _new_patient_user(session, invitation, password_hash)
    else:
        user.password_hash = password_hash
        audit.record(
            session, user.id, AuditAction.UPDATE, EntityType.USER, user.id, user.patient_id, changed="password"
        )
    audit.record(
        session, user.id, AuditAction.UPDATE, AuthEntity.INVITATION, invitation.id, invitation.patient_id, used=True
    )
    session.flush()
    return UserPublic.model_validate(user)


def _new_patient_user(session: Session, invitation: InvitationPublic, password_hash: str) -> User:
    if session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        raise ConflictError(EntityType.USER, invitation.email, "a user with this email already exists")
    patient = session.get(Patient, invitation.patient_id)
    if patient is None:
        raise NotFoundError(EntityType.PATIENT, invitation.patient_id)
    user = User(
        email=invitation.email,
        display_name=patient.display_name,
        role=Role.PATIENT,
        clinician_id=patient.clinician_id,
        patient_id=patient.id,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, user.id, AuditAction.CREATE, EntityType.USER, user.id, patient.id, role="patient", via="invitation"
    )
    return user


# check-ins


def add_check_in(session: Session, actor_id: int, patient_id: int, data: CheckInCreate) -> CheckInPublic:
    """Store a weekly red-flag check-in (the patient themselves, their clinician, or an admin)."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.CREATE, patient_may=True)
    check_in = CheckIn(patient_id=patient.id, checked_on=data.checked_on, answers=list(data.answers), level=data.level)
    session.add(check_in)
    session.flush()
    level = check_in.level.value
    audit.record(session, actor.id, AuditAction.CREATE, AuthEntity.CHECK_IN, check_in.id, patient.id, level=level)
    return CheckInPublic.model_validate(check_in)


def check_ins_for_patient(
    session: Session, actor_id: int, patient_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[CheckInPublic]:
    """The patient's check-ins from ``start`` to ``end`` (both included; open if None), oldest first."""
    actor, patient = _patient(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    days = {"start": start or dt.date.min, "end": end or dt.date.max}
    rows = session.scalars(_CHECK_INS, {"patient_id": patient.id, **days}).all()
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, read="check_ins")
    return [CheckInPublic.model_validate(row) for row in rows]
