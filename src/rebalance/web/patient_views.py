"""The signed-in patient, whether their program stops, today's exercises and the weekly check-in.

    PatientDep                  the signed-in patient, the database, the knowledge base and today
    stops(me)                   why the program is stopped now (empty: it is not)
    today_view(me)              the published program's exercises for today's weekday, or why there are none
    check_in_status(me)         the questions, the latest check-in and its result, whether one is due
    record_check_in(me, data)   store a check-in with the level the library gives it

The patient's other pages are put together beside it, on ``Me``: logging a session
(``session_views``), progress (``progress_views``), and the learn pages (``learn_views``).

Every judgement is the library's: a check-in's level and what to do (``safety_for_flags``), when the
program stops and when a check-in is due (``programs.stops``); so in the modules beside it. This module
reads, stores and arranges; it never takes a patient id from a request: the patient is the signed-in
user. Only the published program is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from rebalance.errors import NotFoundError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import pain_rule
from rebalance.programs import stops as stop_rule
from rebalance.programs.feedback import LOOKS_AT, do_less
from rebalance.programs.logs import session_words
from rebalance.programs.schedule import DAYS
from rebalance.programs.stops import CHECK_IN_EVERY_DAYS, Stop, check_in_due
from rebalance.reasoning.safety import check_in_questions, withholds_program
from rebalance.reports.cards import Guide, exercises_for_day, pain_guide
from rebalance.storage.repos import assessments, check_ins, programs, session_logs
from rebalance.storage.schemas import (
    AssessmentPublic,
    CheckInCreate,
    CheckInPublic,
    ProgramPublic,
    SessionLogPublic,
    UserPublic,
)
from rebalance.storage.types import SafetyLevel
from rebalance.web.deps import KnowledgeDep, PatientUser, SessionDep, TodayDep
from rebalance.web.patient_schemas import (
    CheckInIn,
    CheckInResult,
    CheckInStatus,
    FlagMessage,
    Question,
    SafetyResult,
    Today,
)

_T = TypeVar("_T")


@dataclass
class Me:
    """The signed-in patient and what their pages are made with; each kind of record is read once a request,
    when first asked for (:meth:`once`). A page reads only what it shows: the today page the latest
    assessment and the recent check-ins (what decides whether the program stops), not the whole history."""

    db: Session
    kb: KnowledgeBase
    user: UserPublic
    day: dt.date
    _read: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def patient_id(self) -> int:
        if self.user.patient_id is None:
            raise NotFoundError("patient", None)
        return self.user.patient_id

    def once(self, name: str, read: Callable[[], _T]) -> _T:
        """``read()`` the first time ``name`` is asked for in this request; what it gave, after."""
        if name not in self._read:
            self._read[name] = read()
        value: _T = self._read[name]
        return value

    def knows(self, name: str) -> bool:
        return name in self._read

    @property
    def program(self) -> ProgramPublic | None:
        """The published program version (never a draft)."""
        return self.once(
            "program", lambda: programs.latest_program(self.db, self.user_id, self.patient_id, published_only=True)
        )

    @property
    def assessments(self) -> list[AssessmentPublic]:
        return self.once("assessments", lambda: assessments.patient_assessments(self.db, self.user_id, self.patient_id))

    @property
    def latest_assessment(self) -> AssessmentPublic | None:
        if self.knows("assessments"):
            return self.assessments[-1] if self.assessments else None
        return self.once(
            "latest_assessment", lambda: assessments.latest_assessment(self.db, self.user_id, self.patient_id)
        )

    @property
    def check_ins(self) -> list[CheckInPublic]:
        return self.once("check_ins", lambda: check_ins.check_ins_for_patient(self.db, self.user_id, self.patient_id))

    @property
    def recent_check_ins(self) -> list[CheckInPublic]:
        """The check-ins that decide whether the program stops and whether one is due
        (``programs.stops.check_ins_that_count_from``: all of them without an assessment)."""
        latest = self.latest_assessment
        start = stop_rule.check_ins_that_count_from(None if latest is None else latest.assessed_on, self.day)
        if self.knows("check_ins") or start is None:
            return self.check_ins
        return self.once(
            "recent_check_ins",
            lambda: check_ins.check_ins_for_patient(self.db, self.user_id, self.patient_id, start=start),
        )

    def logged_on(self, day: dt.date) -> SessionLogPublic | None:
        """The session logged for ``day``, if any (a day has one log: logging it again edits it)."""
        found = self.once(
            f"logged {day}",
            lambda: session_logs.session_logs_for_patient(self.db, self.user_id, self.patient_id, day, day),
        )
        return found[-1] if found else None

    @property
    def sessions(self) -> list[SessionLogPublic]:
        return self.once(
            "sessions", lambda: session_logs.session_logs_for_patient(self.db, self.user_id, self.patient_id)
        )


def patient_context(db: SessionDep, kb: KnowledgeDep, user: PatientUser, day: TodayDep) -> Me:
    me = Me(db, kb, user, day)
    _ = me.patient_id  # a patient user without a record: 404
    return me


PatientDep = Annotated[Me, Depends(patient_context)]


# --- safety: when the program stops --------------------------------------------------------------


def _safety(kb: KnowledgeBase, flag_ids: list[str], assessment: AssessmentPublic | None) -> SafetyResult:
    conditions = stop_rule.conditions_of(kb, assessment.document) if assessment is not None else []
    result = stop_rule.check_in_safety(kb, flag_ids, conditions)
    return SafetyResult(
        level=result["level"],
        message=result["message"],
        flags=[FlagMessage(**flag) for flag in result["flags"]],
        stops_program=withholds_program(result["level"]),
    )


def stops(me: Me) -> list[Stop]:
    """Why the program is stopped now (empty: it is not): the latest assessment, or a check-in since it."""
    return me.once("stops", lambda: stop_rule.program_stops(me.kb, me.latest_assessment, me.recent_check_ins))


def pain_rule_guide(kb: KnowledgeBase) -> Guide:
    """The one pain rule in words (``programs.pain_rule``), with the model's source."""
    return pain_guide(kb).model_copy(update={"text": pain_rule.text(kb)})


def _check_in_due(me: Me) -> bool:
    recent = me.recent_check_ins
    return check_in_due(recent[-1].checked_on if recent else None, me.day)


# --- what the latest sessions say beside a dose ----------------------------------------------------


def recent_of_program(me: Me, program: ProgramPublic) -> list[SessionLogPublic]:
    """The program version's latest sessions (``programs.feedback.LOOKS_AT`` of them), oldest first."""
    return me.once(
        f"recent of {program.id}",
        lambda: session_logs.recent_session_logs(me.db, me.user_id, me.patient_id, LOOKS_AT, program_id=program.id),
    )


def analysis_of(me: Me, program: ProgramPublic) -> dict[str, Any]:
    """The analysis the program was built from, else the latest one (for its baseline pain)."""
    latest = me.latest_assessment
    if latest is not None and latest.id == program.assessment_id:
        return latest.analysis
    chosen = next((a for a in me.assessments if a.id == program.assessment_id), me.latest_assessment)
    return chosen.analysis if chosen is not None else {"scores": {"pain_now": 0}}


def do_less_notes(me: Me, program: ProgramPublic, exercise_ids: list[str]) -> dict[str, str]:
    """Beside each dose whose latest session was too much, the step down the feedback gave
    (``programs.feedback.do_less``): the pages never show a dose the feedback said to do less of, alone."""

    def history() -> list[SessionLogPublic]:
        return [s for s in me.sessions if s.program_id == program.id]

    recent = recent_of_program(me, program)
    return do_less(me.kb, program.document, recent, history, lambda: analysis_of(me, program), exercise_ids)


# --- today ---------------------------------------------------------------------------------------


def today_view(me: Me) -> Today:
    program = me.program
    stopped = stops(me)
    weekday = DAYS[me.day.weekday()]
    items = [] if program is None or stopped else exercises_for_day(me.kb, program.document, weekday)
    logged = me.logged_on(me.day) if program is not None and not stopped else None
    done = [] if logged is None or program is None else [e.model_dump() for e in logged.entries]
    status = "stopped" if stopped else "no_program" if program is None else "exercises" if items else "rest_day"
    return Today(
        date=me.day,
        weekday=weekday,
        status=status,
        program_version=None if program is None else program.version,
        pain_rule=pain_rule.text(me.kb),
        items=items,
        stops=stopped,
        check_in_due=_check_in_due(me),
        logged=session_words(me.kb, program.document, done) if program is not None else [],
        do_less=do_less_notes(me, program, [i.exercise_id for i in items]) if program is not None and items else {},
    )


# --- the weekly check-in -------------------------------------------------------------------------


def questions(kb: KnowledgeBase) -> list[Question]:
    return [Question(**q) for q in check_in_questions(kb)]


def check_in_status(me: Me) -> CheckInStatus:
    latest = me.check_ins[-1] if me.check_ins else None
    return CheckInStatus(
        questions=questions(me.kb),
        latest=latest,
        latest_result=None if latest is None else _safety(me.kb, latest.answers, me.latest_assessment),
        due=_check_in_due(me),
        due_after_days=CHECK_IN_EVERY_DAYS,
        pain_rule=pain_rule.text(me.kb),
        stops=stops(me),
    )


def record_check_in(me: Me, data: CheckInIn) -> CheckInResult:
    """Store the check-in with the level the safety gate gives it with the conditions of the latest assessment
    (``programs.stops.check_in_safety``); urgent or emergency stop the program (see :func:`stops`)."""
    asked = [q.id for q in questions(me.kb)]
    problems = [(("answers", q), "answer yes or no") for q in asked if q not in data.answers]
    problems += [(("answers", k), "not a question of the check-in") for k in data.answers if k not in asked]
    if problems:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": None} for loc, msg in problems]
        )
    yes = [q for q in asked if data.answers[q]]
    result = _safety(me.kb, yes, me.latest_assessment)
    data_in = CheckInCreate(checked_on=me.day, answers=yes, level=SafetyLevel(result.level))
    stored = check_ins.add_check_in(me.db, me.user_id, me.patient_id, data_in)
    return CheckInResult(check_in=stored, result=result)
