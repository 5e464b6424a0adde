"""A clinician's patients with what their alerts are computed from, in a few queries and one audit event.

``patient_overviews(session, actor_id)`` gives, for every patient of the clinician (not archived), by
name: the patient list row (:class:`~rebalance.storage.schemas.PatientListItem`), the latest
assessment's date and analysis, the published program version, and the most recent session logs and
check-ins. The alerts themselves are the library's (:func:`rebalance.programs.alerts.patient_alerts`).

Five queries whatever the number of patients (the list, then one per kind of record, each limited to
the newest rows per patient with a window function), and one audit event naming the collection, as a
patient list read is (``patient_list``, detail ``read: overview``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from rebalance.errors import PermissionDeniedError
from rebalance.storage import audit, repo
from rebalance.storage.auth_repo import CheckInPublic
from rebalance.storage.schemas import PatientListItem, ProgramPublic, SessionLogPublic
from rebalance.storage.tables import Assessment, CheckIn, Program, SessionLog
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus, Role

RECENT_SESSIONS = 10
RECENT_CHECK_INS = 5


class PatientOverview(BaseModel):
    """One patient of the list, with the records their alerts need."""

    model_config = ConfigDict(frozen=True)

    patient: PatientListItem
    latest_assessment_id: int | None
    latest_assessed_on: dt.date | None
    latest_analysis: dict[str, Any] | None
    program: ProgramPublic | None  # the published version
    sessions: list[SessionLogPublic]  # the most recent, oldest first
    check_ins: list[CheckInPublic]  # the most recent, oldest first


def patient_overviews(session: Session, actor_id: int, clinician_id: int | None = None) -> list[PatientOverview]:
    """The clinician's patients (``clinician_id``, default the acting clinician; admins any), by name."""
    owner_id = actor_id if clinician_id is None else clinician_id
    actor = repo._actor(session, actor_id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id)
    if not (actor.role is Role.ADMIN or (actor.role is Role.CLINICIAN and actor.id == owner_id)):
        reason = "only the clinician themselves or an admin"
        raise PermissionDeniedError(actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, reason)
    patients = repo._patient_list(session, owner_id, include_archived=False)
    ids = [p.id for p in patients]
    latest = {a.patient_id: a for a in session.scalars(_newest(Assessment, ids, Assessment.assessed_on, 1))}
    published = session.scalars(
        select(Program).where(Program.patient_id.in_(ids), Program.status == ProgramStatus.PUBLISHED)
    )
    programs = {p.patient_id: ProgramPublic.model_validate(p) for p in published}
    sessions = _by_patient(session.scalars(_newest(SessionLog, ids, SessionLog.performed_on, RECENT_SESSIONS)))
    check_ins = _by_patient(session.scalars(_newest(CheckIn, ids, CheckIn.checked_on, RECENT_CHECK_INS)))
    audit.record(
        session, actor.id, AuditAction.READ, EntityType.PATIENT_LIST, owner_id, read="overview", count=len(ids)
    )
    return [
        PatientOverview(
            patient=p,
            latest_assessment_id=latest[p.id].id if p.id in latest else None,
            latest_assessed_on=latest[p.id].assessed_on if p.id in latest else None,
            latest_analysis=latest[p.id].analysis if p.id in latest else None,
            program=programs.get(p.id),
            sessions=[SessionLogPublic.model_validate(s) for s in sessions.get(p.id, [])],
            check_ins=[CheckInPublic.model_validate(c) for c in check_ins.get(p.id, [])],
        )
        for p in patients
    ]


def _newest(table: Any, patient_ids: list[int], day: Any, limit: int) -> Select[Any]:
    """The ``limit`` newest rows of ``table`` per patient (by ``day``, then id), oldest first."""
    rank = func.row_number().over(partition_by=table.patient_id, order_by=(day.desc(), table.id.desc())).label("rank")
    ranked = select(table.id, rank).where(table.patient_id.in_(patient_ids)).subquery()
    return (
        select(table)
        .join(ranked, ranked.c.id == table.id)
        .where(ranked.c.rank <= limit)
        .order_by(table.patient_id, day, table.id)
    )


def _by_patient(rows: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[row.patient_id].append(row)
    return out
