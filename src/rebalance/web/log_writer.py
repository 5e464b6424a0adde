"""Sessions logged at the same moment, written together: one transaction for all the sessions waiting.

>>> writer = LogWriter()
>>> saved = await writer.submit(request, day, data)     # SessionSaved, or what the view raised

The busiest write of the clinic is a patient logging a session, and each such write used to be a unit of
work of its own: SQLite's write lock taken and handed on (to the next process too), ``BEGIN``, the session
stored, its audit events, ``COMMIT``. Under load the lock was held most of the time and every request
queued for it (``bench/README.md``). Here one thread a process (started when a session is logged, gone
after a second with none) takes the sessions that arrived while the previous ones were written, checks
each in turn in one unit of work with the same view as ever (``session_views.store_sessions``: the same
checks, statements and audit events as ``store_session``, the sessions themselves stored together, one
statement on PostgreSQL), commits once, then reads their latest sessions together and works out each one's
feedback (``session_views.saved_session``) after the commit, with the lock free for the other processes.
On PostgreSQL that is one commit (one flush of the write-ahead log), one audit insert, and a round trip
for the sessions and one for their latest sessions, for them all.

What each request gets is what it would get alone, in the order the sessions arrived:

- A session the view refuses (a stopped program, a field's problem: nothing written for it yet) or that
  fails in any other way has the unit of work rolled back; that request gets its error, and the
  sessions before it are stored again with those after it, in a new unit of work. Each is checked against
  what the sessions before it stored, as it would be in a unit of work of its own after theirs.
- If the commit itself fails, or the sessions sent together fail as one (not a refusal of one of them),
  each session is written again alone, and only those that fail again get the error.
- A session's feedback that fails leaves it stored and answers that request with the error, as the
  route does once its commit is done.
- The version's latest sessions, which the feedback is about, are read after the commit: a patient's two
  sessions logged at the very same moment are each answered with both counted.

The caller's event loop gets each answer back through ``call_soon_threadsafe``; a request whose client has
gone (its future cancelled) is still written, as a route's unit of work is once begun.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from rebalance.storage import bookkeeping
from rebalance.storage.repo import NotStored
from rebalance.storage.schemas import StoredEntries
from rebalance.storage.types import Role
from rebalance.web import deps, security
from rebalance.web.patient_schemas import SessionIn, SessionSaved
from rebalance.web.patient_views import Me
from rebalance.web.session_views import (
    StoredSession,
    latest_sessions,
    latest_sessions_each,
    saved_session,
    store_sessions,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from rebalance.web.deps import WebContext

logger = logging.getLogger(__name__)

MOST_AT_ONCE = 32
"""Sessions written in one unit of work at most (the rest wait for the next)."""
IDLE_S = 1.0
"""The thread ends after this long with nothing to write (the next session starts it again)."""


@dataclass(frozen=True)
class _Job:
    request: Request
    day: dt.date
    data: SessionIn
    answer: asyncio.Future[SessionSaved]  # of the request's event loop


class NotTaken(Exception):
    """The request is not a signed-in patient's with the session's CSRF token: the app answers it."""


@dataclass(frozen=True)
class _Failed:
    """A try at writing sessions together that failed: at the session ``at`` (None: not one session's, the
    commit's or the sessions' sent together)."""

    at: int | None
    error: Exception


class LogWriter:
    """One app's writer of sessions logged (see the module's docstring)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._mutex = threading.Lock()
        self._running = False
        self._thread: threading.Thread | None = None
        self.batches: deque[int] = deque(maxlen=1000)
        """How many sessions each unit of work wrote, the latest last (the last 1,000; for tests and benches)."""

    async def submit(self, request: Request, day: dt.date, data: SessionIn) -> SessionSaved:
        """Store the signed-in patient's session of ``day`` with the others waiting; its answer."""
        job = _Job(request, day, data, asyncio.get_running_loop().create_future())
        with self._mutex:
            self._jobs.put(job)
            if not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._run, name="rebalance-log-writer", daemon=True)
                self._thread.start()
        return await job.answer

    def _run(self) -> None:
        while True:
            try:
                first = self._jobs.get(timeout=IDLE_S)
            except queue.Empty:
                with self._mutex:
                    if self._jobs.empty():
                        self._running = False
                        return
                continue
            jobs = [first]
            while len(jobs) < MOST_AT_ONCE:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(_taken(jobs))
            except Exception as error:  # not one of the outcomes above: every request still waiting hears of it
                logger.exception("writing %d sessions logged failed", len(jobs))
                for job in jobs:
                    _settle(job, None, error)

    def _write(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        waiting = list(jobs)
        while waiting:
            outcome = self._together(waiting)
            if isinstance(outcome, list):
                self._answer(waiting, outcome)
                return
            if outcome.at is None:  # the commit failed: each alone, unless it was alone
                if len(waiting) == 1:
                    _settle(waiting[0], None, outcome.error)
                else:
                    for job in waiting:
                        self._write([job])
                return
            _settle(waiting.pop(outcome.at), None, outcome.error)

    def _answer(self, jobs: list[_Job], stored: list[tuple[Me, StoredSession]]) -> None:
        """Each stored session's answer, once they are committed: the versions' latest sessions read in one
        reading unit of work for them all (no write lock), sent together (``latest_sessions_each``: one
        round trip on PostgreSQL), and the feedback on them. If that read fails, each is read alone, and
        only the sessions whose own read fails get the error."""
        web: WebContext = jobs[0].request.app.state.web
        with bookkeeping.reading_scope(web.bookkeeping, web.reading_session_factory) as reads:
            readers = [me.on(reads) for me, _ in stored]
            try:
                together: list[list[StoredEntries]] | None = latest_sessions_each(
                    [(reader, session.program) for reader, (_, session) in zip(readers, stored, strict=True)]
                )
            except Exception:
                reads.rollback()
                together = None
            for at, (job, (me, session)) in enumerate(zip(jobs, stored, strict=True)):
                try:
                    latest = together[at] if together is not None else latest_sessions(readers[at], session.program)
                    saved = saved_session(me, session, latest)
                except Exception as error:
                    reads.rollback()  # the next session's read begins afresh (on PostgreSQL, after an error)
                    _settle(job, None, error)
                else:
                    _settle(job, saved, None)

    def _together(self, jobs: list[_Job]) -> list[tuple[Me, StoredSession]] | _Failed:
        """Every session of ``jobs`` stored in one unit of work, committed; or where it failed (rolled back)."""
        web: WebContext = jobs[0].request.app.state.web
        session: Session = deps.writing_session(web, in_turn=False)
        try:
            mine = [(Me(session, job.day, job.request), job.data) for job in jobs]
            try:
                stored = store_sessions(mine)
                session.commit()
            except NotStored as refused:
                session.rollback()
                return _Failed(refused.at, refused.why)
            except Exception as error:  # the commit, or the sessions sent together: not one session's
                session.rollback()
                return _Failed(None, error)
            self.batches.append(len(jobs))
            return [(me, done) for (me, _), done in zip(mine, stored, strict=True)]
        finally:
            session.close()


def _taken(jobs: list[_Job]) -> list[_Job]:
    """The jobs of signed-in patients with their session's CSRF token, their sessions looked up together
    (``deps.look_up_each``: one statement on PostgreSQL); the others answered :class:`NotTaken`."""
    web: WebContext = jobs[0].request.app.state.web
    taken = []
    for job, found in zip(jobs, deps.look_up_each(web, [job.request for job in jobs]), strict=True):
        token = job.request.headers.get(security.CSRF_HEADER)
        if (
            found is None
            or found.user.role is not Role.PATIENT
            or not security.same_token(found.web_session.csrf_token, token)
        ):
            _settle(job, None, NotTaken())
        else:
            taken.append(job)
    return taken


def _settle(job: _Job, saved: SessionSaved | None, error: Exception | None) -> None:
    """Hand the request its answer in its own event loop (unless the loop or the request is gone)."""

    def settle() -> None:
        if job.answer.done():  # cancelled: the client went away
            return
        if error is not None:
            job.answer.set_exception(error)
        else:
            job.answer.set_result(saved)  # type: ignore[arg-type]

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
        job.answer.get_loop().call_soon_threadsafe(settle)
