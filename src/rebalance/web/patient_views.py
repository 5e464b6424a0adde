"""What the patient's pages and ``/api/me/...`` show: their stored records, arranged with the library's answers.

    PatientDep                  the signed-in patient, the database, the knowledge base and today
    today_view(me)              the published program's exercises for today's weekday, or why there are none
    log_page(me)                what the log form asks, and what the pain-monitoring model says of the last session
    record_session(me, data)    store a session and the morning after the previous one (all or nothing)
    store_session, latest_sessions, saved_session   the same in steps, around the caller's commit
    store_sessions(each)        store_session of several patients' sessions at once (the log writer)
    latest_sessions_each(each)  latest_sessions of several patients' sessions at once (the log writer)
    check_in_status(me)         the questions, the latest check-in and its result, whether one is due
    record_check_in(me, data)   store a check-in with the level the library gives it
    progress_view(me)           the numbers behind the progress charts; ``progress_charts`` draws them
    learn_index(me), learn_topic(me, topic)   the patient's own patterns and findings, explained

Every judgement is the library's: a check-in's level and what to do (``safety_for_flags``), whether a
level stops the program (``withholds_program``), progress, hold or regress (``programs.progress``), what
a pattern or a muscle is (``explain_records``). This module reads, stores and arranges; it never takes
a patient id from a request: the patient is the signed-in user. Only the published program is shown.

The program stops (no exercises today, no sessions logged) while the latest assessment's safety level
withholds it, or a check-in since that assessment came out urgent or emergency: a later check-in with no
warning sign does not undo it, a new assessment does (the clinician has seen the person since).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from rebalance.errors import ConflictError, InvalidInputError, NotFoundError
from rebalance.knowledge.explain import explain_records
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.programs.build import PAIN_RULE
from rebalance.programs.logs import Logs, parse_logs
from rebalance.programs.progress import adherence, decided_by_recent, decisions
from rebalance.programs.schedule import DAYS
from rebalance.reasoning.safety import check_in_questions, safety_for_flags, since_assessment, withholds_program
from rebalance.reports.charts import RefLine, Series, line_chart
from rebalance.reports.text import dose_text
from rebalance.storage import auth_repo, bookkeeping, repo
from rebalance.storage.auth_repo import CheckInCreate, CheckInPublic
from rebalance.storage.page_state import PageState
from rebalance.storage.schemas import (
    AssessmentPublic,
    ProgramPublic,
    SessionEntry,
    SessionLogCreate,
    SessionLogPublic,
    StoredEntries,
    UserPublic,
)
from rebalance.storage.types import Role, SafetyLevel
from rebalance.web import security
from rebalance.web.deps import Deferred, SessionDep, WebContext, signed_in_as
from rebalance.web.errors import NotAuthenticatedError
from rebalance.web.page_cache import remembered
from rebalance.web.patient_schemas import (
    FEEDBACK_LOOKS_AT,
    Adherence,
    AssessmentScore,
    CheckInIn,
    CheckInResult,
    CheckInStatus,
    ExerciseToday,
    ExplainedOut,
    Feedback,
    FlagMessage,
    Guide,
    LearnIndex,
    LearnPattern,
    LearnTopic,
    LogPage,
    LogRow,
    ProgressView,
    Question,
    SafetyResult,
    SectionOut,
    SessionIn,
    SessionSaved,
    SessionSummary,
    SourceOut,
    Stop,
    Today,
    Topic,
    WeekCount,
)
from rebalance.web.security import SignedIn

logger = logging.getLogger("rebalance.web")

CHECK_IN_EVERY_DAYS = 7
"""A check-in is due when the last one is more than this many days old (or there is none): weekly."""

PREVIOUS_LOOKS_AT = 3
"""The session a morning-after answer is about is looked for among the latest this many before the day."""

HEADLINES = {
    "progress": "Going well: ready for the next step",
    "hold": "Keep going",
    "regress": "That was too much: next time, do less",
}


async def today() -> dt.date:
    """Today, on the server's calendar (a dependency: tests put another day in its place)."""
    return dt.date.today()


async def today_of(app: FastAPI) -> dt.date:
    """The day the patient's pages are made for: the ``today`` dependency (or what the app put in its
    place), for the fronts that answer before routing (``page_front.py``, ``log_front.py``)."""
    provider = app.dependency_overrides.get(today, today)
    day = provider()
    return await day if inspect.isawaitable(day) else day  # type: ignore[no-any-return]


_T = TypeVar("_T")


class _once(Generic[_T]):
    """A ``Me`` attribute computed on first use and kept for the request.

    ``functools.cached_property`` without its lock: Python 3.11's is one lock per attribute shared by
    every instance, held while the value is computed, so concurrent requests queue on each other's
    database reads. A ``Me`` belongs to one request, in one thread.
    """

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, me: None, owner: type) -> _once[_T]: ...
    @overload
    def __get__(self, me: object, owner: type) -> _T: ...
    def __get__(self, me: object, owner: type) -> _T | _once[_T]:
        if me is None:
            return self
        value = self.compute(me)
        me.__dict__[self.name] = value  # found before this (non-data) descriptor from now on
        return value


@dataclass(frozen=True)
class Me(Deferred):
    """The signed-in patient and what their pages are made with; each kind of record is read once a request.

    Who is signed in is looked up in the route's own worker thread and unit of work, before the route
    runs (``check``, called by ``UnitOfWorkRoute``; and on first use of ``user`` in any case): a
    patient's page costs one trip to a worker thread. A page reads only what it shows: the today page
    the latest assessment and the recent check-ins (what decides whether the program stops), not the
    whole history.
    """

    db: Session
    day: dt.date
    request: Request

    @property
    def kb(self) -> KnowledgeBase:
        return default()

    @property
    def web(self) -> WebContext:
        context: WebContext = self.request.app.state.web
        return context

    def check(self) -> None:
        """A signed-in patient with their own record, or the usual 401 / 403 / 404."""
        _ = self.patient_id

    @_once
    def user(self) -> UserPublic:
        return signed_in_as(Role.PATIENT, self.db, self.web.settings, self.request)

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def signed_in(self) -> SignedIn:
        """The user and their web session."""
        _ = self.user
        found: SignedIn = self.request.state.signed_in
        return found

    @_once
    def patient_id(self) -> int:
        return _own_record(self.user)

    @_once
    def page_state(self) -> PageState:
        """The ids of the patient's published program, latest assessment and newest check-in: read with
        the session when it was looked up (a page, logging a session), else now with the access check.

        Read with the session, the same row told who the user is: the unit of work takes it as its access
        check of the patient's own record (``repo.known_own_access``), so logging a session asks the
        database nothing more about access inside its transaction."""
        found = self.signed_in
        if found.page_state is None:
            return repo.checked_page_state(self.db, self.user_id, self.patient_id)
        repo.known_own_access(self.db, found.user)
        return found.page_state

    @_once
    def program(self) -> ProgramPublic | None:
        """The published program version (never a draft): read once per process and version (a stored
        version never changes; once another is published, the page state names that one)."""
        published = self.page_state.program_id

        def read() -> ProgramPublic | None:
            return repo.latest_program(self.db, self.user_id, self.patient_id, published_only=True)

        def is_named(program: ProgramPublic | None) -> bool:
            return published is not None and program is not None and program.id == published

        return remembered(self.web.pages, self.db, ("program", self.user_id, published), read, keep=is_named)

    def on(self, reads: Session) -> Me:
        """The same patient and request in another unit of work (``reads``), with this one's page state
        (and, read with the session, its access check: see :attr:`page_state`)."""
        other = Me(reads, self.day, self.request)
        other.__dict__["page_state"] = self.page_state
        if self.signed_in.page_state is not None:
            repo.known_own_access(reads, self.signed_in.user)
        return other

    @_once
    def assessments(self) -> list[AssessmentPublic]:
        return repo.patient_assessments(self.db, self.user_id, self.patient_id)

    @_once
    def latest_assessment(self) -> AssessmentPublic | None:
        if "assessments" in self.__dict__:
            return self.assessments[-1] if self.assessments else None
        return repo.latest_assessment(self.db, self.user_id, self.patient_id)

    @_once
    def check_ins(self) -> list[CheckInPublic]:
        return auth_repo.check_ins_for_patient(self.db, self.user_id, self.patient_id)

    @_once
    def recent_check_ins(self) -> list[CheckInPublic]:
        """The check-ins that decide whether the program stops and whether one is due: those since the
        latest assessment's day or in the last week, whichever reaches further back (all without one)."""
        latest = self.latest_assessment
        if "check_ins" in self.__dict__ or latest is None:
            return self.check_ins
        start = min(latest.assessed_on, self.day - dt.timedelta(days=CHECK_IN_EVERY_DAYS))
        return auth_repo.check_ins_for_patient(self.db, self.user_id, self.patient_id, start=start)

    @_once
    def sessions(self) -> list[SessionLogPublic]:
        return repo.session_logs_for_patient(self.db, self.user_id, self.patient_id)


async def patient_context(request: Request, db: SessionDep, day: Annotated[dt.date, Depends(today)]) -> Me:
    """(Few dependencies: FastAPI's solving of each costs more than most of them do.)"""
    if not request.cookies.get(security.SESSION_COOKIE):  # signed out: answered at once, as by PatientUser
        raise NotAuthenticatedError
    return Me(db, day, request)


def _own_record(user: UserPublic) -> int:
    if user.patient_id is None:
        raise NotFoundError("patient", None)
    return user.patient_id


PatientDep = Annotated[Me, Depends(patient_context)]


# --- safety: when the program stops --------------------------------------------------------------


def _safety(kb: KnowledgeBase, flag_ids: Sequence[str]) -> SafetyResult:
    result = safety_for_flags(kb, list(flag_ids))
    return SafetyResult(
        level=result["level"],
        message=result["message"],
        flags=[FlagMessage(**flag) for flag in result["flags"]],
        stops_program=withholds_program(result["level"]),
    )


def stops(me: Me) -> list[Stop]:
    """Why the program is stopped now (empty: it is not): the latest assessment, or a check-in since it.

    Worked out once per process and page state (the latest assessment and the newest check-in: records
    never changed once stored), with the same audit events recorded each time it is asked.
    """
    state = me.page_state
    key = ("stops", me.user_id, me.day, state.assessment_id, state.check_in_id)

    def as_named(_: list[Stop]) -> bool:  # what was read is what the state names (nothing stored since)
        latest = me.latest_assessment
        newest = max((c.id for c in me.recent_check_ins), default=None)
        return (latest and latest.id) == state.assessment_id and (newest or 0) <= (state.check_in_id or 0)

    return remembered(me.web.pages, me.db, key, lambda: _stops(me), keep=as_named)


def _stops(me: Me) -> list[Stop]:
    assessment, found = me.latest_assessment, []
    if assessment is not None and withholds_program(assessment.safety_level):
        safety = assessment.analysis["safety"]
        flags = [flag["message"] for flag in safety.get("flags", [])]
        found.append(
            Stop(
                source="assessment",
                on=assessment.assessed_on,
                level=safety["level"],
                message=safety["message"],
                flags=flags,
            )
        )
    since = [c for c in me.recent_check_ins if assessment is None or _after(c, assessment)]
    stopping = [c for c in since if withholds_program(c.level)]
    if stopping:
        check_in = stopping[-1]
        result = _safety(me.kb, check_in.answers)
        flags = [flag.message for flag in result.flags]
        level = "emergency" if check_in.level is SafetyLevel.EMERGENCY else "urgent"
        found.append(Stop(source="check_in", on=check_in.checked_on, level=level, message=result.message, flags=flags))
    return found


def _after(check_in: CheckInPublic, assessment: AssessmentPublic) -> bool:
    """The check-in was answered after the assessment (the library's rule: ``safety.since_assessment``)."""
    return since_assessment(check_in.checked_on, check_in.created_at, assessment.assessed_on, assessment.created_at)


def _check_in_due(me: Me) -> bool:
    """No check-in yet, or the latest is more than a week old (``recent_check_ins`` holds the latest if it is not)."""
    recent = me.recent_check_ins
    return not recent or (me.day - recent[-1].checked_on).days > CHECK_IN_EVERY_DAYS


# --- today ---------------------------------------------------------------------------------------


def today_view(me: Me) -> Today:
    program = me.program
    stopped = stops(me)
    weekday = DAYS[me.day.weekday()]
    items = [] if program is None or stopped else exercises_for_day(me.kb, program.document, weekday)
    status = "no_program" if program is None else "stopped" if stopped else "exercises" if items else "rest_day"
    return Today(
        date=me.day,
        weekday=weekday,
        status=status,
        program_version=None if program is None else program.version,
        pain_rule=PAIN_RULE,
        items=items,
        stops=stopped,
        check_in_due=_check_in_due(me),
    )


def exercises_for_day(kb: KnowledgeBase, program: dict[str, Any], weekday: str) -> list[ExerciseToday]:
    """The program's exercises on its schedule for ``weekday`` (Mon … Sun), in the schedule's order."""
    day = next((d for d in program.get("schedule", []) if d["day"] == weekday), None)
    if day is None:
        return []
    items = {item["exercise_id"]: item for item in program["items"]}
    return [
        _exercise_today(kb, items[entry["exercise_id"]], entry.get("seconds"))
        for entry in day["items"]
        if entry["exercise_id"] in items
    ]


def _exercise_today(kb: KnowledgeBase, item: dict[str, Any], seconds: float | None) -> ExerciseToday:
    exercise = kb.exercise.get(item["exercise_id"])
    equipment = exercise.equipment if exercise else []
    return ExerciseToday(
        exercise_id=item["exercise_id"],
        name=item.get("name") or (exercise.name if exercise else item["exercise_id"]),
        intent=item.get("intent", ""),
        side=item.get("side", "both"),
        extra_set_side=(item.get("extra") or {}).get("side"),
        dose=dose_text(item["dosage"]),
        dosage=item["dosage"],
        minutes=None if seconds is None else round(seconds / 60, 1),
        why=item.get("why", ""),
        start=exercise.start if exercise else "",
        steps=list(exercise.steps) if exercise else [],
        cues=list(exercise.cues) if exercise else [],
        mistakes=list(exercise.mistakes) if exercise else [],
        equipment=[kb.equipment[e].name if e in kb.equipment else e.replace("_", " ") for e in equipment],
    )


# --- logging a session ---------------------------------------------------------------------------


def log_page(me: Me) -> LogPage | None:
    """The log form's questions; None without a published program (nothing to log against)."""
    program = me.program
    if program is None:
        return None
    weekday = DAYS[me.day.weekday()]
    todays = exercises_for_day(me.kb, program.document, weekday)
    items = {item["exercise_id"]: item for item in program.document["items"]}
    chosen = [items[e.exercise_id] for e in todays] or list(items.values())
    previous = _previous_session(me, me.day)
    current = _recent_of_program(me, program)
    morning = [e for e in previous.entries if e.done] if previous else []
    stored = [StoredEntries.of(log) for log in current]
    return LogPage(
        date=me.day,
        rows=[_log_row(item) for item in chosen],
        rest_day=not todays,
        previous=previous,
        previous_pain=_first([e.pain_next_morning for e in morning]),
        previous_stiffness=_first([e.stiffness_next_morning for e in morning]),
        latest=current[-1] if current else None,
        feedback=feedback(me.kb, program, stored, _in(me)),
        stops=stops(me),
        pain_guide=pain_guide(me.kb),
    )


def _first(values: Sequence[int | None]) -> int | None:
    return next((v for v in values if v is not None), None)


def pain_guide(kb: KnowledgeBase) -> Guide:
    """The pain-monitoring model in words (``criteria.yaml``), and its source."""
    criterion = kb.criterion["pain_monitoring_acceptable"]
    source = kb.sources.get(criterion.source or "")
    citation = source.citation if source else str(criterion.source)
    return Guide(text=criterion.summary, source=short_citation(citation), citation=citation)


def short_citation(citation: str) -> str:
    """ "Silbernagel KG, Thomee R, … 2007;35(6)…" → "Silbernagel et al. 2007" (the full one stays alongside)."""
    year = re.search(r"\b(19|20)\d\d\b", citation)
    first = citation.split(" ", 1)[0].rstrip(",.")
    if year is None:
        return citation
    others = " et al." if "," in citation.split(".", 1)[0] else ""
    return f"{first}{others} {year[0]}"


def _log_row(item: dict[str, Any]) -> LogRow:
    dose = item["dosage"]
    return LogRow(
        exercise_id=item["exercise_id"],
        name=item.get("name", item["exercise_id"]),
        side=item.get("side", "both"),
        dose=dose_text(dose),
        asks_reps=bool(dose.get("reps")),
        asks_hold=bool(dose.get("hold_s")),
        target_sets=int(dose["sets"]),
        target_reps=dose.get("reps"),
        target_hold_s=dose.get("hold_s"),
    )


def _previous_session(me: Me, before: dt.date) -> SessionLogPublic | None:
    """The latest session before ``before`` with an exercise done: the one a morning-after answer is about.

    Read from the latest few sessions before that day (the whole history only if none of them had one)."""
    if "sessions" not in me.__dict__:
        latest = repo.recent_session_logs(me.db, me.user_id, me.patient_id, PREVIOUS_LOOKS_AT, before=before)
        if len(latest) < PREVIOUS_LOOKS_AT or any(e.done for s in latest for e in s.entries):
            return _latest_done(latest, before)
    return _latest_done(me.sessions, before)


def _latest_done(sessions: Sequence[SessionLogPublic], before: dt.date) -> SessionLogPublic | None:
    earlier = [s for s in sessions if s.performed_on < before and any(e.done for e in s.entries)]
    return earlier[-1] if earlier else None


def _recent_of_program(me: Me, program: ProgramPublic) -> list[SessionLogPublic]:
    """The program version's latest sessions (:data:`FEEDBACK_LOOKS_AT` of them), oldest first."""
    return repo.recent_session_logs(me.db, me.user_id, me.patient_id, FEEDBACK_LOOKS_AT, program_id=program.id)


def record_session(me: Me, data: SessionIn) -> SessionSaved:
    """Store the session and the morning after the previous one, or nothing (422 with every field's problem).

    The request's unit of work checks and stores (:func:`store_session`), reads the version's latest
    sessions (:func:`latest_sessions`), and is committed here; what the pain-monitoring model says of them
    is worked out after (:func:`saved_session`, reading what more it needs in a reading unit of work of
    its own). So SQLite's write lock, which the writers of every process take in turn, is not held for
    the reasoning. (The JSON API's front writes the sessions logged at the same moment together, and
    reads their latest sessions after the commit: ``log_writer.py``.)
    """
    stored = store_session(me, data)
    latest = latest_sessions(me, stored.program)
    me.db.commit()  # nothing more is written: with what was just stored
    return saved_session(me, stored, latest)


@dataclass(frozen=True)
class StoredSession:
    """What :func:`store_session` stored, in a unit of work not yet committed."""

    program: ProgramPublic
    log: SessionLogPublic | None
    next_morning_for: SessionLogPublic | None


def store_session(me: Me, data: SessionIn) -> StoredSession:
    """:func:`record_session`'s checks and changes in ``me``'s unit of work, which the caller commits
    (or rolls back: nothing of it is kept then). Refused before anything is written where the program is
    stopped or missing (409) or a field has a problem (422)."""
    try:
        (stored,) = store_sessions([(me, data)])
    except repo.NotStored as refused:
        raise refused.why from None
    return stored


def store_sessions(each: Sequence[tuple[Me, SessionIn]]) -> list[StoredSession]:
    """:func:`store_session` of each (patient, session) of ``each``, in order, in the unit of work they share
    (the log writer's, for the sessions logged at one moment): each checked as alone, the sessions themselves
    stored together (``repo.add_session_logs``: one statement on PostgreSQL), those before a morning-after
    answer first, as its check reads the sessions stored. ``repo.NotStored`` names the one refused, and why."""
    ready: list[_Prepared] = []
    stored: list[StoredSession] = []
    for at, (me, data) in enumerate(each):
        if _says_morning(data):
            stored += _store_prepared(each, ready, len(stored))
        try:
            me.check()
            ready.append(_prepare_session(me, data))
        except Exception as error:
            raise repo.NotStored(at, error) from error
    return stored + _store_prepared(each, ready, len(stored))


def _store_prepared(each: Sequence[tuple[Me, SessionIn]], ready: list[_Prepared], start: int) -> list[StoredSession]:
    """The sessions prepared (``ready``, for ``each``) from ``start`` on, stored together."""
    logged = [(at, log) for at in range(start, len(ready)) if (log := ready[at].log) is not None]
    asks = [(each[at][0].user_id, each[at][0].patient_id, log) for at, log in logged]
    try:
        logs = iter(repo.add_session_logs(each[0][0].db, asks) if asks else ())
    except repo.NotStored as refused:
        raise repo.NotStored(logged[refused.at][0], refused.why) from None
    done = ready[start:]
    return [StoredSession(p.program, None if p.log is None else next(logs), p.next_morning_for) for p in done]


@dataclass(frozen=True)
class _Prepared:
    """:func:`store_session` but the session itself: checked, the morning after stored, the session to store."""

    program: ProgramPublic
    log: SessionLogCreate | None  # None: no exercise done (a morning-after answer only)
    next_morning_for: SessionLogPublic | None


def _prepare_session(me: Me, data: SessionIn) -> _Prepared:
    """:func:`store_session`'s checks, and the morning after the previous session stored, in ``me``'s unit
    of work; the session itself is left to :func:`store_sessions`. Only a morning-after answer reads the
    sessions stored."""
    program = me.program
    if program is None:
        raise ConflictError("session_log", None, "there is no published program to log a session against yet")
    if stops(me):
        raise ConflictError("session_log", None, "the program is stopped: see the today page for what to do")
    day = data.performed_on or me.day
    previous = _previous_session(me, day) if _says_morning(data) else None  # else not asked about
    _check_session(me, data, program, day, previous)
    morning_for = None
    if data.next_morning is not None and previous is not None:
        morning = data.next_morning
        morning_for = repo.set_next_morning(me.db, me.user_id, previous.id, morning.pain, morning.stiffness)
    log = None
    if any(entry.done for entry in data.entries):
        entries = [SessionEntry(**entry.model_dump()) for entry in data.entries]
        log = SessionLogCreate(program_id=program.id, performed_on=day, entries=entries)
    return _Prepared(program, log, morning_for)


def latest_sessions(me: Me, program: ProgramPublic) -> list[StoredEntries]:
    """The version's latest sessions (what the pain-monitoring model looks at after a session is logged),
    in ``me``'s unit of work: the one that stored the session, or one that reads after its commit."""
    return repo.recent_session_entries(me.db, me.user_id, me.patient_id, FEEDBACK_LOOKS_AT, program.id)


def latest_sessions_each(each: Sequence[tuple[Me, ProgramPublic]]) -> list[list[StoredEntries]]:
    """:func:`latest_sessions` of each patient and version of ``each``, in order, all in the unit of work of
    the first (the patients' own: ``Me.on``), sent together (one round trip on PostgreSQL)."""
    if not each:
        return []
    asks = [(me.user_id, me.patient_id, program.id) for me, program in each]
    return repo.recent_session_entries_each(each[0][0].db, FEEDBACK_LOOKS_AT, asks)


def saved_session(me: Me, stored: StoredSession, latest: Sequence[StoredEntries]) -> SessionSaved:
    """The answer to a session stored and committed: it, and the pain-monitoring model's word on it and on
    the ``latest`` sessions (:func:`latest_sessions`, read since it was stored)."""
    said = feedback(me.kb, stored.program, latest, _once_committed(me))
    return SessionSaved(log=stored.log, next_morning_for=stored.next_morning_for, feedback=said)


Reading = Callable[[Callable[[Me], _T]], _T]
"""How :func:`feedback` reads what more it needs (rarely: the version's whole history, an analysis):
``reading(read)`` is ``read`` of the patient in some unit of work."""


def _in(me: Me) -> Reading[Any]:
    """In ``me``'s own unit of work."""
    return lambda read: read(me)


def _once_committed(me: Me) -> Reading[Any]:
    """Once ``me``'s unit of work is committed: in a reading unit of work of its own, opened only when
    something is read, whose events go to the bookkeeping writer."""

    def reading(read: Callable[[Me], _T]) -> _T:
        with bookkeeping.reading_scope(me.web.bookkeeping, me.web.reading_session_factory) as reads:
            return read(me.on(reads))

    return reading


def _says_morning(data: SessionIn) -> bool:
    """Whether the form tells how the morning after the previous session felt."""
    morning = data.next_morning
    return morning is not None and (morning.pain is not None or morning.stiffness is not None)


def _check_session(
    me: Me, data: SessionIn, program: ProgramPublic, day: dt.date, previous: SessionLogPublic | None
) -> None:
    in_program = {item["exercise_id"] for item in program.document["items"]}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if day > me.day:
        problems.append((("performed_on",), "a session cannot be logged for a day still to come"))
    for i, entry in enumerate(data.entries):
        if entry.exercise_id not in in_program:
            problems.append((("entries", i, "exercise_id"), "this exercise is not in your program"))
    said_morning = _says_morning(data)
    if said_morning and previous is None:
        problems.append((("next_morning",), "there is no earlier session to attach the morning after to"))
    if not any(entry.done for entry in data.entries) and not said_morning:
        problems.append((("entries",), "mark at least one exercise as done, or tell how the morning after felt"))
    if problems:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": None} for loc, msg in problems]
        )


def feedback(
    kb: KnowledgeBase, program: ProgramPublic, recent: Sequence[StoredEntries], reading: Reading[Any]
) -> list[Feedback]:
    """The pain-monitoring model's word (``programs.progress``) on each exercise done in the latest session.

    ``recent`` is the program version's latest sessions (``repo.recent_session_entries``); when they do
    not settle a decision (``decided_by_recent``), the version's whole history is read, through
    ``reading``, as is the analysis the program was built from when the program does not carry its
    baseline pain. ``sessions`` counts among ``recent``.
    """
    if not recent:
        return []
    logs = _library_logs(recent)
    if logs is None:
        return []
    done = {e["exercise_id"] for e in recent[-1].entries if e.get("done")}
    older_may_exist = len(recent) >= FEEDBACK_LOOKS_AT
    if older_may_exist and not all(decided_by_recent([e for _, e in logs.for_exercise(x)]) for x in done):
        history = reading(lambda me: [StoredEntries.of(s) for s in me.sessions if s.program_id == program.id])
        logs = _library_logs(history)
        if logs is None:
            return []
    baseline = program.document.get("client", {}).get("baseline_pain")
    if baseline is not None:  # a program built by the library carries it (``client.baseline_pain``)
        analysis = {"scores": {"pain_now": baseline}}
    else:
        analysis = reading(lambda me: _analysis_of(me, program))
    found = decisions(kb, {**analysis, "program": program.document}, logs, done)
    counts = {x: sum(1 for s in recent for e in s.entries if e["exercise_id"] == x) for x in done}
    names = {item["exercise_id"]: item.get("name", item["exercise_id"]) for item in program.document["items"]}
    return [_feedback(kb, {**d, "sessions": counts[d["exercise_id"]]}, names) for d in found]


def _analysis_of(me: Me, program: ProgramPublic) -> dict[str, Any]:
    """The analysis the program was built from, else the latest one (for its baseline pain)."""
    latest = me.latest_assessment
    if latest is not None and latest.id == program.assessment_id:
        return latest.analysis
    chosen = next((a for a in me.assessments if a.id == program.assessment_id), me.latest_assessment)
    return chosen.analysis if chosen is not None else {"scores": {"pain_now": 0}}


def _library_logs(sessions: Sequence[StoredEntries]) -> Logs | None:
    """The stored sessions as ``rebalance.logs/1`` (holds in whole seconds), or None if the library refuses them."""
    document = {
        "schema": "rebalance.logs/1",
        "sessions": [{"date": s.performed_on, "entries": [_library_entry(e) for e in s.entries]} for s in sessions],
    }
    try:
        return parse_logs(document, "stored sessions")
    except InvalidInputError as exc:  # stored by another client beyond the library's ranges
        logger.warning("session logs the pain-monitoring model cannot read: %s", exc)
        return None


def _library_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in entry.items() if value is not None}
    if "hold_s" in values:
        values["hold_s"] = round(values["hold_s"])
    return values


def _feedback(kb: KnowledgeBase, decision: dict[str, Any], names: dict[str, str]) -> Feedback:
    verdict = decision["decision"]
    return Feedback(
        exercise_id=decision["exercise_id"],
        name=names.get(decision["exercise_id"], decision["exercise_id"]),
        decision=verdict,
        headline=HEADLINES[verdict],
        reason=decision["reason"],
        next_time=_next_time(kb, decision),
        sessions=decision["sessions"],
    )


def _next_time(kb: KnowledgeBase, decision: dict[str, Any]) -> str | None:
    """The library's suggested step in words: the easier version on regress; on progress, for the clinician."""
    new_id, new_dose = decision.get("new_exercise_id"), decision.get("new_dosage")
    if decision["decision"] == "hold" or (new_id is None and new_dose is None):
        return None
    step = kb.exercise[new_id].name if new_id in kb.exercise else _dose_words(new_dose or {})
    if decision["decision"] == "regress":
        return f"Next time: {step}. If the pain does not settle, stop this exercise and tell your clinician."
    return f"Suggested next step: {step}. Your clinician sees your log and updates your program."


def _dose_words(dose: dict[str, Any]) -> str:
    sets = dose.get("sets")
    parts = [f"{sets} set{'s' if sets != 1 else ''}" if sets else ""]
    parts.append(f"{dose['reps']} repetitions" if dose.get("reps") else "")
    parts.append(f"hold {dose['hold_s']} s" if dose.get("hold_s") else "")
    return ", ".join(p for p in parts if p)


# --- the weekly check-in -------------------------------------------------------------------------


def questions(kb: KnowledgeBase) -> list[Question]:
    return [Question(**q) for q in check_in_questions(kb)]


def check_in_status(me: Me) -> CheckInStatus:
    latest = me.check_ins[-1] if me.check_ins else None
    return CheckInStatus(
        questions=questions(me.kb),
        latest=latest,
        latest_result=None if latest is None else _safety(me.kb, latest.answers),
        due=_check_in_due(me),
        due_after_days=CHECK_IN_EVERY_DAYS,
        stops=stops(me),
    )


def record_check_in(me: Me, data: CheckInIn) -> CheckInResult:
    """Store the check-in with the library's level; urgent or emergency stop the program (see :func:`stops`)."""
    asked = [q.id for q in questions(me.kb)]
    problems = [(("answers", q), "answer yes or no") for q in asked if q not in data.answers]
    problems += [(("answers", k), "not a question of the check-in") for k in data.answers if k not in asked]
    if problems:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": None} for loc, msg in problems]
        )
    yes = [q for q in asked if data.answers[q]]
    result = _safety(me.kb, yes)
    stored = auth_repo.add_check_in(
        me.db, me.user_id, me.patient_id, CheckInCreate(checked_on=me.day, answers=yes, level=SafetyLevel(result.level))
    )
    return CheckInResult(check_in=stored, result=result)


# --- progress ------------------------------------------------------------------------------------


def progress_view(me: Me) -> ProgressView:
    sessions, program = me.sessions, me.program
    current = [s for s in sessions if program is not None and s.program_id == program.id]
    logs = _library_logs([StoredEntries.of(s) for s in current]) if current else None
    return ProgressView(
        pain_guide=pain_guide(me.kb),
        sessions=[_summary(s) for s in sessions if any(e.done for e in s.entries)],
        weeks=_weeks(sessions, me.day),
        planned_per_week=None if program is None else program.document.get("sessions_per_week"),
        adherence=None if program is None or logs is None else Adherence(**adherence(program.document, logs)),
        assessments=[_score(a) for a in me.assessments],
    )


def _summary(session: SessionLogPublic) -> SessionSummary:
    done = [e for e in session.entries if e.done]
    return SessionSummary(
        date=session.performed_on,
        exercises_done=len(done),
        pain_during=session.pain_during_max,
        pain_next_morning=max((e.pain_next_morning for e in done if e.pain_next_morning is not None), default=None),
        stiffness_next_morning=max(
            (e.stiffness_next_morning for e in done if e.stiffness_next_morning is not None), default=None
        ),
    )


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weeks(sessions: Sequence[SessionLogPublic], until: dt.date) -> list[WeekCount]:
    """Sessions with an exercise done, week by week from the first session's week to this week."""
    done = [s.performed_on for s in sessions if any(e.done for e in s.entries)]
    if not done:
        return []
    counts = Counter(_monday(day) for day in done)
    week, last, out = _monday(min(done)), _monday(max(until, *done)), []
    while week <= last:
        out.append(WeekCount(week_of=week, sessions=counts.get(week, 0)))
        week += dt.timedelta(days=7)
    return out


def _score(assessment: AssessmentPublic) -> AssessmentScore:
    scores = assessment.analysis.get("scores", {})
    return AssessmentScore(
        date=assessment.assessed_on,
        pain_now=scores.get("pain_now"),
        odi_percent=(scores.get("odi") or {}).get("percent"),
    )


def progress_charts(view: ProgressView) -> dict[str, str]:
    """The progress charts as SVG (``reports.charts.line_chart``): pain, sessions a week, assessments."""
    charts = {
        "pain": line_chart(
            [
                Series("Pain during exercise", [(s.date, s.pain_during) for s in view.sessions], "/10"),
                Series("Pain the next morning", [(s.date, s.pain_next_morning) for s in view.sessions], "/10"),
                Series(
                    "Stiffness the next morning", [(s.date, s.stiffness_next_morning) for s in view.sessions], "/10"
                ),
            ],
            title="Your pain after each session",
            y_label="0 none – 10 worst",
            y_min=0,
            y_max=10,
            width=340,
            height=300,
        ),
        "weeks": line_chart(
            [Series("Sessions done", [(w.week_of, float(w.sessions)) for w in view.weeks], "a week")],
            title="Sessions each week",
            y_label="sessions",
            y_min=0,
            reference=[RefLine(view.planned_per_week, "your plan")] if view.planned_per_week else [],
            width=340,
            height=260,
        ),
    }
    if view.assessments:
        charts["assessments"] = line_chart(
            [Series("Pain at the assessment", [(a.date, a.pain_now) for a in view.assessments], "/10")],
            title="Pain at your assessments",
            y_label="0 none – 10 worst",
            y_min=0,
            y_max=10,
            width=340,
            height=240,
        )
    if any(a.odi_percent is not None for a in view.assessments):
        charts["odi"] = line_chart(
            [Series("Disability (ODI)", [(a.date, a.odi_percent) for a in view.assessments], "%")],
            title="How much the pain gets in the way (ODI)",
            y_label="percent",
            y_min=0,
            y_max=100,
            width=340,
            height=240,
        )
    return charts


# --- learn ---------------------------------------------------------------------------------------


def learn_index(me: Me) -> LearnIndex:
    """The patient's own patterns (with their explanation) and the muscles and structures of their findings.

    From the latest assessment; if it shows no pattern, the patterns of the last assessment that did are
    kept as what the patient has been working on."""
    assessments = me.assessments
    if not assessments:
        return LearnIndex(assessed_on=None, patterns=[], other_topics=[])
    latest = assessments[-1]
    patterns = _learn_patterns(me.kb, latest.analysis)
    shown = {t.id for p in patterns for t in p.topics}
    finding_ids = [f["id"] for f in latest.analysis.get("findings", [])]
    others = [t for t in _finding_topics(me.kb, finding_ids) if t.id not in shown]
    earlier = next((a for a in reversed(assessments[:-1]) if not patterns and _learn_patterns(me.kb, a.analysis)), None)
    return LearnIndex(
        assessed_on=latest.assessed_on,
        patterns=patterns,
        other_topics=others,
        earlier_on=None if earlier is None else earlier.assessed_on,
        earlier=[] if earlier is None else _learn_patterns(me.kb, earlier.analysis),
    )


def _learn_patterns(kb: KnowledgeBase, analysis: dict[str, Any]) -> list[LearnPattern]:
    return [_learn_pattern(kb, p) for p in analysis.get("patterns", []) if p["id"] in kb.pattern]


def _learn_pattern(kb: KnowledgeBase, pattern: dict[str, Any]) -> LearnPattern:
    finding_ids = pattern.get("findings", [])
    topic = Topic(id=pattern["id"], name=kb.pattern[pattern["id"]].name, kind="pattern")
    return LearnPattern(
        id=pattern["id"],
        name=topic.name,
        explanation=pattern.get("explanation", ""),
        findings=[finding_words(kb, f) for f in finding_ids],
        topics=[topic, *_finding_topics(kb, finding_ids)],
    )


def _finding_topics(kb: KnowledgeBase, finding_ids: Sequence[str]) -> list[Topic]:
    """The muscles and structures that findings name, once each, in order."""
    topics: dict[str, Topic] = {}
    for finding_id in finding_ids:
        target = finding_id.split(":")[1] if ":" in finding_id else ""
        if target in kb.muscle:
            topics.setdefault(target, Topic(id=target, name=kb.muscle[target].name, kind="muscle"))
        elif target in kb.structures:
            topics.setdefault(target, Topic(id=target, name=kb.structures[target].name, kind="structure"))
    return list(topics.values())


def finding_words(kb: KnowledgeBase, finding_id: str) -> str:
    """``tight:piriformis:right`` → "Tight or overactive: Piriformis (right)"."""
    kind, _, rest = finding_id.partition(":")
    target, _, side = rest.partition(":")
    label = kb.finding_kinds[kind].name if kind in kb.finding_kinds else kind
    if target in kb.muscle:
        name = kb.muscle[target].name
    elif target in kb.structures:
        name = kb.structures[target].name
    else:
        name = target.replace("_", " ")
    return f"{label}: {name}" + (f" ({side})" if side else "")


def learn_topic(me: Me, topic_id: str) -> LearnTopic:
    """A pattern, muscle or structure of the patient's own analysis, explained; anything else is not found."""
    index = learn_index(me)
    patterns = index.patterns + index.earlier
    topics = {t.id: t for p in patterns for t in p.topics} | {t.id: t for t in index.other_topics}
    topic = topics.get(topic_id)
    if topic is None:
        raise NotFoundError("learn topic", topic_id)
    blocks = [b for b in explain_records(me.kb, topic_id) if b.kind == f"{topic.kind}s"]
    return LearnTopic(
        topic=topic,
        blocks=[
            ExplainedOut(
                title=b.title,
                kind=b.kind,
                sections=[SectionOut(heading=h, lines=lines) for h, lines in b.sections],
                sources=[SourceOut(id=s.id, citation=s.citation, url=s.url, doi=s.doi) for s in b.sources],
            )
            for b in blocks
        ],
    )
