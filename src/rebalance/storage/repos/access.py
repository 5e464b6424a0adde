"""Who may act on a patient's record: the one rule every repository function checks.

    admin       everything
    clinician   their own patients' records; creates patients (for themselves) and patient users
    patient     their own record where the call allows it (``patient_may``)

Unknown or inactive users, and users acting on another's record, are refused with
``PermissionDeniedError`` saying why; a record that does not exist is ``NotFoundError``. Once access is
checked, a patient's records are read by id (:func:`owned`, :func:`of_patient`) or by days (:func:`dated`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage.tables import Assessment, CheckIn, Patient, Program, SessionLog, User
from rebalance.storage.types import AuditAction, EntityType, Role

_Record = TypeVar("_Record", Assessment, Program)
_Dated = TypeVar("_Dated", CheckIn, SessionLog)


KEPT = "rebalance.kept"
"""``Session.info`` key: the acting users and patients a unit of work has read (see :func:`keep`)."""


def keep(session: Session, record: User | Patient) -> None:
    """Keep ``record`` in the session's identity map until the unit of work ends: it holds records weakly,
    and without this the acting user and the patient would be read again by each call of a request
    (each checks them afresh)."""
    session.info.setdefault(KEPT, []).append(record)


def actor(session: Session, actor_id: int, action: AuditAction, entity: str, entity_id: object) -> User:
    """The acting user, who must exist and be active."""
    user = session.get(User, actor_id)
    if user is not None:
        keep(session, user)
    if user is None or not user.active:
        raise PermissionDeniedError(actor_id, action, entity, entity_id, "unknown or inactive user")
    return user


def patient_for(
    session: Session,
    actor_id: int,
    patient_id: int,
    action: AuditAction,
    *,
    patient_may: bool = False,
    lock: bool = False,
) -> tuple[User, Patient]:
    """The acting user and the patient, once the user may ``action`` the patient's record. ``lock``: the
    patient's row is locked until the unit of work ends (PostgreSQL: changes that number versions)."""
    user = actor(session, actor_id, action, EntityType.PATIENT, patient_id)
    patient = session.get(Patient, patient_id, with_for_update=lock or None)
    if patient is None:
        raise NotFoundError(EntityType.PATIENT, patient_id)
    keep(session, patient)
    allowed = (
        user.role is Role.ADMIN
        or (user.role is Role.CLINICIAN and patient.clinician_id == user.id)
        or (patient_may and user.role is Role.PATIENT and user.patient_id == patient.id)
    )
    if not allowed:
        own = user.role is Role.PATIENT and user.patient_id == patient.id
        reason = "a patient may not do this to their record" if own else "not this user's patient"
        raise PermissionDeniedError(user.id, action, EntityType.PATIENT, patient.id, reason)
    return user, patient


def admin(session: Session, actor_id: int, action: AuditAction, entity_id: object, reason: str) -> User:
    """The acting user, who must be an admin (``reason``: what only an admin does)."""
    user = actor(session, actor_id, action, EntityType.USER, entity_id)
    if user.role is not Role.ADMIN:
        raise PermissionDeniedError(user.id, action, EntityType.USER, entity_id, reason)
    return user


def owned(session: Session, table: type[_Record], entity: EntityType, record_id: int) -> _Record:
    """A patient's assessment or program version by id, or ``NotFoundError``."""
    record = session.get(table, record_id)
    if record is None:
        raise NotFoundError(entity, record_id)
    return record


def of_patient(session: Session, table: type[_Record], entity: EntityType, record_id: int, patient_id: int) -> _Record:
    """:func:`owned`, which must belong to ``patient_id`` (else ``ConflictError``)."""
    record = owned(session, table, entity, record_id)
    if record.patient_id != patient_id:
        raise ConflictError(entity, record_id, f"belongs to patient {record.patient_id}, not {patient_id}")
    return record


def dated(
    session: Session,
    table: type[_Dated],
    day: QueryableAttribute[dt.date],
    patient_id: int,
    start: dt.date | None,
    end: dt.date | None,
) -> Sequence[_Dated]:
    """A patient's check-ins or session logs of the days ``start`` to ``end`` (both included; open if None),
    oldest first (one day's in the order they were stored); ``day`` is the table's date column."""
    query = select(table).where(table.patient_id == patient_id)
    if start is not None:
        query = query.where(day >= start)
    if end is not None:
        query = query.where(day <= end)
    return session.scalars(query.order_by(day, table.id)).all()
