"""Progress series: pain, ODI, adherence week by week, and left and right at each assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rebalance.api import analyse_case
from rebalance.assessment.models import Case
from rebalance.assessment.parse import read_assessment
from rebalance.knowledge.loader import default
from rebalance.programs.series import progress_series
from tests.conftest import EXAMPLES

FIRST = EXAMPLES / "piriformis_right.yaml"
FOLLOW_UP = EXAMPLES / "followup" / "piriformis_right_week6.yaml"


@dataclass(frozen=True)
class Entry:
    done: bool = True
    pain_during: int | None = None
    pain_next_morning: int | None = None


@dataclass(frozen=True)
class Session:
    performed_on: dt.date
    program_id: int
    entries: list[Entry] = field(default_factory=list)


def analysed(path: Any) -> tuple[Case, dict[str, Any]]:
    case = read_assessment(path, default())
    return case, analyse_case(case, default()).document


def prescribing(days: int) -> dict[str, Any]:
    """A program whose items add up to ``days`` exercise-days a week."""
    return {"items": [{"dosage": {"days_per_week": days}}]}


def test_pain_and_odi_follow_the_assessments_in_date_order() -> None:
    first, follow_up = analysed(FIRST), analysed(FOLLOW_UP)
    series = progress_series(default(), [follow_up, first], [], {}, dt.date(2026, 6, 1))
    at_assessment = series.pain[0]
    assert [p.date for p in at_assessment.points] == [first[0].assessment.date, follow_up[0].assessment.date]
    assert [p.value for p in at_assessment.points] == [
        first[1]["scores"]["pain_now"],
        follow_up[1]["scores"]["pain_now"],
    ]
    assert [p.value for p in series.odi.points] == [
        first[1]["scores"]["odi"]["percent"],
        follow_up[1]["scores"]["odi"]["percent"],
    ]
    assert series.adherence.points == []


def test_each_left_right_measure_is_followed_on_both_sides() -> None:
    first, follow_up = analysed(FIRST), analysed(FOLLOW_UP)
    series = progress_series(default(), [first, follow_up], [], {}, dt.date(2026, 6, 1))
    by_measure = {m.measure: m for m in series.sides}
    rotation = by_measure["hip_internal_rotation.deg"]
    assert rotation.unit == "deg" and rotation.higher_is_better is True
    first_tests, last_tests = first[0].tests["hip_internal_rotation"], follow_up[0].tests["hip_internal_rotation"]
    assert [p.value for p in rotation.left] == [first_tests.sides["left"]["deg"], last_tests.sides["left"]["deg"]]
    assert [p.value for p in rotation.right] == [first_tests.sides["right"]["deg"], last_tests.sides["right"]["deg"]]
    assert "mmt.gluteus_medius" in by_measure
    assert by_measure["mmt.gluteus_medius"].name == "Manual muscle testing (Oxford/MRC 0–5): Gluteus medius"
    assert not any(m.measure.startswith("fair") for m in series.sides)  # yes/no results are not numbers


def test_adherence_is_the_share_of_prescribed_exercise_days_done_week_by_week() -> None:
    monday = dt.date(2026, 5, 4)
    sessions = [
        Session(monday, 1, [Entry(), Entry()]),  # week 1: 2 + 1 + 1 of 7 prescribed
        Session(monday + dt.timedelta(days=2), 1, [Entry(), Entry(done=False)]),
        Session(monday + dt.timedelta(days=3), 1, [Entry()]),
        # week 2: nothing logged
        Session(monday + dt.timedelta(days=14), 1, [Entry()] * 9),  # week 3: more than prescribed
    ]
    today = monday + dt.timedelta(days=20)
    series = progress_series(default(), [], sessions, {1: prescribing(7)}, today)
    assert [(p.date, p.value) for p in series.adherence.points] == [
        (monday, round(100 * 4 / 7, 1)),
        (monday + dt.timedelta(days=7), 0.0),
        (monday + dt.timedelta(days=14), 100.0),
    ]


def test_the_first_and_the_current_week_count_only_their_days() -> None:
    sunday = dt.date(2026, 5, 10)
    sessions = [Session(sunday, 1, [Entry()])]  # one of one prescribed day
    series = progress_series(default(), [], sessions, {1: prescribing(7)}, sunday + dt.timedelta(days=1))
    assert [p.value for p in series.adherence.points] == [100.0, 0.0]


def test_worst_pain_during_each_session_ignores_skipped_exercises() -> None:
    day = dt.date(2026, 5, 4)
    sessions = [Session(day, 1, [Entry(pain_during=2), Entry(done=False, pain_during=8), Entry(pain_during=4)])]
    series = progress_series(default(), [], sessions, {1: prescribing(3)}, day)
    assert [(p.date, p.value) for p in series.pain[1].points] == [(day, 4.0)]
