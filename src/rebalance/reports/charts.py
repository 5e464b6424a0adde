"""Progress charts as self-contained, accessible SVG: no scripts, no external resources.

``line_chart`` draws values over dates: pain, ODI %, side-bridge seconds per side, adherence.
Each series has its own colour (Okabe-Ito, safe for colour-blind readers), dash style and marker
fill, so the chart still reads in greyscale. A ``None`` value leaves a gap in the line. Optional
reference lines (a minimal important change, LSI 90 %) are drawn dashed with their label.

Every point is a ``<circle>`` with a ``<title>`` ("pain — 2025-03-03: 6 /10") and ``data-series``,
``data-date``, ``data-value``; the chart's ``<desc>`` gives each series' first and last value.
Same input → same string.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

__all__ = ["RefLine", "Series", "line_chart"]


@dataclass(frozen=True)
class Series:
    """One named line: (date, value) points; a value of None is a gap."""

    name: str
    points: list[tuple[date, float | None]]
    unit: str = ""


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference line, e.g. a minimal important change or LSI 90 %."""

    value: float
    label: str


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str  # SVG stroke-dasharray; "" for a solid line
    hollow: bool  # hollow markers alternate with filled ones


COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 2", "1 2", "12 3 2 3 2 3")
STYLES = tuple(Style(c, d, i % 2 == 1) for i, (c, d) in enumerate(zip(COLOURS, DASHES, strict=True)))

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK, MUTED, GRID, REF = "#222222", "#555555", "#e4e4e4", "#6b6b6b"
MAX_DATE_LABELS = 8
CHAR_WIDTH = 0.6  # of the font size: a safe estimate of one character's width
LEGEND_ROW = 18


@dataclass(frozen=True)
class Frame:
    """The plot area in page coordinates and the data ranges it shows."""

    left: float
    right: float
    top: float
    bottom: float
    d0: int  # date ordinals at the left and right edges
    d1: int
    y0: float
    y1: float

    def x(self, day: date) -> float:
        inset = 10.0
        span = max(self.d1 - self.d0, 1)
        return self.left + inset + (day.toordinal() - self.d0) / span * (self.right - self.left - 2 * inset)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)


# --- numbers and text ----------------------------------------------------------------------------


def fmt(value: float, places: int = 3) -> str:
    """Compact: 6, 0.3, 42.25, -1.5 (never 0.30000000000000004 or -0)."""
    text = f"{round(value, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _c(value: float) -> str:
    """A coordinate."""
    return fmt(value, 1)


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _attrs(**values: object) -> str:
    return "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for k, v in values.items())


def _with_unit(value: float, unit: str) -> str:
    return f"{fmt(value)} {unit}" if unit else fmt(value)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month(d: date) -> str:
    """English month names whatever the server's locale, so the output never changes."""
    return MONTHS[d.month - 1]


def _day(d: date) -> str:
    return f"{d.day} {_month(d)} {d.year}"


# --- scales --------------------------------------------------------------------------------------


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def _spread(lo: float, hi: float, span: float, floor: float | None) -> tuple[float, float]:
    """``lo`` to ``hi`` widened about their middle to at least ``span``, kept above ``floor``."""
    if hi - lo >= span:
        return lo, hi
    middle = (lo + hi) / 2
    lo, hi = middle - span / 2, middle + span / 2
    if floor is not None and lo < floor:
        lo, hi = floor, floor + span
    return lo, hi


def _y_range(
    values: list[float], y_min: float | None, y_max: float | None, min_span: float = 0.0
) -> tuple[float, float, float]:
    """(low, high, tick step): the caller's limits as given, the rest rounded out to a tick; an axis not
    fixed at both ends spans at least ``min_span`` about the data (never below 0 for data that is not)."""
    lo = y_min if y_min is not None else min(values)
    hi = y_max if y_max is not None else max(values)
    if min_span and (y_min is None or y_max is None):
        floor = y_min if y_min is not None else (0.0 if min(values) >= 0 else None)
        lo, hi = _spread(lo, hi, min_span, floor)
        if y_max is not None and hi > y_max:
            lo, hi = max(y_max - min_span, floor if floor is not None else -math.inf), y_max
    if hi <= lo:
        if y_min is not None and y_max is not None:
            raise ValueError(f"y_max ({y_max}) must be greater than y_min ({y_min})")
        pad = 2 * 10.0 ** math.floor(math.log10(abs(lo))) if lo else 1.0  # one value: 6 → 4 to 8
        lo, hi = (lo - pad if y_min is None else lo), (hi + pad if y_max is None else hi)
    if y_min is None and min(values) >= 0:
        lo = max(lo, 0.0)  # counts, seconds, scores: no negative axis for data that cannot be negative
    step = _nice_step(hi - lo)
    if y_min is None:
        lo = math.floor(lo / step + 1e-9) * step
    if y_max is None:
        hi = math.ceil(hi / step - 1e-9) * step
    return lo, hi, step


def _y_ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_ticks(d0: date, d1: date, step: int) -> list[date]:
    tick = _add_months(date(d0.year, d0.month, 1), 0 if d0.day == 1 else 1)
    tick = _add_months(tick, -(tick.month - 1) % step)  # align to January, April … for step 3
    ticks: list[date] = []
    while tick <= d1:
        if tick >= d0:
            ticks.append(tick)
        tick = _add_months(tick, step)
    return ticks


def _candidates(d0: date, d1: date) -> list[tuple[list[date], str]]:
    """Tick dates from finest to coarsest, each with its kind of label."""
    span = (d1 - d0).days
    out: list[tuple[list[date], str]] = []
    for days in (1, 2, 3, 7, 14):
        if span // days < MAX_DATE_LABELS:
            out.append(([d0 + timedelta(days=k) for k in range(0, span + 1, days)], "day"))
    for months in (1, 2, 3, 6):
        out.append((_month_ticks(d0, d1, months), "month"))
    for years in (1, 2, 5, 10, 20, 50, 100):
        starts = [date(y, 1, 1) for y in range(d0.year, d1.year + 1) if y % years == 0]
        out.append(([d for d in starts if d >= d0], "year"))
    return out


def _date_label(d: date, kind: str, first: bool, previous: date | None) -> str:
    if kind == "year":
        return str(d.year)
    new_year = first or (previous is not None and previous.year != d.year)
    if kind == "month":
        return f"{_month(d)} {d.year}" if new_year else _month(d)
    return _day(d) if new_year else f"{d.day} {_month(d)}"


def _labelled(ticks: list[date], kind: str) -> list[tuple[date, str]]:
    return [(d, _date_label(d, kind, i == 0, ticks[i - 1] if i else None)) for i, d in enumerate(ticks)]


def _date_ticks(frame: Frame, d0: date, d1: date, size: float) -> list[tuple[date, str]]:
    """The finest ticks from d0 to d1 whose labels fit side by side (at most MAX_DATE_LABELS)."""
    for ticks, kind in _candidates(d0, d1):
        if not ticks or len(ticks) > MAX_DATE_LABELS:
            continue
        labels = _labelled(ticks, kind)
        gaps = [frame.x(b) - frame.x(a) for (a, _), (b, _) in pairwise(labels)]
        widest = max(_text_width(text, size) for _, text in labels)
        if all(gap >= widest + 8 for gap in gaps):
            return labels
    return _labelled([d0], "day")


# --- drawing -------------------------------------------------------------------------------------


def _segments(points: Sequence[tuple[date, float | None]]) -> list[list[tuple[date, float]]]:
    """Runs of consecutive points with values; a None ends a run."""
    runs: list[list[tuple[date, float]]] = [[]]
    for day, value in sorted(points, key=lambda p: p[0]):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((day, value))
    return [run for run in runs if run]


def _series(frame: Frame, series: Series, style: Style, clip: str) -> str:
    segments = _segments(series.points)
    count = sum(len(run) for run in segments)
    r = 3.0 if count <= 60 else 1.8
    dash = {"stroke_dasharray": style.dash} if style.dash else {}
    lines = "".join(
        f"<polyline{_attrs(points=' '.join(f'{_c(frame.x(d))},{_c(frame.y(v))}' for d, v in run))}"
        f' fill="none" stroke="{style.colour}" stroke-width="2" stroke-linejoin="round"'
        f"{_attrs(**dash, data_series=series.name)}/>"
        for run in segments
        if len(run) > 1
    )
    fill = "#ffffff" if style.hollow else style.colour
    dots = "".join(
        f'<circle cx="{_c(frame.x(d))}" cy="{_c(frame.y(v))}" r="{_c(r)}" fill="{fill}" stroke="{style.colour}" '
        f'stroke-width="1.5"{_attrs(data_series=series.name, data_date=d.isoformat(), data_value=fmt(v))}>'
        f"<title>{escape(f'{series.name} — {d.isoformat()}: {_with_unit(v, series.unit)}')}</title></circle>"
        for run in segments
        for d, v in run
    )
    return f'<g clip-path="url(#{clip})"{_attrs(data_series=series.name)}>{lines}{dots}</g>'


def _y_axis(frame: Frame, step: float, y_label: str) -> str:
    parts = []
    for value in _y_ticks(frame.y0, frame.y1, step):
        y = _c(frame.y(value))
        parts.append(
            f'<line x1="{_c(frame.left)}" x2="{_c(frame.right)}" y1="{y}" y2="{y}" stroke="{GRID}"/>'
            f'<text x="{_c(frame.left - 6)}" y="{y}" dy="0.35em" text-anchor="end" font-size="11" '
            f'fill="{MUTED}" data-tick="y">{fmt(value)}</text>'
        )
    mid = _c((frame.top + frame.bottom) / 2)
    parts.append(
        f'<text x="14" y="{mid}" transform="rotate(-90 14 {mid})" text-anchor="middle" font-size="11" '
        f'fill="{INK}">{escape(y_label)}</text>'
    )
    return "".join(parts)


def _x_axis(frame: Frame, first: date, last: date, width: float) -> str:
    parts = [
        f'<line x1="{_c(frame.left)}" x2="{_c(frame.right)}" y1="{_c(frame.bottom)}" y2="{_c(frame.bottom)}" '
        f'stroke="{MUTED}"/>'
    ]
    for day, label in _date_ticks(frame, first, last, 11):
        x = frame.x(day)
        half = _text_width(label, 11) / 2
        anchor = "end" if x + half > width - 2 else "start" if x - half < 2 else "middle"
        parts.append(
            f'<line x1="{_c(x)}" x2="{_c(x)}" y1="{_c(frame.bottom)}" y2="{_c(frame.bottom + 4)}" stroke="{MUTED}"/>'
            f'<text x="{_c(x)}" y="{_c(frame.bottom + 17)}" text-anchor="{anchor}" font-size="11" fill="{MUTED}" '
            f'data-tick="x" data-date="{day.isoformat()}">{escape(label)}</text>'
        )
    return "".join(parts)


def _reference(frame: Frame, ref: RefLine) -> str:
    y = _c(frame.y(ref.value))
    label = ref.label if fmt(ref.value) in ref.label else f"{ref.label} ({fmt(ref.value)})"
    return (
        f"<g{_attrs(data_reference=ref.label, data_value=fmt(ref.value))}>"
        f'<line x1="{_c(frame.left)}" x2="{_c(frame.right)}" y1="{y}" y2="{y}" stroke="{REF}" '
        f'stroke-width="1.2" stroke-dasharray="5 4"/>'
        f'<text x="{_c(frame.right - 4)}" y="{_c(frame.y(ref.value) - 4)}" text-anchor="end" font-size="10.5" '
        f'fill="{REF}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(label)}</text></g>'
    )


def _legend_items(series: Sequence[Series]) -> list[tuple[Series, Style, float]]:
    return [(s, STYLES[i % len(STYLES)], 34 + _text_width(_legend_name(s), 11) + 20) for i, s in enumerate(series)]


def _legend_name(series: Series) -> str:
    unit = series.unit
    shown = unit and not series.name.endswith(unit) and f"({unit})" not in series.name
    return f"{series.name} ({unit})" if shown else series.name


def _legend_rows(series: Sequence[Series], width: float, left: float) -> list[list[tuple[Series, Style, float]]]:
    rows: list[list[tuple[Series, Style, float]]] = [[]]
    used = 0.0
    for item in _legend_items(series):
        if rows[-1] and used + item[2] > width - left - 16:
            rows.append([])
            used = 0.0
        rows[-1].append(item)
        used += item[2]
    return rows


def _legend(rows: list[list[tuple[Series, Style, float]]], left: float, top: float) -> str:
    parts = []
    for r, row in enumerate(rows):
        x, y = left, top + r * LEGEND_ROW
        for s, style, w in row:
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            fill = "#ffffff" if style.hollow else style.colour
            parts.append(
                f'<g{_attrs(data_legend=s.name)}><line x1="{_c(x)}" x2="{_c(x + 28)}" y1="{_c(y)}" y2="{_c(y)}" '
                f'stroke="{style.colour}" stroke-width="2"{dash}/><circle cx="{_c(x + 14)}" cy="{_c(y)}" r="3" '
                f'fill="{fill}" stroke="{style.colour}" stroke-width="1.5"/><text x="{_c(x + 34)}" y="{_c(y)}" '
                f'dy="0.35em" font-size="11" fill="{INK}">{escape(_legend_name(s))}</text></g>'
            )
            x += w
    return "".join(parts)


def _describe(series: Sequence[Series], reference: Sequence[RefLine], outside: Sequence[RefLine]) -> str:
    parts = []
    for s in series:
        values = [(d, v) for d, v in sorted(s.points, key=lambda p: p[0]) if v is not None]
        if not values:
            parts.append(f"{s.name}: no values yet.")
            continue
        (d0, v0), (d1, v1) = values[0], values[-1]
        parts.append(
            f"{s.name}: {_with_unit(v0, s.unit)} on {_day(d0)}"
            + (f", {_with_unit(v1, s.unit)} on {_day(d1)}" if len(values) > 1 else "")
            + f" ({len(values)} value{'s' if len(values) != 1 else ''})."
        )
    for ref in reference:
        where = " (outside the range shown)" if ref in outside else ""
        parts.append(f"Reference line: {ref.label} at {fmt(ref.value)}{where}.")
    return " ".join(parts)


def _svg(width: int, height: int, prefix: str, title: str, desc: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="{FONT}">'
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(desc)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text x="12" y="20" font-size="14" font-weight="700" fill="{INK}">{escape(title)}</text>{body}</svg>'
    )


def _prefix(*parts: object) -> str:
    """Ids unique to this content, so several charts can share one page."""
    return "ch-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def _frame(
    series: Sequence[Series],
    reference: Sequence[RefLine],
    bounds: tuple[float, float, float, float],
    y_min: float | None,
    y_max: float | None,
    min_span: float,
) -> tuple[Frame, float]:
    values = [v for s in series for _, v in s.points if v is not None]
    low, high = -math.inf if y_min is None else y_min, math.inf if y_max is None else y_max
    in_view = [r.value for r in reference if low <= r.value <= high]
    lo, hi, step = _y_range(values + in_view, y_min, y_max, min_span)
    days = [d.toordinal() for s in series for d, _ in s.points]
    d0, d1 = min(days), max(days)
    if d0 == d1:  # one date: put it in the middle
        d0, d1 = d0 - 1, d1 + 1
    return Frame(*bounds, d0, d1, lo, hi), step


def line_chart(
    series: list[Series],
    *,
    title: str,
    y_label: str,
    y_min: float | None = None,
    y_max: float | None = None,
    min_span: float = 0.0,
    reference: Sequence[RefLine] = (),
    width: int = 640,
    height: int = 280,
) -> str:
    """An accessible SVG line chart of values over dates; "No data yet" when nothing has a value.

    ``y_min`` and ``y_max``: a scale's own limits (0 and 5 for a muscle grade, 0 and 10 for pain);
    ``min_span``: the least the value axis spans where it is not fixed (20 for a range of motion in
    degrees), so a small change is drawn small."""
    prefix = _prefix(series, title, y_label, y_min, y_max, min_span, list(reference), width, height)
    if not any(v is not None for s in series for _, v in s.points):
        message = (
            f'<rect x="12" y="32" width="{width - 24}" height="{height - 44}" fill="#fafafa" stroke="{GRID}"/>'
            f'<text x="{_c(width / 2)}" y="{_c(height / 2 + 10)}" text-anchor="middle" font-size="13" '
            f'fill="{MUTED}">No data yet</text>'
        )
        return _svg(width, height, prefix, title, "No data yet.", message)
    left = 58.0
    rows = _legend_rows(series, width, left)
    bottom = height - 30 - LEGEND_ROW * len(rows)
    frame, step = _frame(series, reference, (left, width - 16.0, 34.0, bottom), y_min, y_max, min_span)
    days = [d for s in series for d, _ in s.points]
    shown = [r for r in reference if frame.y0 <= r.value <= frame.y1]
    outside = [r for r in reference if r not in shown]
    clip = f"{prefix}-plot"
    body = (
        f'<defs><clipPath id="{clip}"><rect x="{_c(frame.left)}" y="{_c(frame.top - 4)}" '
        f'width="{_c(frame.right - frame.left)}" height="{_c(frame.bottom - frame.top + 8)}"/></clipPath></defs>'
        + _y_axis(frame, step, y_label)
        + _x_axis(frame, min(days), max(days), width)
        + "".join(_reference(frame, r) for r in shown)
        + "".join(_series(frame, s, STYLES[i % len(STYLES)], clip) for i, s in enumerate(series))
        + _legend(rows, left, bottom + 38)
    )
    return _svg(width, height, prefix, title, _describe(series, reference, outside), body)
