"""The clinician's progress charts of a patient (``programs.series.ProgressSeries``), as SVG.

    charts(kb, series, today)  pain (with the pain-monitoring model's acceptable line), ODI, adherence
                               over complete weeks (the week under way is not drawn as a low share)
    side_charts(kb, series)    left and right of each measure taken at two assessments or more, on the
                               scale's own limits (a muscle grade 0-5) or an axis of a least span
                               (a range of motion at least 20°), so a small change is drawn small
    side_table(series)      every left/right measure at each assessment, as a table
    complete_weeks(started, today)  the Mondays of the whole weeks from ``started`` that have ended by
                               ``today`` (the patient's "Sessions each week": no part week drawn low)

Drawn by ``reports.charts.line_chart``, which escapes every text it draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.series import Line, Point, ProgressSeries
from rebalance.reports.charts import RefLine, Series, line_chart


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str  # the library's SVG: every text it draws escaped


def _series(line: Line, name: str | None = None) -> Series:
    return Series(name or line.name, [(p.date, p.value) for p in line.points], line.unit)


SCALE_TOP = 10.0
"""A unitless field whose whole range is 0 to at most this is a grade or a score (MRC 0-5, the active
straight-leg raise 0-10): its chart runs over that whole scale."""
MIN_SPAN = {"deg": 20.0, "s": 20.0, "mm": 10.0, "%": 20.0}
"""The least a measure's axis spans, by unit (rebalance's convention for drawing, not a clinical
threshold): 1° between two visits is drawn as 1° in 20."""


WEEK = dt.timedelta(days=7)


def ended(monday: dt.date, today: dt.date) -> bool:
    """The week starting on ``monday`` has ended by ``today``: the one rule for a chart's complete weeks."""
    return monday + WEEK <= today


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def complete_weeks(started: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays of the whole weeks from ``started`` on that have ended by ``today`` (:func:`ended`): the
    part week begun on ``started`` (unless a Monday) and the week under way are not drawn as low ones."""
    week, out = monday(started) if started.weekday() == 0 else monday(started) + WEEK, []
    while ended(week, today):
        out.append(week)
        week += WEEK
    return out


def _complete_weeks(line: Line, today: dt.date) -> list[Point]:
    """The weeks (by their Monday) that have ended by ``today``."""
    return [p for p in line.points if ended(p.date, today)]


def charts(kb: KnowledgeBase, series: ProgressSeries, today: dt.date) -> list[Chart]:
    """The progress charts: pain, ODI, adherence (complete weeks)."""
    acceptable = kb.criterion["pain_monitoring_acceptable"].value
    odi_mic = kb.criterion["odi_mic"].value
    out = [
        Chart(
            "Pain",
            line_chart(
                [_series(line) for line in series.pain],
                title="Pain",
                y_label="pain (0-10)",
                y_min=0,
                y_max=10,
                reference=[RefLine(acceptable, f"{acceptable:g}/10: most pain acceptable during exercise")],
            ),
        ),
        Chart(
            "Disability (ODI)",
            line_chart(
                [_series(series.odi, "ODI %")],
                title=f"Disability (ODI) — an important change is {odi_mic:g} points",
                y_label="ODI %",
                y_min=0,
                y_max=100,
            ),
        ),
        Chart(
            "Adherence",
            line_chart(
                [
                    Series(
                        "prescribed sessions done",
                        [(p.date, p.value) for p in _complete_weeks(series.adherence, today)],
                        "%",
                    )
                ],
                title="Adherence, complete weeks",
                y_label="%",
                y_min=0,
                y_max=100,
            ),
        ),
    ]
    return out


def _better(higher: bool | None) -> str:
    return {True: "higher is better", False: "lower is better", None: ""}[higher]


@dataclass(frozen=True)
class Axis:
    y_min: float | None = None
    y_max: float | None = None
    min_span: float = 0.0


def axis(kb: KnowledgeBase, measure: str, unit: str) -> Axis:
    """The value axis of a left/right measure (``test.field`` or ``test.muscle``): a grade's or a
    score's own limits, else the least span of its unit (none for a unit without one)."""
    test_id, rest = measure.split(".", 1)
    test = kb.test.get(test_id)
    fields = [f for f in test.fields if f.name == rest or test.layout == "per_muscle"] if test else []
    field = fields[0] if fields else None
    scale = field is not None and field.unit is None and field.min == 0 and field.max is not None
    if field is not None and field.max is not None and scale and field.max <= SCALE_TOP:
        return Axis(0.0, float(field.max))
    return Axis(min_span=MIN_SPAN.get(unit, 0.0))


def side_charts(kb: KnowledgeBase, series: ProgressSeries) -> list[Chart]:
    """A chart of left and right for each measure taken at two assessments or more."""
    out = []
    for measure in series.sides:
        dated = {p.date for p in [*measure.left, *measure.right] if p.value is not None}
        if len(dated) < 2:
            continue
        left = Series("left", [(p.date, p.value) for p in measure.left], measure.unit)
        right = Series("right", [(p.date, p.value) for p in measure.right], measure.unit)
        better = _better(measure.higher_is_better)
        title = f"{measure.name}{f' ({better})' if better else ''}"
        a = axis(kb, measure.measure, measure.unit)
        label = measure.unit or "value"
        svg = line_chart(
            [left, right], title=title, y_label=label, y_min=a.y_min, y_max=a.y_max, min_span=a.min_span, height=240
        )
        out.append(Chart(title, svg))
    return out


@dataclass(frozen=True)
class SideRow:
    name: str
    unit: str
    better: str
    values: list[tuple[float | None, float | None]]  # (left, right) at each assessment


def side_table(series: ProgressSeries) -> tuple[list[dt.date], list[SideRow]]:
    """Every left/right measure at each assessment, as a table (dates, rows)."""
    dates = sorted({p.date for m in series.sides for p in m.left})
    rows = []
    for m in series.sides:
        left = {p.date: p.value for p in m.left}
        right = {p.date: p.value for p in m.right}
        values = [(left.get(d), right.get(d)) for d in dates]
        rows.append(SideRow(m.name, m.unit, _better(m.higher_is_better), values))
    return dates, rows
