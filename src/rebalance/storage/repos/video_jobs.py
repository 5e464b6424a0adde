"""Video jobs: a clip a clinician uploaded for a patient, and its analysis's progress and result.

add_job        record an upload, queued (the patient's clinician; audited)
get_job        one job (the patient's clinician; anyone else: not found)
set_progress   the analysis has started, or moved on (the analysing process; not audited)
finish         the analysis's result: its entries (done) or the reason (failed), audited
unfinished     the jobs still queued or running that the app's own processes analyse (no broker)
clips_ended    the jobs whose analysis ended before a time and whose clip is still kept
clip_deleted   a job's clip is gone from the disk (its measures stay), audited
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError, PermissionDeniedError
from rebalance.storage import audit
from rebalance.storage.repos import access
from rebalance.storage.schemas import VideoJobCreate, VideoJobPublic
from rebalance.storage.tables import VideoJob
from rebalance.storage.types import AuditAction, EntityType, JobStatus, utc_now

ENDED = (JobStatus.DONE, JobStatus.FAILED)


def add_job(
    session: Session,
    actor_id: int,
    patient_id: int,
    data: VideoJobCreate,
    task_id: str | None = None,
    analysed_by: str | None = None,
) -> VideoJobPublic:
    actor, patient = access.patient_for(session, actor_id, patient_id, AuditAction.CREATE)
    job = VideoJob(patient_id=patient.id, created_by=actor.id, task_id=task_id, analysed_by=analysed_by, **data.model_dump())
    session.add(job)
    session.flush()
    detail = {"movement": data.movement, "view": data.view}
    audit.record(session, actor.id, AuditAction.CREATE, EntityType.VIDEO_JOB, job.id, patient.id, **detail)
    return VideoJobPublic.model_validate(job)


def get_job(session: Session, actor_id: int, job_id: int) -> VideoJobPublic:
    """One job, for the patient's clinician; for anyone else it does not exist (404, not 403)."""
    job = session.get(VideoJob, job_id)
    try:
        if job is None:
            raise NotFoundError(EntityType.VIDEO_JOB, job_id)
        access.patient_for(session, actor_id, job.patient_id, AuditAction.READ)
    except PermissionDeniedError:
        raise NotFoundError(EntityType.VIDEO_JOB, job_id) from None
    audit.record(session, actor_id, AuditAction.READ, EntityType.VIDEO_JOB, job.id, job.patient_id)
    return VideoJobPublic.model_validate(job)


def set_progress(session: Session, job_id: int, progress: int) -> None:
    job = session.get(VideoJob, job_id)
    if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        job.status, job.progress = JobStatus.RUNNING, max(0, min(99, progress))


def finish(session: Session, job_id: int, result: dict[str, Any]) -> VideoJobPublic | None:
    """Record ``rebalance.video.job.run``'s result (``ok`` with ``tests``; else ``reasons``), once."""
    job = session.get(VideoJob, job_id)
    if job is None or job.status in ENDED:
        return None
    ok = result.get("status") == "ok"
    job.status, job.progress = (JobStatus.DONE if ok else JobStatus.FAILED), 100
    job.result = {"tests": result["tests"]} if ok else None
    reasons = [r.removeprefix(f"{job.path}: ") for r in result.get("reasons") or ["the analysis stopped"]]
    job.error = None if ok else "; ".join(reasons)[:2000]
    detail = {"status": job.status.value}
    audit.record(session, None, AuditAction.UPDATE, EntityType.VIDEO_JOB, job.id, job.patient_id, **detail)
    return VideoJobPublic.model_validate(job)


def unfinished(session: Session) -> list[VideoJobPublic]:
    """Jobs queued or running without a Celery task: the app's own processes analyse them."""
    query = select(VideoJob).where(VideoJob.status.not_in(ENDED), VideoJob.task_id.is_(None))
    return [VideoJobPublic.model_validate(job) for job in session.scalars(query.order_by(VideoJob.id))]


def clips_ended(session: Session, uploaded_before: dt.datetime) -> list[VideoJobPublic]:
    """Jobs uploaded before ``uploaded_before`` whose analysis has ended and whose clip is still kept."""
    query = select(VideoJob).where(
        VideoJob.status.in_(ENDED), VideoJob.clip_deleted_at.is_(None), VideoJob.created_at <= uploaded_before
    )
    return [VideoJobPublic.model_validate(job) for job in session.scalars(query.order_by(VideoJob.id))]


def clip_deleted(session: Session, job_id: int) -> None:
    job = session.get(VideoJob, job_id)
    if job is not None and job.clip_deleted_at is None:
        job.clip_deleted_at = utc_now()
        audit.record(session, None, AuditAction.DELETE, EntityType.VIDEO_JOB, job.id, job.patient_id, clip="deleted")
