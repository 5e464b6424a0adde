"""The audit log, read: every event naming a record (admins only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.storage.repos import access
from rebalance.storage.schemas import AuditEventPublic
from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, EntityType


def audit_events_for(session: Session, actor_id: int, entity: EntityType, entity_id: int) -> list[AuditEventPublic]:
    """Every audit event naming a record, oldest first (admins only). For a patient, also every event
    on that patient's assessments, programs and logs."""
    access.admin(session, actor_id, AuditAction.READ, entity_id, "only an admin reads the audit log")
    query = select(AuditEvent)
    if entity is EntityType.PATIENT:
        query = query.where(AuditEvent.patient_id == entity_id)
    else:
        query = query.where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
    events = session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)).all()
    return [AuditEventPublic.model_validate(e) for e in events]
