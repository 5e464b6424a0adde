"""Weekly red-flag check-ins: the flags a patient answered yes, and the level the library gave them.

add_check_in            store one (the patient themselves, their clinician, or an admin)
check_ins_for_patient   those of a date range, oldest first
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import CheckInCreate, CheckInPublic
from rebalance.storage.tables import CheckIn
from rebalance.storage.types import AuditAction, EntityType

CHECK_IN = "check_in"
"""The audit log's name for a check-in (``audit_events.entity_type`` is plain text)."""


def add_check_in(session: Session, actor_id: int, patient_id: int, data: CheckInCreate) -> CheckInPublic:
    """Store a weekly red-flag check-in (the patient themselves, their clinician, or an admin)."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE, patient_may=True)
    check_in = CheckIn(patient_id=patient.id, checked_on=data.checked_on, answers=list(data.answers), level=data.level)
    session.add(check_in)
    session.flush()
    level = check_in.level.value
    audit.record(session, actor.id, AuditAction.CREATE, CHECK_IN, check_in.id, patient.id, level=level)
    return CheckInPublic.model_validate(check_in)


def check_ins_for_patient(
    session: Session, actor_id: int, patient_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[CheckInPublic]:
    """The patient's check-ins from ``start`` to ``end`` (both included; open if None), oldest first."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    rows = access.dated(session, CheckIn, CheckIn.checked_on, patient.id, start, end)
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, read="check_ins")
    return [CheckInPublic.model_validate(row) for row in rows]
