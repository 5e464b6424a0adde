"""Users: creating them, the admin's clinicians, and what a login checks.

create_user            the first admin (no acting user), clinicians (admins), patient users (their clinician)
list_clinicians        every clinician with their number of patients (admins)
set_clinician_active   deactivate (their sessions end) or reactivate a clinician (admins)
credentials_for        the user who logs in with an email
set_password           a new password: the user's web sessions end
rehash_password        the same password hashed with newer parameters
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import ClinicianListItem, UserCreate, UserCredentials, UserPublic
from rebalance.storage.tables import Patient, User, WebSession
from rebalance.storage.types import AuditAction, EntityType, Role

ONLY_ADMINS = "only an admin manages clinicians"


def create_user(session: Session, actor_id: int | None, data: UserCreate) -> UserPublic:
    """Create a user. With no acting user (``None``) only the first user, an admin, can be created."""
    if actor_id is None:
        if session.scalar(select(func.count()).select_from(User)) or data.role is not Role.ADMIN:
            reason = "only the first user, an admin, is created without an acting user"
            raise PermissionDeniedError(None, AuditAction.CREATE, EntityType.USER, data.email, reason)
    else:
        _check_may_create(session, actor_id, data)
    if session.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise ConflictError(EntityType.USER, data.email, "a user with this email already exists")
    user = User(**data.model_dump())
    session.add(user)
    session.flush()
    audit.record(session, actor_id, AuditAction.CREATE, EntityType.USER, user.id, user.patient_id, role=user.role.value)
    return UserPublic.model_validate(user)


def _check_may_create(session: Session, actor_id: int, data: UserCreate) -> None:
    actor = access.actor(session, actor_id, AuditAction.CREATE, EntityType.USER, data.email)
    if data.patient_id is not None:
        access.patient_for(session, actor_id, data.patient_id, AuditAction.CREATE)
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.CLINICIAN and data.role is Role.PATIENT and data.clinician_id == actor.id:
        return
    reason = "a clinician creates only patient users of their own"
    raise PermissionDeniedError(actor_id, AuditAction.CREATE, EntityType.USER, data.email, reason)


def list_clinicians(session: Session, actor_id: int) -> list[ClinicianListItem]:
    """Every clinician by name, active or not, with their number of patients (admins only)."""
    access.admin(session, actor_id, AuditAction.READ, None, ONLY_ADMINS)
    patients = select(func.count(Patient.id)).where(Patient.clinician_id == User.id).correlate(User).scalar_subquery()
    rows = session.execute(
        select(User.id, User.email, User.display_name, User.active, User.created_at, patients.label("patient_count"))
        .where(User.role == Role.CLINICIAN)
        .order_by(User.display_name, User.id)
    ).all()
    return [ClinicianListItem.model_validate(row._asdict()) for row in rows]


def set_clinician_active(session: Session, actor_id: int, user_id: int, *, active: bool) -> UserPublic:
    """Activate or deactivate a clinician (admins only); deactivating ends their web sessions."""
    actor = access.admin(session, actor_id, AuditAction.UPDATE, user_id, ONLY_ADMINS)
    user = session.get(User, user_id)
    if user is None or user.role is not Role.CLINICIAN:
        raise NotFoundError("clinician", user_id)
    if user.active != active:
        user.active = active
        audit.record(session, actor.id, AuditAction.UPDATE, EntityType.USER, user.id, active=active)
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return UserPublic.model_validate(user)


def credentials_for(session: Session, email: str) -> UserCredentials | None:
    """The user who logs in with ``email`` (any case), or None."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return None if user is None else UserCredentials.model_validate(user)


def set_password(session: Session, user_id: int, password_hash: str) -> None:
    """A new password for the user (audited): every web session of theirs ends."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(EntityType.USER, user_id)
    user.password_hash = password_hash
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    audit.record(session, user_id, AuditAction.UPDATE, EntityType.USER, user_id, user.patient_id, changed="password")


def rehash_password(session: Session, user_id: int, password_hash: str) -> None:
    """Store a new hash of the same password (made with newer parameters at login)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
