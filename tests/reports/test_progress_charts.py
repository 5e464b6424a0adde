"""The clinician's progress charts have honest axes: a scale's own limits, a least span for ranges,
adherence over complete weeks only."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from rebalance.knowledge.loader import default
from rebalance.programs.series import Line, Point, ProgressSeries, SideMeasure
from rebalance.reports.progress_charts import axis, charts, complete_weeks, side_charts

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = dt.date(2026, 11, 2)


def y_ticks(svg: str) -> list[float]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return [float(t.text or "") for t in root.iter(f"{SVG}text") if t.get("data-tick") == "y"]


def dates(svg: str, series: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return [c.get("data-date") or "" for c in root.iter(f"{SVG}circle") if c.get("data-series") == series]


def measure(name: str, key: str, unit: str, left: list[float], right: list[float]) -> SideMeasure:
    days = [MONDAY, MONDAY + dt.timedelta(weeks=6)]
    return SideMeasure(
        measure=key,
        name=name,
        unit=unit,
        higher_is_better=True,
        left=[Point(date=d, value=v) for d, v in zip(days, left, strict=True)],
        right=[Point(date=d, value=v) for d, v in zip(days, right, strict=True)],
    )


def series(sides: list[SideMeasure], adherence: list[Point] | None = None) -> ProgressSeries:
    return ProgressSeries(
        pain=[Line(name="Pain at the assessment", unit="/10", points=[Point(date=MONDAY, value=5)])],
        odi=Line(name="ODI", unit="%", points=[]),
        adherence=Line(name="Adherence", unit="%", points=adherence or []),
        sides=sides,
    )


def test_a_muscle_grade_is_drawn_on_its_whole_scale_from_0_to_5() -> None:
    grade = measure("Manual muscle testing: Gluteus medius", "mmt.gluteus_medius", "", [4, 4.5], [3.5, 4])
    (chart,) = side_charts(default(), series([grade]))
    ticks = y_ticks(chart.svg)
    assert (ticks[0], ticks[-1]) == (0, 5)  # never 3 to 7 on a scale that stops at 5


def test_a_range_of_motion_spans_at_least_20_degrees() -> None:
    hip = measure("Hip internal rotation", "hip_internal_rotation.deg", "deg", [46, 47], [47, 48])
    (chart,) = side_charts(default(), series([hip]))
    ticks = y_ticks(chart.svg)
    assert ticks[-1] - ticks[0] >= 20 and ticks[0] <= 46 and ticks[-1] >= 48


def test_the_axis_of_each_kind_of_measure() -> None:
    kb = default()
    assert (axis(kb, "mmt.hamstrings", "").y_min, axis(kb, "mmt.hamstrings", "").y_max) == (0, 5)
    assert axis(kb, "active_slr.score", "").y_max == 10
    assert axis(kb, "side_bridge.seconds", "s").min_span == 20
    assert axis(kb, "modified_thomas.knee_flexion_deg", "deg").min_span == 20
    assert axis(kb, "single_leg_bridge.reps", "") == axis(kb, "dynamometry.quadriceps", "N")  # no scale, no span


def test_adherence_is_drawn_over_complete_weeks_only() -> None:
    today = MONDAY + dt.timedelta(weeks=2, days=1)  # Tuesday of the third week
    weeks = [Point(date=MONDAY + dt.timedelta(weeks=i), value=v) for i, v in enumerate([80.0, 60.0, 0.0])]
    adherence = next(c for c in charts(default(), series([], weeks), today) if c.title == "Adherence")
    drawn = dates(adherence.svg, "prescribed sessions done")
    assert drawn == [MONDAY.isoformat(), (MONDAY + dt.timedelta(weeks=1)).isoformat()]  # not the week under way
    on_sunday = next(
        c for c in charts(default(), series([], weeks), MONDAY + dt.timedelta(days=6)) if c.title == "Adherence"
    )
    assert dates(on_sunday.svg, "prescribed sessions done") == []  # the first week is not over yet


def test_sessions_each_week_counts_whole_weeks_ended_from_the_start_on() -> None:
    thursday = MONDAY + dt.timedelta(days=3)
    week = dt.timedelta(weeks=1)
    # begun on a Thursday: that part week is not a whole one; the week under way (Tuesday) is not over
    assert complete_weeks(thursday, MONDAY + 3 * week + dt.timedelta(days=1)) == [MONDAY + week, MONDAY + 2 * week]
    assert complete_weeks(MONDAY, MONDAY + week) == [MONDAY]  # begun on a Monday: a whole week, ended
    assert complete_weeks(MONDAY, MONDAY + dt.timedelta(days=6)) == []  # Sunday: not ended yet
    assert complete_weeks(thursday, MONDAY + week + dt.timedelta(days=6)) == []
