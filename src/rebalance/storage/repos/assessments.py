"""Assessments: the file as entered and its analysis document, stored once.

add_assessment               store an assessment with its analysis (the patient's clinician, an admin)
add_assessment_with_draft    ... and its program, when the analysis has one, as the next version, a draft
get_assessment               one assessment (the patient's clinician, an admin)
latest_assessment            the patient's latest, by date then the last stored (the patient too)
patient_assessments          every one, oldest first (the patient too)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.storage import audit
from rebalance.storage.repos import access, programs
from rebalance.storage.schemas import AssessmentCreate, AssessmentPublic, ProgramCreate, ProgramPublic
from rebalance.storage.tables import Assessment
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus


def add_assessment(session: Session, actor_id: int, patient_id: int, data: AssessmentCreate) -> AssessmentPublic:
    """Store an assessment and its analysis; the safety level is the analysis's ``safety.level``."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE)
    assessment = Assessment(
        patient_id=patient.id,
        assessed_on=data.assessed_on,
        document=data.document,
        analysis=data.analysis,
        safety_level=data.safety_level,
        created_by=actor.id,
    )
    session.add(assessment)
    session.flush()
    level = assessment.safety_level.value
    audit.record(
        session, actor.id, AuditAction.CREATE, EntityType.ASSESSMENT, assessment.id, patient.id, safety_level=level
    )
    return AssessmentPublic.model_validate(assessment)


def add_assessment_with_draft(
    session: Session, actor_id: int, patient_id: int, data: AssessmentCreate
) -> tuple[AssessmentPublic, ProgramPublic | None]:
    """Store an analysed assessment and, when its analysis has a program (safety did not withhold it),
    that program as the patient's next version, a draft."""
    assessment = add_assessment(session, actor_id, patient_id, data)
    program = data.analysis.get("program")
    if program is None:
        return assessment, None
    draft = ProgramCreate(assessment_id=assessment.id, document=program, status=ProgramStatus.DRAFT)
    return assessment, programs.add_program_version(session, actor_id, patient_id, draft)


def get_assessment(session: Session, actor_id: int, assessment_id: int) -> AssessmentPublic:
    """One assessment (the patient's clinician or an admin)."""
    assessment = access.owned(session, Assessment, EntityType.ASSESSMENT, assessment_id)
    actor, _ = access.patient_for(session, actor_id, assessment.patient_id, AuditAction.READ)
    audit.record(session, actor.id, AuditAction.READ, EntityType.ASSESSMENT, assessment.id, assessment.patient_id)
    return AssessmentPublic.model_validate(assessment)


def latest_assessment(session: Session, actor_id: int, patient_id: int) -> AssessmentPublic | None:
    """The patient's latest assessment (by date, then the last stored), or None — for the patient
    themselves too, their clinician, or an admin."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    latest = session.scalar(
        select(Assessment)
        .where(Assessment.patient_id == patient.id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
    )
    if latest is None:
        detail = {"read": "latest_assessment"}
        audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
        return None
    audit.record(session, actor.id, AuditAction.READ, EntityType.ASSESSMENT, latest.id, patient.id)
    return AssessmentPublic.model_validate(latest)


def patient_assessments(session: Session, actor_id: int, patient_id: int) -> list[AssessmentPublic]:
    """Every assessment of the patient with its analysis, oldest first — for the patient themselves too
    (their own findings, patterns, safety and scores, on their pages), their clinician, or an admin."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    rows = session.scalars(
        select(Assessment).where(Assessment.patient_id == patient.id).order_by(Assessment.assessed_on, Assessment.id)
    ).all()
    detail = {"read": "assessments", "ids": [a.id for a in rows]}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
    return [AssessmentPublic.model_validate(a) for a in rows]
