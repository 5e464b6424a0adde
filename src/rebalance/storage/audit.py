"""The audit log's write path: an event added to the unit of work that read or changed the record.

>>> audit.record(session, user_id, AuditAction.READ, EntityType.PROGRAM, program.id, patient_id, version=3)

The event is an ORM record of the caller's session: it is written with the unit of work's other
changes and committed with them, or rolled back with them. A read is audited the same way, in the
request's own transaction: the web app commits it before the response leaves (``web/deps.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from rebalance.storage.tables import AuditEvent
from rebalance.storage.types import AuditAction, utc_now


def record(
    session: Session,
    user_id: int | None,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    patient_id: int | None = None,
    **detail: Any,
) -> None:
    """Record that ``user_id`` did ``action`` to the record ``entity``/``entity_id`` (of ``patient_id``), now."""
    session.add(
        AuditEvent(
            at=utc_now(),
            user_id=user_id,
            action=action,
            entity_type=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            detail=detail,
        )
    )
