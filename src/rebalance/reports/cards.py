"""What a person reads of an exercise of their program, and of the rule that keeps the pain in check.

    exercise_card(kb, item, seconds)   a program item with everything needed to do it well
    side_words(kb, item)               "left side", "both sides", or "" for an exercise with no sides
    exercises_for_day(kb, program, weekday)   the cards of the program's exercises on one day of its week
    exercise_figures(kb, cards)        each exercise's start and end positions, drawn (SVG text)
    pain_guide(kb)                     the pain-monitoring model in words, with its source

Everything comes from the program document the library built and the knowledge base; nothing here
decides. The today page, the log page, the printable handout and the JSON API show these.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import citation, side_noun
from rebalance.reports.figure import pose_figure
from rebalance.reports.text import dose_text


class ExerciseCard(BaseModel):
    """One exercise of the program, with everything needed to do it well."""

    model_config = ConfigDict(frozen=True)

    exercise_id: str
    name: str
    intent: str
    side: str = Field(description="right, left or both")
    where: str = Field("", description="the side in words: 'left side', 'both sides'; '' when the exercise has none")
    extra_set_side: str | None = Field(None, description="one extra set on this (weaker) side")
    dose: str
    dosage: dict[str, Any]
    minutes: float | None = Field(None, description="about how long it takes today")
    why: str
    start: str
    steps: list[str]
    cues: list[str]
    mistakes: list[str]
    equipment: list[str]


class Guide(BaseModel):
    """A rule of thumb from the knowledge base, with its source (shown to the patient)."""

    model_config = ConfigDict(frozen=True)

    text: str
    source: str = Field(description="short: first author and year")
    citation: str = Field(description="the source in full")


def exercise_card(kb: KnowledgeBase, item: Mapping[str, Any], seconds: float | None = None) -> ExerciseCard:
    """A program item with the exercise's record (start, steps, cues, mistakes, equipment), and how long
    it takes on a day (``seconds``, from the program's schedule)."""
    exercise = kb.exercise.get(item["exercise_id"])
    equipment = exercise.equipment if exercise else []
    return ExerciseCard(
        exercise_id=item["exercise_id"],
        name=item.get("name") or (exercise.name if exercise else item["exercise_id"]),
        intent=item.get("intent", ""),
        side=item.get("side", "both"),
        where=side_words(kb, item),
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


def side_words(kb: KnowledgeBase, item: Mapping[str, Any]) -> str:
    """Where a program item is done, in words: "left side", "both sides", or "" for an exercise that is not
    one-sided (breathing, bracing, walking), whose item the program marks "both" all the same."""
    exercise = kb.exercise.get(item["exercise_id"])
    side = item.get("side", "both")
    if exercise is not None and not exercise.unilateral:
        return ""
    return side_noun(side)


def exercises_for_day(kb: KnowledgeBase, program: Mapping[str, Any], weekday: str) -> list[ExerciseCard]:
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


def exercise_figures(kb: KnowledgeBase, cards: Iterable[ExerciseCard]) -> dict[str, str]:
    """Each exercise's start and end positions as inline SVG (``reports.figure``: every text escaped), by
    its id, for those the knowledge base has; a one-sided exercise's drawn for the side the program gives it."""
    return {
        card.exercise_id: exercise_figure(kb, card.exercise_id, card.name, card.side)
        for card in cards
        if card.exercise_id in kb.exercise
    }


@functools.lru_cache(maxsize=512)
def exercise_figure(kb: KnowledgeBase, exercise_id: str, title: str, side: str | None) -> str:
    """One exercise's figure (``pose_figure``), drawn once a process for each knowledge base, title and side:
    a figure depends on nothing else. Earned by the clinic-day bench: drawing them was most of the today
    page's time, the most frequent request (``bench/README.md``)."""
    return pose_figure(kb.exercise[exercise_id].pose, title=title, side=side)


def pain_guide(kb: KnowledgeBase) -> Guide:
    """The pain-monitoring model in words (``criteria.yaml``), and its source."""
    criterion = kb.criterion["pain_monitoring_acceptable"]
    source_id = str(criterion.source or "")
    source = kb.sources.get(source_id)
    full = source.citation if source else source_id
    return Guide(text=criterion.summary, source=citation(kb, source_id), citation=full)
