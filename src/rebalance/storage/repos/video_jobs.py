"""Video jobs: a clip a clinician uploaded for a patient, and its analysis's progress and result.

add_job        record an upload, queued (the patient's clinician; audited)
get_job        one job (the patient's clinician; anyone else: not found)
set_progress   the analysis has started, or moved on (the analysing process; not audited)
finish         the analysis's result: its entries (done) or the reason (failed), audited
unfinished     the jobs still queued or running that the app's own processes analyse (no broker), or Celery
clips_ended    the jobs whose analysis ended before a time and whose clip is still kept
clip_deleted   a job's clip is gone from the disk (its measures stay), audited
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
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
    owners = {"patient_id": patient.id, "created_by": actor.id}
    job = VideoJob(**owners, task_id=task_id, analysed_by=analysed_by, **data.model_dump())
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
    """Running, ``progress`` per cent done; an ended job stays ended (the check is the write's own)."""
    running = {"status": JobStatus.RUNNING, "progress": max(0, min(99, progress))}
    session.execute(_unended(job_id).values(**running))


def finish(session: Session, job_id: int, result: dict[str, Any]) -> VideoJobPublic | None:
    """Record ``rebalance.video.job.run``'s result (``ok`` with ``tests``; else ``reasons``), once: of two
    callers at once (two polls), the one whose write finds the job unended records it; the other gets None."""
    job = session.get(VideoJob, job_id)
    if job is None:
        return None
    ok = result.get("status") == "ok"
    reasons = [r.removeprefix(f"{job.path}: ") for r in result.get("reasons") or ["the analysis stopped"]]
    ended = {
        "status": JobStatus.DONE if ok else JobStatus.FAILED,
        "progress": 100,
        "result": {"tests": result["tests"]} if ok else None,
        "error": None if ok else "; ".join(reasons)[:2000],
    }
    if cast(CursorResult[Any], session.execute(_unended(job_id).values(**ended))).rowcount != 1:
        return None
    session.refresh(job)
    detail = {"status": job.status.value}
    audit.record(session, None, AuditAction.UPDATE, EntityType.VIDEO_JOB, job.id, job.patient_id, **detail)
    return VideoJobPublic.model_validate(job)


def _unended(job_id: int) -> Update:
    """An update of the job that changes it only if it has not ended, whatever the caller read before."""
    query = update(VideoJob).where(VideoJob.id == job_id, VideoJob.status.not_in(ENDED))
    return query.execution_options(synchronize_session=False)


def unfinished(session: Session, *, tasks: bool = False) -> list[VideoJobPublic]:
    """Jobs queued or running without a Celery task (the app's own processes analyse them); ``tasks``: with one."""
    runs_here = VideoJob.task_id.is_not(None) if tasks else VideoJob.task_id.is_(None)
    query = select(VideoJob).where(VideoJob.status.not_in(ENDED), runs_here)
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
