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
    this_process(), gone()  who analyses a local job (its ``analysed_by``), and whether that process has ended

The analysis runs in another process either way: the server's own process only waits on the database.

A job the app's own process was analysing (no broker) when that process ended - the app restarted,
crashed or was killed - would stay "running" for ever: it records the server process that took it
(``analysed_by``), and when the app starts or the job is looked at and that process is gone, the job is
failed with :data:`INTERRUPTED` for the clinician to read. A worker process that dies mid-clip fails
its job the same way, with the reason, and the pool is made anew.

Clips are patient video: kept no longer than the analysis needs. Once a job has ended (measured,
refused or failed) and ``video_keep_days`` (default 0) have passed since the upload, its clip is
deleted (an audit event) at the next retention sweep (:meth:`Runner.remove_clips`: a job ending, a
poll recording an end, an upload, the app starting; with a broker it first records what Celery holds
for the jobs nobody polls); the measures stay with the job and the saved assessment, and no key frame
or other image of the patient is ever written by the app.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import importlib.util
import logging
import multiprocessing
import os
import shutil
import socket
import threading
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.storage.db import make_engine, make_session_factory, session_scope
from rebalance.storage.repos import video_jobs
from rebalance.storage.schemas import VideoJobPublic
from rebalance.storage.types import JobStatus, utc_now

MOVEMENTS = {"overhead_squat": "Overhead squat", "single_leg_stance": "Single-leg stance", "gait": "Gait (walking)"}
VIEWS = {"": "Read it from the video", "side": "From the side", "front": "From the front"}
NOT_A_VIDEO = "This file is not a video. Upload an MP4, MOV, WebM, MKV or AVI clip."
PROGRESS_STEP = 5  # per cent between two progress records
INTERRUPTED = "the clinic app stopped (restarted) while the clip waited or was analysed; upload it again"
LOST_AFTER = dt.timedelta(hours=6)  # a job of another host's process (or container) unfinished this long is lost
PROBES = os.name == "posix"  # os.kill(pid, 0) only asks there; on Windows it would end the process
logger = logging.getLogger("rebalance.video")
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


def _started(pid: int) -> str:
    """When process ``pid`` started (Linux: clock ticks after boot), so that a reused id is another process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def this_process() -> str:
    """This process as a job's ``analysed_by``: host, process id and start."""
    return f"{socket.gethostname()}/{os.getpid()}/{_started(os.getpid())}"[:100]


def gone(analysed_by: str | None, uploaded: dt.datetime | None = None) -> bool:
    """Whether the process ``analysed_by`` names has ended (None: a job recorded without one). Another host's
    process cannot be seen from here (a container made anew has a new host name): gone once the job,
    uploaded at ``uploaded``, has been unfinished for :data:`LOST_AFTER`; so is this host's where processes
    cannot be asked about without harm (not POSIX: :data:`PROBES`). A reused process id is told apart by the
    process's start, read from ``/proc`` (Linux only: elsewhere a process given the same id passes for the one
    that had the job, until it ends)."""
    if analysed_by is None:
        return True
    host, _, rest = analysed_by.partition("/")
    pid, _, started = rest.partition("/")
    if host != socket.gethostname() or not pid.isdigit() or not PROBES:
        return uploaded is not None and utc_now() - uploaded > LOST_AFTER
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    return started != "?" and _started(int(pid)) != started


class Runner:
    """Where the clips are analysed: Celery workers with ``settings.broker_url``, else one local process."""

    def __init__(self, settings: Settings, executor: cf.Executor | None = None) -> None:
        self.database_url = settings.database_url
        self.keep_days = settings.video_keep_days
        self.celery = None
        if settings.broker_url:
            from rebalance.video.tasks import make_app

            self.celery = make_app(settings.broker_url, settings.video_queue)
        self.executor = executor or self._pool()
        self.pool_lock = threading.Lock()  # the pool is replaced by one thread at a time
        self.engine: Any = None
        self.factory: Any = None

    @staticmethod
    def _pool() -> cf.Executor:
        spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no server state inherited
        return cf.ProcessPoolExecutor(max_workers=1, mp_context=spawn)

    def task_id(self) -> str | None:
        """The Celery task id to record with a new job (None without a broker)."""
        return uuid.uuid4().hex if self.celery is not None else None

    def analysed_by(self) -> str | None:
        """The process to record with a new job: this one, whose pool analyses it (None with a broker)."""
        return this_process() if self.celery is None else None

    def start(self, job: VideoJobPublic) -> None:
        """Send a recorded (committed) job to be analysed."""
        if self.celery is not None:
            task = self.celery.tasks["rebalance.video.analyse_clip"]
            task.apply_async((job.path, job.movement, job.view, None), task_id=job.task_id)
            return
        arguments = (self.database_url, job.id, job.path, job.movement, job.view)
        with self.pool_lock:
            for _ in range(2):  # a worker that died while idle broke the pool: a new pool, the job sent once more
                used = self.executor
                try:
                    future = used.submit(analyse_recorded, *arguments)
                    break
                except cf.BrokenExecutor as exc:
                    self._replace(used)
                    future = cf.Future()
                    future.set_exception(exc)
        future.add_done_callback(lambda done: self._ended(job.id, done, used))

    def _replace(self, broken: cf.Executor) -> None:
        """A new pool for a broken one, once (the caller holds ``pool_lock``)."""
        if broken is self.executor:
            self.executor = self._pool()
            broken.shutdown(wait=False)

    def _ended(self, job_id: int, done: cf.Future[None], used: cf.Executor) -> None:
        """A local job's process is done with it: a crash is its result; the clip goes when retention says."""
        if done.cancelled():  # the app is stopping: the job stays queued, and fails when the app starts again
            return
        exc = done.exception()
        try:
            if isinstance(exc, cf.BrokenExecutor):
                with self.pool_lock:
                    self._replace(used)
            if exc is not None:
                with session_scope(self._sessions()) as db:  # recorded whatever retention does next
                    video_jobs.finish(db, job_id, failed(exc))
            with session_scope(self._sessions()) as db:
                self.remove_clips(db)
        except Exception:  # a callback's error would be lost in the executor's thread: logged instead
            logger.exception("video job %s: its end could not be recorded", job_id)

    def _sessions(self) -> Any:
        """The runner's own sessions (callbacks and start-up run outside any request), made on first use."""
        if self.engine is None:
            self.engine = make_engine(self.database_url)
            self.factory = make_session_factory(self.engine)
        return self.factory

    def recover(self) -> None:
        """At start-up: fail the jobs whose process has ended, record the results Celery holds for the jobs
        nobody polled, and delete the clips past retention."""
        with session_scope(self._sessions()) as db:
            for job in video_jobs.unfinished(db):
                if gone(job.analysed_by, job.created_at):
                    video_jobs.finish(db, job.id, {"status": "failed", "reasons": [INTERRUPTED]})
        with session_scope(self._sessions()) as db:
            self.remove_clips(db)

    def remove_clips(self, db: Session) -> None:
        """Delete the clips whose analysis has ended, ``keep_days`` after their upload (0: at once), having
        first recorded what Celery holds for the task jobs still unended (no one may be polling them). A clip
        that cannot be deleted is logged and tried again next time; it stops neither the others nor the caller."""
        self._settle(db)
        for job in video_jobs.clips_ended(db, utc_now() - dt.timedelta(days=self.keep_days)):
            try:
                Path(job.path).unlink(missing_ok=True)
            except OSError as exc:
                logger.error("video job %s: its clip could not be deleted: %s", job.id, exc)
                continue
            video_jobs.clip_deleted(db, job.id)

    def _settle(self, db: Session) -> None:
        """Record the state of every unended Celery job (none without a broker); a broker that does not answer
        is logged, and asked again at the next sweep."""
        if self.celery is None:
            return
        try:
            for job in video_jobs.unfinished(db, tasks=True):
                self._from_celery(db, job)
        except Exception:
            logger.exception("video jobs: Celery's results could not be read")

    def _from_celery(self, db: Session, job: VideoJobPublic) -> VideoJobPublic | None:
        """What Celery says of a task job: its result recorded once done (the job returned), running once
        started, else nothing (None)."""
        if self.celery is None or job.task_id is None:
            return None
        handle = self.celery.AsyncResult(job.task_id)
        if handle.state == "STARTED" and job.status is JobStatus.QUEUED:
            video_jobs.set_progress(db, job.id, 0)  # running (Celery tells no share done)
            return job.model_copy(update={"status": JobStatus.RUNNING})
        if not handle.ready():
            return None
        value = handle.get(propagate=False)
        return video_jobs.finish(db, job.id, value if handle.successful() else failed(value))

    def refresh(self, db: Session, job: VideoJobPublic) -> VideoJobPublic:
        """The job, with a Celery task's result recorded once it is done (a local job records its own), or
        failed if the local process that had it is gone."""
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job
        if job.task_id is None:
            if not gone(job.analysed_by, job.created_at):
                return job
            ended = video_jobs.finish(db, job.id, {"status": "failed", "reasons": [INTERRUPTED]})
        elif self.celery is None:
            return job
        else:
            ended = self._from_celery(db, job)
            if ended is None or ended.status not in (JobStatus.DONE, JobStatus.FAILED):
                return ended or job
        self.remove_clips(db)
        return ended or job

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.engine is not None:
            self.engine.dispose()
