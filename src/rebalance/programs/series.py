"""Progress over time, as series a chart can draw: pain, ODI, adherence, left and right measures.

``progress_series(kb, assessments, sessions, programs, today)`` follows a patient from assessment to
assessment and session to session:

    pain        the pain rating at each assessment, and the worst pain during exercise of each session
    odi         the Oswestry Disability Index (percent) at each assessment
    adherence   each week (from its Monday): the exercise sessions done as a share of those the
                program in force prescribed (the sum of its items' days a week, as
                :func:`rebalance.programs.progress.adherence`); the first week counts from the first
                session, the current one up to today
    sides       every measurement taken on both sides (test, field or muscle), left and right at each
                assessment, keyed as in :func:`rebalance.programs.outcomes.numbers`

A value of None is a gap: a questionnaire not filled in, a side not measured, a week without a program.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.alerts import LoggedSession
from rebalance.programs.outcomes import higher_is_better, numbers

SIDES = ("left", "right")


class ProgramSession(LoggedSession, Protocol):
    """A logged session and the program version it was done for."""

    @property
    def program_id(self) -> int: ...


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Point(_Out):
    date: dt.date
    value: float | None


class Line(_Out):
    """One named series of values over dates."""

    name: str
    unit: str
    points: list[Point]


class SideMeasure(_Out):
    """One measurement taken on both sides, left and right at each assessment."""

    measure: str = Field(description="test.field or test.muscle, e.g. side_bridge.seconds")
    name: str
    unit: str
    higher_is_better: bool | None
    left: list[Point]
    right: list[Point]


class ProgressSeries(_Out):
    pain: list[Line] = Field(description="pain at each assessment; worst pain during exercise of each session")
    odi: Line
    adherence: Line = Field(description="percent of the prescribed exercise sessions done, week by week")
    sides: list[SideMeasure]


def progress_series(
    kb: KnowledgeBase,
    assessments: Sequence[tuple[Case, dict[str, Any]]],
    sessions: Sequence[ProgramSession],
    programs: Mapping[int, dict[str, Any]],
    today: dt.date,
) -> ProgressSeries:
    """The patient's series; ``assessments`` as (validated case, analysis document), ``programs`` by id."""
    ordered = sorted(assessments, key=lambda pair: pair[0].assessment.date)
    logged = sorted(sessions, key=lambda s: s.performed_on)
    dates = [case.assessment.date for case, _ in ordered]
    pain_during = [Point(date=s.performed_on, value=_worst_pain(s)) for s in logged]
    return ProgressSeries(
        pain=[
            Line(
                name="Pain at the assessment",
                unit="/10",
                points=[
                    Point(date=d, value=doc["scores"]["pain_now"]) for d, (_, doc) in zip(dates, ordered, strict=True)
                ],
            ),
            Line(name="Worst pain during exercise", unit="/10", points=pain_during),
        ],
        odi=Line(
            name="ODI",
            unit="%",
            points=[
                Point(date=d, value=(doc["scores"].get("odi") or {}).get("percent"))
                for d, (_, doc) in zip(dates, ordered, strict=True)
            ],
        ),
        adherence=Line(name="Adherence", unit="%", points=_adherence(logged, programs, today)),
        sides=_sides(kb, ordered),
    )


def _worst_pain(session: LoggedSession) -> float | None:
    pains = [e.pain_during for e in session.entries if e.done and e.pain_during is not None]
    return float(max(pains)) if pains else None


# adherence


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _prescribed(program: dict[str, Any] | None) -> int:
    return sum(int(i["dosage"]["days_per_week"]) for i in (program or {}).get("items", []))


def _adherence(logged: list[ProgramSession], programs: Mapping[int, dict[str, Any]], today: dt.date) -> list[Point]:
    if not logged:
        return []
    points = []
    first = logged[0].performed_on
    week, program = _monday(first), None
    while week <= today:
        end = week + dt.timedelta(days=7)
        in_week = [s for s in logged if week <= s.performed_on < end]
        if in_week:
            program = programs.get(in_week[-1].program_id)
        days = (min(end - dt.timedelta(days=1), today) - max(week, first)).days + 1  # the first and current weeks: part
        prescribed = _prescribed(program) * days / 7
        done = sum(1 for s in in_week for e in s.entries if e.done)
        value = round(min(100.0, 100 * done / prescribed), 1) if prescribed else None
        points.append(Point(date=week, value=value))
        week = end
    return points


# left and right


def _label(kb: KnowledgeBase, measure: str, cases: list[Case]) -> tuple[str, str]:
    test_id, rest = measure.split(".", 1)
    test = kb.test[test_id]
    if test.layout == "per_muscle":
        muscle = kb.muscle[rest].name if rest in kb.muscle else rest.replace("_", " ")
        units = [c.tests[test_id].muscles.get(rest, {}).get("unit") for c in cases if test_id in c.tests]
        unit = next((u for u in reversed(units) if u), test.fields[0].unit or "")
        return f"{test.name}: {muscle}", str(unit)
    field = next(f for f in test.fields if f.name == rest)
    numeric = [f for f in test.fields if f.type in ("number", "integer", "sided_number")]
    words = re.sub(r" (deg|s|mm|pct)$", "", field.name.replace("_", " "))  # the unit is said apart
    name = test.name if len(numeric) == 1 else f"{test.name}: {words}"
    return name, field.unit or ""


def _sides(kb: KnowledgeBase, ordered: list[tuple[Case, dict[str, Any]]]) -> list[SideMeasure]:
    measured = [
        (case.assessment.date, {k: v for e in case.tests.values() for k, v in numbers(e).items()})
        for case, _ in ordered
    ]
    bases = sorted({k.rsplit(".", 1)[0] for _, values in measured for k in values if k.rsplit(".", 1)[-1] in SIDES})
    cases = [case for case, _ in ordered]
    out = []
    for base in bases:
        name, unit = _label(kb, base, cases)
        out.append(
            SideMeasure(
                measure=base,
                name=name,
                unit=unit,
                higher_is_better=higher_is_better(kb, f"{base}.left"),
                left=[Point(date=d, value=values.get(f"{base}.left")) for d, values in measured],
                right=[Point(date=d, value=values.get(f"{base}.right")) for d, values in measured],
            )
        )
    return out
