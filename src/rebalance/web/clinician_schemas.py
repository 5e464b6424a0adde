"""The clinician API's own shapes: what is computed or combined, not stored.

Stored things are answered with their storage schemas (``AssessmentPublic``, ``ProgramPublic`` ...);
the alerts and the progress series with the library's models (``programs.alerts.Alert``,
``programs.series.ProgressSeries``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rebalance.programs.alerts import Alert
from rebalance.storage.schemas import (
    AssessmentPublic,
    CheckInPublic,
    PatientListItem,
    PatientPublic,
    ProgramPublic,
    SessionLogPublic,
)
from rebalance.storage.types import ProgramStatus, SafetyLevel


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class PatientSummary(PatientListItem):
    """One row of the clinician's patient list, with its alerts."""

    alerts: list[Alert]
    latest_assessment_id: int | None
    published_program_id: int | None


class AssessmentSummary(_Out):
    id: int
    assessed_on: dt.date
    safety_level: SafetyLevel


class ProgramSummary(_Out):
    id: int
    assessment_id: int
    version: int
    status: ProgramStatus
    created_at: dt.datetime


class TimelineEvent(_Out):
    date: dt.date
    kind: Literal["assessment", "program", "session", "check_in"]
    title: str
    detail: str
    level: str | None = Field(None, description="the safety level of an assessment or check-in")


class PatientTimeline(_Out):
    """A patient and everything on their record; ``events`` newest first."""

    patient: PatientPublic
    assessments: list[AssessmentSummary]
    programs: list[ProgramSummary]
    session_logs: list[SessionLogPublic]
    check_ins: list[CheckInPublic]
    events: list[TimelineEvent]


class AssessmentCreated(_Out):
    """The stored assessment with its analysis, and the draft program built from it (None when withheld)."""

    assessment: AssessmentPublic
    program: ProgramPublic | None


class Alternative(_Out):
    """An exercise that may replace a program's exercise."""

    exercise_id: str
    name: str
    intent: str
    difficulty: int
    equipment: list[str]
    addresses: list[str] = Field(description="the replaced item's findings it also addresses")
    why: str


class SwapIn(_In):
    new_exercise_id: str = Field(min_length=1, max_length=100, description="one of the item's alternatives")


class DosageIn(_In):
    """A new dosage for a program item; ``reps`` or ``hold_s`` as the exercise is dosed."""

    sets: int
    reps: int | None = None
    hold_s: int | None = None
    days_per_week: int
