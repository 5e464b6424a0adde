"""The shapes of the patient's pages and of ``/api/me/...``: what a patient sends, and what they are shown.

Stored things keep their storage schemas (``SessionLogPublic``, ``CheckInPublic``, ``ProgramPublic``);
these are the inputs and the views made of several records and the library's answers.

    in      SessionIn (ExerciseLogged, NextMorning), CheckInIn
    out     Today (ExerciseCard, Stop), LogPage (LogRow), SessionSaved (the library's Feedback), CheckInStatus
            (Question, SafetyResult), CheckInResult, ProgressView, LearnIndex (the library's LearnPage)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from rebalance.programs.feedback import Feedback
from rebalance.programs.logs import ENTRY_RANGES
from rebalance.programs.stops import Stop
from rebalance.reports.cards import ExerciseCard, Guide
from rebalance.reports.learn import LearnPage
from rebalance.storage.schemas import CheckInPublic, SessionLogPublic

LIMITS: dict[str, tuple[int, int]] = {
    **ENTRY_RANGES,
    "effort": (0, 10),
    "pain_during": (0, 10),
    "pain": (0, 10),
    "stiffness": (0, 10),
}
"""Each number a patient logs, lowest and highest: those of the session logs the library reads
(``rebalance.programs.logs.ENTRY_RANGES``), so whatever is stored can be judged by the pain-monitoring model."""


def _number(name: str, description: str) -> Any:
    low, high = LIMITS[name]
    return Field(None, ge=low, le=high, description=f"{description} ({low}–{high})")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- logging a session ---------------------------------------------------------------------------


class ExerciseLogged(_In):
    """One exercise of the session: done or not, the dose reached, and how it felt."""

    exercise_id: str = Field(min_length=1, max_length=100, description="an exercise of the published program")
    done: bool
    sets: int | None = _number("sets", "sets completed")
    reps: int | None = _number("reps", "repetitions in the last set")
    hold_s: int | None = _number("hold_s", "the hold reached, in seconds")
    minutes: int | None = _number("minutes", "minutes done (walking, cycling, swimming, breathing practice)")
    effort: int | None = _number("effort", "how hard it felt")
    pain_during: Annotated[int | None, Field(validate_default=True)] = _number(
        "pain_during", "pain during the exercise, 0 none, 10 the worst imaginable; needed when done"
    )

    @field_validator("pain_during")
    @classmethod
    def _pain_when_done(cls, pain: int | None, info: ValidationInfo) -> int | None:
        if pain is None and info.data.get("done") is True:
            raise ValueError("say how much it hurt during the exercise, from 0 (no pain) to 10")
        return pain


class NextMorning(_In):
    """How the morning after the previous session felt (it shows whether the load was too much)."""

    pain: int | None = _number("pain", "pain that morning")
    stiffness: int | None = _number("stiffness", "stiffness that morning")


class SessionIn(_In):
    """A home session, and how the morning after the previous session felt.

    At least one exercise done, or the morning after: a session with nothing done is not stored.
    """

    performed_on: dt.date | None = Field(
        None, description="the day of the session; default today, never later; a day logged already is replaced"
    )
    entries: list[ExerciseLogged] = Field(default_factory=list, max_length=50)
    next_morning: NextMorning | None = Field(
        None, description="attached to the latest earlier session with an exercise done"
    )


class SessionSaved(_Out):
    """What a log stored: the session (if any exercise was done), the earlier session the morning went to,
    and what the pain-monitoring model now says of each exercise done."""

    log: SessionLogPublic | None
    next_morning_for: SessionLogPublic | None
    feedback: list[Feedback]
    unreadable_note: str | None = Field(
        None, description="plain words when stored sessions could not be read and were left out (never a field path)"
    )


# --- today ---------------------------------------------------------------------------------------


class Today(_Out):
    """Today's exercises from the published program, or why there are none."""

    date: dt.date
    weekday: str
    status: Literal["exercises", "rest_day", "stopped", "no_program"]
    program_version: int | None
    pain_rule: str
    items: list[ExerciseCard]
    stops: list[Stop]
    check_in_due: bool
    logged: list[str] = Field(description="what today's session log holds, in words (empty: nothing logged today)")
    do_less: dict[str, str] = Field(
        default_factory=dict,
        description="exercise id → the step down, for each exercise whose latest session was too much "
        "(until a later session of it is logged); the dose shown is the program's",
    )


# --- the log page --------------------------------------------------------------------------------


class FieldAsked(_Out):
    """One number the form asks of an exercise, in its own unit (``programs.logs.log_fields``)."""

    name: str
    label: str
    low: int
    high: int


class LogRow(_Out):
    """One exercise the log form asks about: minutes for a walk, the hold for a stretch, repetitions for the rest."""

    exercise_id: str
    name: str
    side: str
    dose: str
    do_less: str | None = Field(None, description="the step down, when the latest session of it was too much")
    fields: list[FieldAsked]


class LogPage(_Out):
    """What the log form asks: today's exercises (or all of them on a rest day) and the morning after."""

    date: dt.date
    rows: list[LogRow]
    rest_day: bool
    previous: SessionLogPublic | None = Field(description="the earlier session the morning-after question is about")
    previous_pain: int | None
    previous_stiffness: int | None
    latest: SessionLogPublic | None = Field(description="the latest session of this program version")
    feedback: list[Feedback]
    stops: list[Stop] = Field(description="while the program is stopped, no session is logged")
    pain_guide: Guide
    logged: SessionLogPublic | None = Field(description="the session logged today, if any: the form edits it")
    logged_words: list[str]
    unreadable_note: str | None = Field(
        None, description="plain words when stored sessions could not be read and were left out (never a field path)"
    )


# --- check-ins -----------------------------------------------------------------------------------


class CheckInIn(_In):
    """The weekly red-flag check-in: every question answered, true for yes."""

    answers: dict[str, bool] = Field(description="question id → yes (true) or no (false); every question of GET")


class Question(_Out):
    id: str
    question: str
    category: str


class FlagMessage(_Out):
    id: str
    message: str


class SafetyResult(_Out):
    """The library's reading of a check-in (``safety_for_flags``)."""

    level: Literal["emergency", "urgent", "caution", "clear"]
    message: str
    flags: list[FlagMessage]
    stops_program: bool


class CheckInStatus(_Out):
    """The questions, the latest check-in and its result, and whether the next one is due."""

    questions: list[Question]
    latest: CheckInPublic | None
    latest_result: SafetyResult | None
    due: bool
    due_after_days: int
    pain_rule: str
    stops: list[Stop] = Field(description="why the program is stopped now, if it is (a check-in or an assessment)")


class CheckInResult(_Out):
    check_in: CheckInPublic
    result: SafetyResult


# --- progress ------------------------------------------------------------------------------------


class SessionSummary(_Out):
    date: dt.date
    exercises_done: int
    pain_during: int | None = Field(description="the worst pain during an exercise of the session")
    pain_next_morning: int | None
    stiffness_next_morning: int | None


class WeekCount(_Out):
    week_of: dt.date = Field(description="the Monday")
    sessions: int


class AssessmentScore(_Out):
    date: dt.date
    pain_now: float | None
    odi_percent: float | None


class Adherence(_Out):
    """The library's adherence to the current program version (``programs.progress.adherence``)."""

    sessions_logged: int
    entries_done: int
    entries_prescribed: int
    percent: float | None


class ProgressView(_Out):
    pain_guide: Guide
    sessions: list[SessionSummary]
    weeks: list[WeekCount]
    planned_per_week: int | None
    adherence: Adherence | None
    assessments: list[AssessmentScore]
    unreadable_note: str | None = Field(
        None, description="plain words when stored sessions could not be read and were left out (never a field path)"
    )


# --- learn ---------------------------------------------------------------------------------------


class LearnIndex(_Out):
    """The latest assessment's learn pages (``reports.learn``); when it shows no pattern, the pattern pages
    of the last assessment that did (``earlier``). A page's ``id`` is for its link only."""

    assessed_on: dt.date | None
    pages: list[LearnPage]
    earlier_on: dt.date | None = None
    earlier: list[LearnPage] = []
