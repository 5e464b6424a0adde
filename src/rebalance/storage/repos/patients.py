"""Patients: a clinician's patients, created and read (each read audited).

create_patient                 a patient of the acting clinician (admins: of any clinician)
get_patient                    the record (their clinician, an admin, the patient themselves)
list_patients_for_clinician    by name, each with their latest safety level and last session day
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, NotFoundError, PermissionDeniedError
from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import PatientCreate, PatientListItem, PatientPublic
from rebalance.storage.tables import Assessment, Patient, SessionLog, User
from rebalance.storage.types import AuditAction, EntityType, Role

_PATIENT_LIST = TypeAdapter(list[PatientListItem])


def create_patient(
    session: Session, actor_id: int, data: PatientCreate, clinician_id: int | None = None
) -> PatientPublic:
    """Create a patient of ``clinician_id`` (default: the acting clinician)."""
    actor = access.actor(session, actor_id, AuditAction.CREATE, EntityType.PATIENT, None)
    owner_id = actor.id if clinician_id is None else clinician_id
    if actor.role is not Role.ADMIN and not (actor.role is Role.CLINICIAN and owner_id == actor.id):
        reason = "a clinician creates patients only for themselves"
        raise PermissionDeniedError(actor.id, AuditAction.CREATE, EntityType.PATIENT, None, reason)
    owner = session.get(User, owner_id)
    if owner is None or owner.role is not Role.CLINICIAN:
        raise NotFoundError("clinician", owner_id)
    if data.external_ref and session.scalar(
        select(Patient.id).where(Patient.clinician_id == owner_id, Patient.external_ref == data.external_ref)
    ):
        raise ConflictError("patient", None, f"another of your patients already has the reference {data.external_ref}")
    patient = Patient(clinician_id=owner_id, **data.model_dump())
    session.add(patient)
    session.flush()
    audit.record(
        session, actor.id, AuditAction.CREATE, EntityType.PATIENT, patient.id, patient.id, clinician_id=owner_id
    )
    return PatientPublic.model_validate(patient)


def get_patient(session: Session, actor_id: int, patient_id: int) -> PatientPublic:
    """A patient's record (the patient's clinician, an admin, or the patient themselves)."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id)
    return PatientPublic.model_validate(patient)


def may_list(session: Session, actor_id: int, clinician_id: int) -> User:
    """The acting user, who may read ``clinician_id``'s patient list: the clinician themselves or an admin."""
    actor = access.actor(session, actor_id, AuditAction.READ, EntityType.PATIENT_LIST, clinician_id)
    if not (actor.role is Role.ADMIN or (actor.role is Role.CLINICIAN and actor.id == clinician_id)):
        reason = "only the clinician themselves or an admin"
        raise PermissionDeniedError(actor.id, AuditAction.READ, EntityType.PATIENT_LIST, clinician_id, reason)
    return actor


def list_patients_for_clinician(
    session: Session, actor_id: int, clinician_id: int | None = None, *, include_archived: bool = False
) -> list[PatientListItem]:
    """A clinician's patients by name, each with its latest safety level and last session date.

    One query: the two figures are correlated subqueries answered from the indexes
    ``(patient_id, assessed_on, id, safety_level)`` and ``(patient_id, performed_on)``, one seek per patient.
    """
    owner_id = actor_id if clinician_id is None else clinician_id
    actor = may_list(session, actor_id, owner_id)
    patients = patient_list(session, owner_id, include_archived=include_archived)
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, count=len(patients))
    return patients


def of_latest_assessment(column: Any) -> Any:
    """``column`` of each patient's latest assessment (by day, then the last stored): a subquery correlated
    to ``patients``, answered from the index ``(patient_id, assessed_on, id, safety_level)``."""
    newest = select(column).where(Assessment.patient_id == Patient.id).correlate(Patient)
    return newest.order_by(Assessment.assessed_on.desc(), Assessment.id.desc()).limit(1).scalar_subquery()


def patient_list(
    session: Session, clinician_id: int, *, include_archived: bool, only: Sequence[int] | None = None
) -> list[PatientListItem]:
    """The clinician's patients by name (``only``: those of these ids), unchecked and unaudited: for the
    caller that checked and audits (:func:`list_patients_for_clinician`, ``overview.patient_overviews``)."""
    latest_safety = of_latest_assessment(Assessment.safety_level)
    last_session = (
        select(func.max(SessionLog.performed_on))
        .where(SessionLog.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    query = select(
        Patient.id,
        Patient.display_name,
        Patient.external_ref,
        latest_safety.label("latest_safety_level"),
        last_session.label("last_session_on"),
    ).where(Patient.clinician_id == clinician_id)
    if not include_archived:
        query = query.where(Patient.archived == false())
    if only is not None:
        query = query.where(Patient.id.in_(only))
    rows = session.execute(query.order_by(Patient.display_name, Patient.id)).mappings().all()
    return _PATIENT_LIST.validate_python(rows)
