"""Clips a clinician uploads in the clinic app: checked, stored, analysed in the background by the command
line's own job (:func:`rebalance.video.job.run`), the progress and the result recorded in ``video_jobs``.

    MOVEMENTS, VIEWS        what the upload form offers, in words
    installed()             whether the video extra is there (without importing it)
    video_kind(head)        the container a file's first bytes show (mp4, webm, avi), or None: not a video
    upload_problem(...)     why an upload cannot be analysed (no file, not a video, no movement), or None
    store(file, folder)     the upload copied into the folder under a name of its own
    Runner                  where clips are analysed: with ``broker_url`` a Celery task each (its result
                            recorded when the job is next looked at); without, one worker process of the
                            app's own, which records progress and result itself

The analysis runs in another process either way: the server's own process only waits on the database.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import multiprocessing
import shutil
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.storage.db import make_engine, make_session_factory, session_scope
from rebalance.storage.repos import video_jobs
from rebalance.storage.schemas import VideoJobPublic
from rebalance.storage.types import JobStatus

MOVEMENTS = {"overhead_squat": "Overhead squat", "single_leg_stance": "Single-leg stance", "gait": "Gait (walking)"}
VIEWS = {"": "Read it from the video", "side": "From the side", "front": "From the front"}
NOT_A_VIDEO = "This file is not a video. Upload an MP4, MOV, WebM, MKV or AVI clip."
PROGRESS_STEP = 5  # per cent between two progress records
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")  # MP4, MOV, M4V, 3GP


def installed() -> bool:
    """Whether the modules of the video extra can be found (none is imported: MediaPipe is heavy)."""
    return all(importlib.util.find_spec(name) is not None for name in ("cv2", "mediapipe", "scipy", "celery"))


def video_kind(head: bytes) -> str | None:
    """``mp4`` (also MOV), ``webm`` (also MKV) or ``avi`` from a file's first 12 bytes; None for anything else."""
    if head[4:8] in _ISO_BOXES:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None


def upload_problem(filename: str | None, head: bytes, movement: str, view: str) -> str | None:
    """Why an upload cannot be analysed, in words for the form (None: it can)."""
    if not filename:
        return "Choose a video file."
    if video_kind(head) is None:
        return NOT_A_VIDEO
    if movement not in MOVEMENTS:
        return "Choose the movement the clip shows."
    return None if view in VIEWS else "Choose where the camera stood, or let the video tell."


def store(file: BinaryIO, folder: Path, kind: str) -> Path:
    """Copy ``file`` into ``folder`` (made if need be) as ``<random>.<kind>``; the uploaded name is never a path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.{kind}"
    file.seek(0)
    with target.open("xb") as out:
        shutil.copyfileobj(file, out)
    return target


def analyse_recorded(database_url: str, job_id: int, path: str, movement: str, view: str | None) -> None:
    """Run the job on one clip and record its progress and result (in the worker process)."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    recorded = -PROGRESS_STEP

    def progress(done: int, total: int) -> None:
        nonlocal recorded
        percent = min(99, 100 * done // max(total, 1))
        if percent >= recorded + PROGRESS_STEP:
            recorded = percent
            with session_scope(factory) as db:
                video_jobs.set_progress(db, job_id, percent)

    try:
        from rebalance.video import job  # in the worker: MediaPipe loads there, never in the server

        progress(0, 1)
        result = job.run(path, movement, view, None, progress)  # type: ignore[arg-type]
    except Exception as exc:  # a crash is this clip's result, reported, never the server's
        result = failed(exc)
    try:
        with session_scope(factory) as db:
            video_jobs.finish(db, job_id, result)
    finally:
        engine.dispose()


def failed(exc: BaseException) -> dict[str, Any]:
    return {"status": "failed", "reasons": [f"the analysis stopped: {type(exc).__name__}: {exc}"]}


class Runner:
    """Where the clips are analysed: Celery workers with ``settings.broker_url``, else one local process."""

    def __init__(self, settings: Settings, executor: cf.Executor | None = None) -> None:
        self.database_url = settings.database_url
        self.celery = None
        if settings.broker_url:
            from rebalance.video.tasks import make_app

            self.celery = make_app(settings.broker_url, settings.video_queue)
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no server state inherited
        self.executor = executor or cf.ProcessPoolExecutor(max_workers=1, mp_context=spawn)

    def task_id(self) -> str | None:
        """The Celery task id to record with a new job (None without a broker)."""
        return uuid.uuid4().hex if self.celery is not None else None

    def start(self, job: VideoJobPublic) -> None:
        """Send a recorded (committed) job to be analysed."""
        if self.celery is not None:
            task = self.celery.tasks["rebalance.video.analyse_clip"]
            task.apply_async((job.path, job.movement, job.view, None), task_id=job.task_id)
        else:
            self.executor.submit(analyse_recorded, self.database_url, job.id, job.path, job.movement, job.view)

    def refresh(self, db: Session, job: VideoJobPublic) -> VideoJobPublic:
        """The job, with a Celery task's result recorded once it is done (a local job records its own)."""
        if self.celery is None or job.task_id is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job
        handle = self.celery.AsyncResult(job.task_id)
        if handle.ready():
            value = handle.get(propagate=False)
            return video_jobs.finish(db, job.id, value if handle.successful() else failed(value)) or job
        if handle.state == "STARTED" and job.status is JobStatus.QUEUED:
            video_jobs.set_progress(db, job.id, 0)  # running (Celery tells no share done)
            return job.model_copy(update={"status": JobStatus.RUNNING})
        return job

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
