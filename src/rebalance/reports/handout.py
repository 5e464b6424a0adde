"""The printable home program: what a clinician hands a patient, and what a patient prints for themselves.

    handout(kb, program, patient_name, issued_on=..., today=..., clinic=..., version=..., status=..., stops=...)
                                one program version (its document), arranged for paper
    version_handout(kb, record, patient_name, stops, clinic, today)   a stored version's (the web app's)
    case_handout(kb, analysis, patient_name, clinic, today)    an analysis document's (``rebalance handout``)
    handout_pdf(sheet)          the same page as a PDF (``reports.paper``: WeasyPrint, A4)
    reassessment(program, today) when the clinician means to reassess: never a day already past

One page set for paper (``templates/handout.html``): the week at a glance, each exercise with its dose
(and the dose's source), start position, steps, cues and common mistakes, the pain rule and its source,
the program's phases and everyday habits, when the clinician means to reassess, and the warning signs
that mean stopping and getting help, with where to go (the knowledge base's red flags a person can
notice themselves: those of the weekly check-in), and whom to call: the clinic's name and phone
(``Clinic``, from the settings ``REBALANCE_CLINIC_NAME`` and ``REBALANCE_CLINIC_PHONE``; without them the
page leaves a line to write them in). Dates are written as on a letter ("Monday 14 December 2026").
Everything comes from the program document the library built and the knowledge base; nothing here
decides. The web app renders it (``web/templates/handout.html``); ``handout_pdf`` prints the same template.

While the program is stopped (a red flag at the latest assessment, or a check-in since it:
``programs.stops.program_stops``), the handout shows why and where to go, and no exercises. A version
that is not the published one says so at the top: a draft is not to be handed out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from rebalance.config import Settings
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import citation, long_date
from rebalance.programs import pain_rule
from rebalance.programs.build import program_phases
from rebalance.programs.schedule import DAYS
from rebalance.programs.stops import Stop, program_stops
from rebalance.programs.version import DatedVersion, started_on
from rebalance.reasoning.safety import RANK, check_in_questions
from rebalance.reports import paper
from rebalance.reports.cards import ExerciseCard, Guide, exercise_card, exercise_figures, pain_guide

STATUS_NOTES = {
    "draft": "Draft: not approved yet. Do not hand this version out.",
    "approved": "Approved but not yet published to the patient.",
    "superseded": "An earlier version: a newer one has replaced it.",
}
"""What the top of the handout says of a version that is not the published one (by its status)."""


@dataclass(frozen=True)
class Clinic:
    """Whom a patient calls: the clinic's name and phone (the settings ``clinic_name``, ``clinic_phone``)."""

    name: str | None
    phone: str | None

    @classmethod
    def of(cls, name: str | None, phone: str | None) -> Clinic | None:
        """The clinic, or None when neither its name nor its phone is known."""
        return cls(name, phone) if name or phone else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Clinic | None:
        return cls.of(settings.clinic_name, settings.clinic_phone)


class ProgramRecord(DatedVersion, Protocol):
    """A stored program version, as far as the handout reads it (``storage.schemas.ProgramPublic`` fits)."""

    @property
    def document(self) -> dict[str, Any]: ...
    @property
    def version(self) -> int: ...
    @property
    def status(self) -> Enum: ...


@dataclass(frozen=True)
class Exercise:
    card: ExerciseCard
    dose_source: str | None  # the short citation of the dose's source, if it has one


@dataclass(frozen=True)
class WeekRow:
    exercise_id: str
    name: str
    days: list[bool]  # Mon … Sun


@dataclass(frozen=True)
class WarningSign:
    name: str
    meaning: str
    where_to_go: str
    level: str  # the flag's level on its own: emergency first


@dataclass(frozen=True)
class Handout:
    patient_name: str
    version: int | None
    status_note: str | None
    issued_on: str  # when the version was approved, else made: "Monday 14 December 2026"
    reassess_on: str | None  # never a day already past (``reassessment``)
    clinic: Clinic | None
    sessions_per_week: int | None
    minutes_per_session: int | None
    pain_rule: str
    pain_guide: Guide
    stops: list[Stop]
    stop_title: str = "Your program is stopped"  # "No exercises for now" where no program was made
    week: list[WeekRow] = field(default_factory=list)
    minutes_by_day: list[float | None] = field(default_factory=list)  # Mon … Sun
    exercises: list[Exercise] = field(default_factory=list)
    phases: list[dict[str, str]] = field(default_factory=list)
    habits: list[str] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)  # each exercise's SVG, by its id
    warning_signs: list[WarningSign] = field(default_factory=list)
    days: tuple[str, ...] = tuple(DAYS)


def handout(
    kb: KnowledgeBase,
    document: Mapping[str, Any],
    patient_name: str,
    *,
    issued_on: dt.date,
    today: dt.date,
    clinic: Clinic | None = None,
    version: int | None = None,
    status: str | None = None,
    stops: Sequence[Stop] = (),
) -> Handout:
    """The handout of a program (its ``document``, as the library built it) for the patient named
    ``patient_name``: version ``version``, in ``status`` (draft, approved, published, superseded), issued
    on ``issued_on`` (approved, else made), printed ``today``, with whom to call (``clinic``); ``stops``: why
    their program is stopped now, if it is (``programs.stops.program_stops``)."""
    reassess_on = reassessment(document, today)
    base = Handout(
        patient_name=patient_name,
        version=version,
        status_note=None if status is None else STATUS_NOTES.get(status),
        issued_on=long_date(issued_on),
        reassess_on=None if reassess_on is None else long_date(reassess_on),
        clinic=clinic,
        sessions_per_week=document.get("sessions_per_week"),
        minutes_per_session=document.get("minutes_per_session"),
        pain_rule=pain_rule.text(kb),
        pain_guide=pain_guide(kb),
        stops=list(stops),
        stop_title="Your program is stopped" if document.get("items") else "No exercises for now",
        warning_signs=warning_signs(kb),
    )
    if stops:
        return base
    items = document.get("items", [])
    schedule = {day["day"]: day for day in document.get("schedule", [])}
    planned = [{entry["exercise_id"] for entry in schedule.get(day, {}).get("items", [])} for day in DAYS]
    exercises = [Exercise(exercise_card(kb, item), _dose_source(kb, item)) for item in items]
    return dataclasses.replace(
        base,
        week=[WeekRow(item["exercise_id"], _name(item), [item["exercise_id"] in d for d in planned]) for item in items],
        minutes_by_day=[schedule[day].get("minutes") if day in schedule else None for day in DAYS],
        exercises=exercises,
        figures=exercise_figures(kb, [exercise.card for exercise in exercises]),
        phases=program_phases(document),
        habits=[habit["advice"] for habit in document.get("habits", []) if habit.get("advice")],
    )


def version_handout(
    kb: KnowledgeBase, program: ProgramRecord, patient_name: str, stops: Sequence[Stop], clinic: Clinic | None,
    today: dt.date,
) -> Handout:  # fmt: skip
    """The handout of a stored program version (the web app's), issued when it was approved, else made."""
    return handout(kb, program.document, patient_name, issued_on=started_on(program), today=today, clinic=clinic,
                   version=program.version, status=str(program.status.value), stops=stops)  # fmt: skip


@dataclass(frozen=True)
class _Assessed:  # an analysis document as the stop rule reads a stored assessment
    assessed_on: dt.date
    analysis: Mapping[str, Any]
    created_at: dt.datetime | None = None
    document: Mapping[str, Any] = field(default_factory=dict)  # its conditions weigh check-ins: none here


def case_handout(
    kb: KnowledgeBase, analysis: Mapping[str, Any], patient_name: str, clinic: Clinic | None, today: dt.date
) -> Handout:
    """The handout of an analysis document's program (``rebalance handout``), issued ``today``; when its safety
    withholds the program, the stop and where to go, no exercises."""
    assessed = _Assessed(dt.date.fromisoformat(str(analysis["date"])[:10]), analysis)
    program = analysis.get("program") or {}
    stopped = program_stops(kb, assessed, [], started=bool(program))
    return handout(kb, program, patient_name, issued_on=today, today=today, clinic=clinic, stops=stopped)


def reassessment(document: Mapping[str, Any], today: dt.date) -> dt.date | None:
    """The program's reassessment date, or, once that day has passed, its interval from ``today``: a handout
    printed today starts the weeks again, and never names a day already gone."""
    planned = document.get("reassess_on")
    if not planned:
        return None
    day = dt.date.fromisoformat(str(planned)[:10])
    weeks = document.get("reassess_after_weeks")
    if day >= today or not weeks:
        return day if day >= today else None
    return today + dt.timedelta(weeks=int(weeks))


def handout_pdf(sheet: Handout) -> bytes:
    """The handout as a PDF: the web page's template and stylesheet, laid out for A4. Each figure goes in as an
    image of its SVG: WeasyPrint styles every element of an inline SVG as HTML, a quarter of the time."""
    names = {exercise.card.exercise_id: exercise.card.name for exercise in sheet.exercises}
    figures = {
        key: paper.svg_image(svg, f"{names.get(key, '')}: start and end positions")
        for key, svg in sheet.figures.items()
    }
    printed = dataclasses.replace(sheet, figures=figures)
    return paper.pdf(
        paper.render_page("handout.html", {"h": printed, "back": None, "pdf": None}), ["paper.css", "handout.css"]
    )


def _name(item: Mapping[str, Any]) -> str:
    return str(item.get("name", item["exercise_id"]))


def warning_signs(kb: KnowledgeBase) -> list[WarningSign]:
    """The red flags a person can notice themselves (those of the weekly check-in), the most urgent first."""
    signs = []
    for question in check_in_questions(kb):
        flag = kb.red_flags[question["id"]]
        signs.append(WarningSign(flag.name, flag.meaning, flag.where_to_go, flag.urgency_alone))
    return sorted(signs, key=lambda s: -RANK[s.level])


def _dose_source(kb: KnowledgeBase, item: Mapping[str, Any]) -> str | None:
    """The dose's source as a sentence cites it ("ACSM 2021", ``knowledge.words.citation``), if it has one."""
    source_id = (item.get("dosage") or {}).get("source")
    return citation(kb, str(source_id)) if source_id else None
