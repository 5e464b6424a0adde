"""The clinician's progress charts of a patient (``programs.series.ProgressSeries``), as SVG.

    charts(kb, series)      pain (with the pain-monitoring model's acceptable line), ODI, adherence
    side_charts(series)     left and right of each measure taken at two assessments or more
    side_table(series)      every left/right measure at each assessment, as a table

Drawn by ``reports.charts.line_chart``, which escapes every text it draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.series import Line, ProgressSeries
from rebalance.reports.charts import RefLine, Series, line_chart


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str  # the library's SVG: every text it draws escaped


def _series(line: Line, name: str | None = None) -> Series:
    return Series(name or line.name, [(p.date, p.value) for p in line.points], line.unit)


def charts(kb: KnowledgeBase, series: ProgressSeries) -> list[Chart]:
    """The progress charts: pain, ODI, adherence."""
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
                [_series(series.adherence, "sessions done, % of prescribed")],
                title="Adherence, week by week",
                y_label="%",
                y_min=0,
                y_max=100,
            ),
        ),
    ]
    return out


def _better(higher: bool | None) -> str:
    return {True: "higher is better", False: "lower is better", None: ""}[higher]


def side_charts(series: ProgressSeries) -> list[Chart]:
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
        svg = line_chart([left, right], title=title, y_label=measure.unit or "value", height=240)
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
