"""Program versions: every change a new version, all kept; drafts approved, then published to the patient.

add_program_version   a new version, numbered from 1 (a published one supersedes the one before)
add_draft_of          an edited document of a version, as the next version, a draft
approve_program       a draft approved by the acting clinician
publish_program       shown to the patient; the one published before and older drafts are superseded
latest_program        the newest version (newest published for the patient themselves)
get_program           one version (the patient themselves once it is published)
program_versions      every version, oldest first (the patient's clinician, an admin)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError
from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import ProgramCreate, ProgramPublic
from rebalance.storage.tables import Assessment, Program, User
from rebalance.storage.types import AuditAction, EntityType, ProgramStatus, Role, utc_now


def add_program_version(session: Session, actor_id: int, patient_id: int, data: ProgramCreate) -> ProgramPublic:
    """Store a new version of the patient's program (numbered from 1); never changes an old one.

    A version created ``published`` supersedes the version published before it.
    """
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE, lock=True)
    access.of_patient(session, Assessment, EntityType.ASSESSMENT, data.assessment_id, patient.id)
    latest = session.scalar(select(func.max(Program.version)).where(Program.patient_id == patient.id))
    program = Program(
        patient_id=patient.id,
        assessment_id=data.assessment_id,
        version=(latest or 0) + 1,
        status=ProgramStatus.DRAFT,
        document=data.document,
        created_by=actor.id,
    )
    session.add(program)
    session.flush()
    detail = {"version": program.version, "status": data.status.value}
    audit.record(session, actor.id, AuditAction.CREATE, EntityType.PROGRAM, program.id, patient.id, **detail)
    if data.status is ProgramStatus.APPROVED:
        _approve(actor, program)
    elif data.status is ProgramStatus.PUBLISHED:
        _publish(session, actor, program)
    return ProgramPublic.model_validate(program)


def add_draft_of(session: Session, actor_id: int, program: ProgramPublic, document: dict[str, Any]) -> ProgramPublic:
    """An edited ``document`` of ``program`` (a swap, a dose) as the patient's next version, a draft of the
    same assessment."""
    data = ProgramCreate(assessment_id=program.assessment_id, document=document, status=ProgramStatus.DRAFT)
    return add_program_version(session, actor_id, program.patient_id, data)


def approve_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """Mark a draft approved by the acting clinician (already approved: unchanged)."""
    program = access.owned(session, Program, EntityType.PROGRAM, program_id)
    actor, _ = access.patient_for(session, actor_id, program.patient_id, AuditAction.UPDATE)
    if program.status in (ProgramStatus.PUBLISHED, ProgramStatus.SUPERSEDED):
        raise ConflictError(EntityType.PROGRAM, program_id, f"is {program.status.value}; only a draft is approved")
    if program.status is ProgramStatus.DRAFT:
        _approve(actor, program)
        detail = {"status": "approved"}
        audit.record(
            session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, program.id, program.patient_id, **detail
        )
    return ProgramPublic.model_validate(program)


def publish_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """Publish a version to the patient; the version published before it becomes superseded, and so do the
    older versions never published (drafts, approved versions): none of them can be published any more.

    Publishing a version older than the one published, or a superseded one, is a ``ConflictError``;
    publishing the published one changes nothing.
    """
    program = access.owned(session, Program, EntityType.PROGRAM, program_id)
    actor, _ = access.patient_for(session, actor_id, program.patient_id, AuditAction.PUBLISH, lock=True)
    session.refresh(program)  # its status as of the lock, not as first read
    if program.status is ProgramStatus.SUPERSEDED:
        raise ConflictError(EntityType.PROGRAM, program_id, "is superseded; publish a new version instead")
    if program.status is not ProgramStatus.PUBLISHED:
        _publish(session, actor, program)
    return ProgramPublic.model_validate(program)


def _approve(actor: User, program: Program) -> None:
    program.status = ProgramStatus.APPROVED
    program.approved_by = actor.id
    program.approved_at = utc_now()


def _publish(session: Session, actor: User, program: Program) -> None:
    current = session.scalar(
        select(Program)
        .where(Program.patient_id == program.patient_id, Program.status == ProgramStatus.PUBLISHED)
        .execution_options(populate_existing=True)
    )
    superseded = {"status": "superseded", "superseded_by": program.id}
    if current is not None and current is not program:
        if current.version > program.version:
            reason = f"version {program.version} is older than the published version {current.version}"
            raise ConflictError(EntityType.PROGRAM, program.id, reason)
        current.status = ProgramStatus.SUPERSEDED
        session.flush()  # before the new one is published: one published version per patient
        audit.record(
            session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, current.id, current.patient_id, **superseded
        )
    unpublished = session.scalars(
        select(Program).where(
            Program.patient_id == program.patient_id,
            Program.version < program.version,
            Program.status.in_((ProgramStatus.DRAFT, ProgramStatus.APPROVED)),
        )
    ).all()
    for older in unpublished:  # left behind: shown as superseded, not as a draft that cannot be published
        older.status = ProgramStatus.SUPERSEDED
        audit.record(
            session, actor.id, AuditAction.UPDATE, EntityType.PROGRAM, older.id, older.patient_id, **superseded
        )
    if program.approved_by is None:  # publishing is approving
        _approve(actor, program)
    program.status = ProgramStatus.PUBLISHED
    session.flush()
    version = {"version": program.version}
    audit.record(session, actor.id, AuditAction.PUBLISH, EntityType.PROGRAM, program.id, program.patient_id, **version)


def latest_program(
    session: Session, actor_id: int, patient_id: int, *, published_only: bool = False
) -> ProgramPublic | None:
    """The patient's newest program version (newest published with ``published_only``, and always for
    the patient themselves); ``None`` while the patient has none."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ, patient_may=True)
    query = select(Program).where(Program.patient_id == patient.id)
    if published_only or actor.role is Role.PATIENT:
        query = query.where(Program.status == ProgramStatus.PUBLISHED)
    program = session.scalar(query.order_by(Program.version.desc()).limit(1))
    if program is None:
        detail = {"read": "latest_program"}
        audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
        return None
    version = {"version": program.version}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PROGRAM, program.id, patient.id, **version)
    return ProgramPublic.model_validate(program)


def get_program(session: Session, actor_id: int, program_id: int) -> ProgramPublic:
    """One program version (the patient's clinician or an admin; the patient themselves once it is published)."""
    program = access.owned(session, Program, EntityType.PROGRAM, program_id)
    shown = program.status in (ProgramStatus.PUBLISHED, ProgramStatus.SUPERSEDED)
    actor, _ = access.patient_for(session, actor_id, program.patient_id, AuditAction.READ, patient_may=shown)
    version = {"version": program.version}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PROGRAM, program.id, program.patient_id, **version)
    return ProgramPublic.model_validate(program)


def program_versions(session: Session, actor_id: int, patient_id: int) -> list[ProgramPublic]:
    """Every version of the patient's program, oldest first (the patient's clinician or an admin)."""
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.READ)
    found = session.scalars(select(Program).where(Program.patient_id == patient.id).order_by(Program.version)).all()
    detail = {"read": "programs", "ids": [p.id for p in found]}
    audit.record(session, actor.id, AuditAction.READ, EntityType.PATIENT, patient.id, patient.id, **detail)
    return [ProgramPublic.model_validate(p) for p in found]
