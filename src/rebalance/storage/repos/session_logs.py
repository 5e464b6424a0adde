"""Session logs: what a patient did in a home session, exercise by exercise, and how it felt.

    add_session_log            store a session against a program version of the patient's
    replace_session_log        a day's session logged again: its entries replaced (an edit)
    session_logs_for_patient   the sessions performed in a date range, oldest first
    recent_session_logs        the latest few of a program version, or before a day (one walk down an index)
    set_next_morning           how the morning after a session felt, on each exercise done in it

The patient themselves, their clinician, or an admin.
"""

from __future__ import annotations

import datetime as dt

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError
from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import Scale10, SessionLogCreate, SessionLogPublic
from rebalance.storage.tables import Program, SessionLog
from rebalance.storage.types import AuditAction, EntityType

_SCALE: TypeAdapter[int | None] = TypeAdapter(Scale10 | None)


def add_session_log(session: Session, actor_id: int, patient_id: int, data: SessionLogCreate) -> SessionLogPublic:
    """Store one session; its program version must be the patient's (else 404, or 409 for another's)."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE, patient_may=True)
    access.of_patient(session, Program, EntityType.PROGRAM, data.program_id, patient.id)
    log = SessionLog(
        patient_id=patient.id,
        program_id=data.program_id,
        performed_on=data.performed_on,
        entries=[entry.model_dump(mode="json") for entry in data.entries],
        pain_during_max=data.pain_during_max,
    )
    session.add(log)
    session.flush()
    audit.record(session, actor.id, AuditAction.CREATE, EntityType.SESSION_LOG, log.id, patient.id)
    return SessionLogPublic.model_validate(log)


def replace_session_log(session: Session, actor_id: int, log_id: int, data: SessionLogCreate) -> SessionLogPublic:
    """The session ``log_id`` as ``data`` now says (its day stays); the change is audited."""
    log = session.get(SessionLog, log_id)
    if log is None:
        raise NotFoundError(EntityType.SESSION_LOG, log_id)
    actor, patient = access.patient_for(session, actor_id, log.patient_id, AuditAction.UPDATE, patient_may=True)
    access.of_patient(session, Program, EntityType.PROGRAM, data.program_id, patient.id)
    log.program_id, log.pain_during_max = data.program_id, data.pain_during_max
    log.entries = [entry.model_dump(mode="json") for entry in data.entries]
    session.flush()
    audit.record(session, actor.id, AuditAction.UPDATE, EntityType.SESSION_LOG, log.id, patient.id, replaced=True)
    return SessionLogPublic.model_validate(log)


def session_logs_for_patient(
    session: Session, actor_id: int, patient_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[SessionLogPublic]:
    """The patient's sessions performed from ``start`` to ``end`` (both included; open if None), oldest first."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    logs = access.dated(session, SessionLog, SessionLog.performed_on, patient.id, start, end)
    detail = {"read": "session_logs", "from": _iso(start), "to": _iso(end), "count": len(logs)}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
    return [SessionLogPublic.model_validate(log) for log in logs]


def recent_session_logs(
    session: Session,
    actor_id: int,
    patient_id: int,
    limit: int,
    *,
    program_id: int | None = None,
    before: dt.date | None = None,
) -> list[SessionLogPublic]:
    """The patient's latest ``limit`` sessions — of one program version, or performed before a day (give
    one of them) — oldest first.

    One short walk down an index, however long the history: ``(program_id, patient_id, performed_on, id)``
    or ``(patient_id, performed_on)``.
    """
    if (program_id is None) == (before is None):
        raise ValueError("give a program_id or a day to read the sessions before, not both")
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    query = select(SessionLog).where(SessionLog.patient_id == patient.id)
    if program_id is not None:
        query = query.where(SessionLog.program_id == program_id)
    if before is not None:
        query = query.where(SessionLog.performed_on < before)
    newest = session.scalars(query.order_by(SessionLog.performed_on.desc(), SessionLog.id.desc()).limit(limit)).all()
    detail = {"read": "session_logs", "latest": limit, "program_id": program_id, "before": _iso(before)}
    audit.record(
        session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail, count=len(newest)
    )
    return [SessionLogPublic.model_validate(log) for log in reversed(newest)]


def set_next_morning(
    session: Session, actor_id: int, log_id: int, pain: int | None, stiffness: int | None
) -> SessionLogPublic:
    """Record how the morning after a session felt (pain and stiffness, 0–10) on each exercise done in it.

    A value given replaces the one stored, ``None`` leaves it as it is. Entries not done are left alone
    (there was no load to react to).
    """
    log = session.get(SessionLog, log_id)
    if log is None:
        raise NotFoundError(EntityType.SESSION_LOG, log_id)
    actor, patient = access.patient_for(session, actor_id, log.patient_id, AuditAction.UPDATE, patient_may=True)
    values = {
        "pain_next_morning": _SCALE.validate_python(pain),
        "stiffness_next_morning": _SCALE.validate_python(stiffness),
    }
    given = {name: value for name, value in values.items() if value is not None}
    log.entries = [{**entry, **given} if entry.get("done") else entry for entry in log.entries]  # a new list: saved
    session.flush()
    audit.record(session, actor.id, AuditAction.UPDATE, EntityType.SESSION_LOG, log.id, patient.id, **given)
    return SessionLogPublic.model_validate(log)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
