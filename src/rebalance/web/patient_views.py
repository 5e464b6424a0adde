"""The signed-in patient, whether their program stops, today's exercises and the weekly check-in.

    PatientDep                  the signed-in patient, the database, the knowledge base and today
    stops(me)                   why the program is stopped now (empty: it is not)
    today_view(me)              the published program's exercises for today's weekday, or why there are none
    check_in_status(me)         the questions, the latest check-in and its result, whether one is due
    record_check_in(me, data)   store a check-in with the level the library gives it

The patient's other pages are put together beside it, on ``Me``: logging a session
(``session_views``), progress (``progress_views``), and the learn pages (``learn_views``).

Every judgement is the library's: a check-in's level and what to do (``safety_for_flags``), whether a
level stops the program (``withholds_program``); so in the modules beside it. This module reads, stores
and arranges; it never takes a patient id from a request: the patient is the signed-in user. Only the
published program is shown.

The program stops (no exercises today, no sessions logged) while the latest assessment's safety level
withholds it, or a check-in since that assessment came out urgent or emergency: a later check-in with no
warning sign does not undo it, a new assessment does (the clinician has seen the person since).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from markupsafe import Markup
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.programs.build import PAIN_RULE
from rebalance.programs.schedule import DAYS
from rebalance.reasoning.safety import check_in_questions, safety_for_flags, since_assessment, withholds_program
from rebalance.reports.figure import pose_figure
from rebalance.reports.text import dose_text
from rebalance.storage import auth_repo, repo
from rebalance.storage.auth_repo import CheckInCreate, CheckInPublic
from rebalance.storage.page_state import PageState
from rebalance.storage.schemas import (
    AssessmentPublic,
    ProgramPublic,
    SessionLogPublic,
    UserPublic,
)
from rebalance.storage.types import Role, SafetyLevel
from rebalance.web import security
from rebalance.web.deps import Deferred, SessionDep, WebContext, signed_in_as
from rebalance.web.errors import NotAuthenticatedError
from rebalance.web.page_cache import remembered
from rebalance.web.patient_schemas import (
    CheckInIn,
    CheckInResult,
    CheckInStatus,
    ExerciseToday,
    FlagMessage,
    Question,
    SafetyResult,
    Stop,
    Today,
)
from rebalance.web.security import SignedIn

CHECK_IN_EVERY_DAYS = 7
"""A check-in is due when the last one is more than this many days old (or there is none): weekly."""


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
    return stops_of(me.kb, me.latest_assessment, me.recent_check_ins)


def stops_of(kb: KnowledgeBase, assessment: AssessmentPublic | None, check_ins: Sequence[CheckInPublic]) -> list[Stop]:
    """Why a patient's program is stopped, from their latest assessment and their check-ins (any of them:
    those answered before the assessment do not count)."""
    found = []
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
    since = [c for c in check_ins if assessment is None or _after(c, assessment)]
    stopping = [c for c in since if withholds_program(c.level)]
    if stopping:
        check_in = stopping[-1]
        result = _safety(kb, check_in.answers)
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
        exercise_card(kb, items[entry["exercise_id"]], entry.get("seconds"))
        for entry in day["items"]
        if entry["exercise_id"] in items
    ]


def exercise_card(kb: KnowledgeBase, item: dict[str, Any], seconds: float | None = None) -> ExerciseToday:
    """A program item with everything needed to do it well (the exercise's record), and how long it takes."""
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


def exercise_figures(kb: KnowledgeBase, items: Iterable[ExerciseToday]) -> dict[str, Markup]:
    """Each exercise's start and end positions as an inline SVG, by its id, for those the knowledge base has."""
    known = [item for item in items if item.exercise_id in kb.exercise]
    return {item.exercise_id: _figure(kb, item.exercise_id, item.name) for item in known}


@functools.lru_cache(maxsize=512)
def _figure(kb: KnowledgeBase, exercise_id: str, title: str) -> Markup:
    """Drawn once per exercise and process (``reports.figure``, our own escaped output): it depends only on
    the knowledge base."""
    return Markup(pose_figure(kb.exercise[exercise_id].pose, title=title))  # noqa: S704


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
