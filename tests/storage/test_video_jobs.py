"""Video jobs: an uploaded clip's analysis, recorded and audited, seen only by the patient's clinician."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebalance.errors import NotFoundError, PermissionDeniedError
from rebalance.storage.repos import video_jobs
from rebalance.storage.schemas import VideoJobCreate
from rebalance.storage.tables import AuditEvent, VideoJob
from rebalance.storage.types import AuditAction, EntityType, JobStatus
from tests.storage.conftest import People

CLIP = VideoJobCreate(filename="squat.mp4", path="/data/videos/abc.mp4", movement="overhead_squat", view="side")


def test_a_job_goes_from_queued_through_running_to_its_result_audited(session: Session, people: People) -> None:
    job = video_jobs.add_job(session, people.clinician, people.patient, CLIP)
    assert (job.status, job.progress, job.result) == (JobStatus.QUEUED, 0, None)
    video_jobs.set_progress(session, job.id, 40)
    assert video_jobs.get_job(session, people.clinician, job.id).status is JobStatus.RUNNING
    tests = {"overhead_squat": {"repetitions": 3}}
    done = video_jobs.finish(session, job.id, {"file": CLIP.path, "status": "ok", "tests": tests})
    assert done is not None and (done.status, done.progress, done.result) == (JobStatus.DONE, 100, {"tests": tests})
    assert video_jobs.finish(session, job.id, {"status": "refused", "reasons": ["late"]}) is None  # once
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == EntityType.VIDEO_JOB)).all()
    assert [(e.user_id, e.action, e.detail.get("status")) for e in events] == [
        (people.clinician, AuditAction.CREATE, None),
        (people.clinician, AuditAction.READ, None),
        (None, AuditAction.UPDATE, "done"),
    ]


def test_a_refused_clip_keeps_the_reason_without_the_servers_path(session: Session, people: People) -> None:
    job = video_jobs.add_job(session, people.clinician, people.patient, CLIP)
    reasons = [f"{CLIP.path}: no person found in the video"]
    failed = video_jobs.finish(session, job.id, {"file": CLIP.path, "status": "refused", "reasons": reasons})
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == "no person found in the video"


def test_another_clinician_neither_uploads_nor_finds_the_job(session: Session, people: People) -> None:
    job = video_jobs.add_job(session, people.clinician, people.patient, CLIP)
    with pytest.raises(PermissionDeniedError):
        video_jobs.add_job(session, people.other_clinician, people.patient, CLIP)
    for someone in (people.other_clinician, people.patient_user):
        with pytest.raises(NotFoundError):
            video_jobs.get_job(session, someone, job.id)
    with pytest.raises(NotFoundError):
        video_jobs.get_job(session, people.clinician, job.id + 1000)


def test_two_polls_at_once_record_the_result_once_and_a_late_progress_never_reopens_it(
    session: Session, session_factory: sessionmaker[Session], people: People
) -> None:
    job = video_jobs.add_job(session, people.clinician, people.patient, CLIP)
    video_jobs.set_progress(session, job.id, 10)
    session.commit()
    first, second, worker = session_factory(), session_factory(), session_factory()
    try:
        seen = []  # each has read the job running before any has written (and keeps what it read)
        for polling in (first, second, worker):
            seen.append(polling.get(VideoJob, job.id))
            polling.commit()
        assert all(row is not None and row.status is JobStatus.RUNNING for row in seen)
        assert video_jobs.finish(first, job.id, {"status": "ok", "tests": {}}) is not None
        first.commit()
        assert video_jobs.finish(second, job.id, {"status": "failed", "reasons": ["lost"]}) is None
        second.commit()
        video_jobs.set_progress(worker, job.id, 0)  # the worker's first report, late
        worker.commit()
    finally:
        for polling in (first, second, worker):
            polling.close()
    session.expire_all()
    row = session.get(VideoJob, job.id)
    assert row is not None and (row.status, row.progress, row.error) == (JobStatus.DONE, 100, None)
    updates = session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.UPDATE)).all()
    assert [e.detail for e in updates] == [{"status": "done"}]
