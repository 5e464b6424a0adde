"""The printable home program: what a clinician hands a patient, and what a patient prints for themselves.

    handout(kb, program, patient_name, issued_on=..., version=..., status=..., stops=...)
                                one program version (its document), arranged for paper

One page set for paper (``templates/handout.html``): the week at a glance, each exercise with its dose
(and the dose's source), start position, steps, cues and common mistakes, the pain rule and its source,
the program's phases and everyday habits, when the clinician means to reassess, and the warning signs
that mean stopping and getting help, with where to go (the knowledge base's red flags a person can
notice themselves: those of the weekly check-in). Everything comes from the program document the library
built and the knowledge base; nothing here decides. The web app renders it (``web/templates/handout.html``).

While the program is stopped (a red flag at the latest assessment, or a check-in since it:
``programs.stops.program_stops``), the handout shows why and where to go, and no exercises. A version
that is not the published one says so at the top: a draft is not to be handed out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs import pain_rule
from rebalance.programs.schedule import DAYS
from rebalance.programs.stops import Stop
from rebalance.reasoning.safety import RANK, check_in_questions
from rebalance.reports.cards import ExerciseCard, Guide, exercise_card, exercise_figures, pain_guide, short_citation

STATUS_NOTES = {
    "draft": "Draft: not approved yet. Do not hand this version out.",
    "approved": "Approved but not yet published to the patient.",
    "superseded": "An earlier version: a newer one has replaced it.",
}
"""What the top of the handout says of a version that is not the published one (by its status)."""


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
    issued_on: dt.date  # when the version was approved, else made
    reassess_on: str | None
    sessions_per_week: int | None
    minutes_per_session: int | None
    pain_rule: str
    pain_guide: Guide
    stops: list[Stop]
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
    version: int | None = None,
    status: str | None = None,
    stops: Sequence[Stop] = (),
) -> Handout:
    """The handout of a program (its ``document``, as the library built it) for the patient named
    ``patient_name``: version ``version``, in ``status`` (draft, approved, published, superseded), issued
    on ``issued_on`` (approved, else made); ``stops``: why their program is stopped now, if it is
    (``programs.stops.program_stops``)."""
    base = Handout(
        patient_name=patient_name,
        version=version,
        status_note=None if status is None else STATUS_NOTES.get(status),
        issued_on=issued_on,
        reassess_on=document.get("reassess_on"),
        sessions_per_week=document.get("sessions_per_week"),
        minutes_per_session=document.get("minutes_per_session"),
        pain_rule=pain_rule.text(kb),
        pain_guide=pain_guide(kb),
        stops=list(stops),
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
        phases=[{key: str(value) for key, value in phase.items()} for phase in document.get("phases", [])],
        habits=[habit["advice"] for habit in document.get("habits", []) if habit.get("advice")],
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
    source_id = (item.get("dosage") or {}).get("source")
    if not source_id:
        return None
    source = kb.sources.get(source_id)
    return short_citation(source.citation) if source else str(source_id)
