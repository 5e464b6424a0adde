"""Progress charts a clinician reads: every value a point, gaps where nothing was measured."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from rebalance.reports.charts import RefLine, Series, fmt, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
START = date(2025, 3, 3)
WEEKS = [START + timedelta(weeks=i) for i in range(9)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output


def points(root: ET.Element, series: str | None = None) -> list[ET.Element]:
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("data-series") is not None]
    return [c for c in dots if series is None or c.get("data-series") == series]


def lines(root: ET.Element, series: str) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}polyline") if p.get("data-series") == series]


def ticks(root: ET.Element, axis: str) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("data-tick") == axis]


def pain_and_bridges() -> list[Series]:
    return [
        Series("pain", [(d, v) for d, v in zip(WEEKS, [7, 6, 6, 5, 5, 4, 4, 3, 3], strict=True)], "/10"),
        Series("left side bridge", [(d, 40.0 + 3 * i) for i, d in enumerate(WEEKS)], "s"),
        Series("right side bridge", [(d, 55.0 + 2 * i) for i, d in enumerate(WEEKS[:5])], "s"),
    ]


def test_each_value_is_one_point_with_its_date_and_value() -> None:
    root = parse(line_chart(pain_and_bridges(), title="Progress", y_label="value"))
    assert len(points(root, "pain")) == 9
    assert len(points(root, "left side bridge")) == 9
    assert len(points(root, "right side bridge")) == 5
    first = points(root, "pain")[0]
    assert (first.get("data-date"), first.get("data-value")) == ("2025-03-03", "7")
    assert (first.findtext("svg:title", namespaces=NS) or "").endswith("2025-03-03: 7 /10")


def test_a_missing_value_leaves_a_gap() -> None:
    values = [7, 6, None, 5, 4, None, None, 3, 3]
    series = Series("pain", list(zip(WEEKS, values, strict=True)))
    root = parse(line_chart([series], title="Pain", y_label="pain"))
    dated = [c.get("data-date") for c in points(root, "pain")]
    assert len(dated) == 6
    assert WEEKS[2].isoformat() not in dated
    runs = [len((p.get("points") or "").split()) for p in lines(root, "pain")]
    assert runs == [2, 2, 2]  # three pieces of line, none across a gap


def test_a_lone_value_between_gaps_is_a_point_without_a_line() -> None:
    series = Series("pain", [(WEEKS[0], 5), (WEEKS[1], None), (WEEKS[2], 4), (WEEKS[3], None), (WEEKS[4], 3)])
    root = parse(line_chart([series], title="Pain", y_label="pain"))
    assert len(points(root, "pain")) == 3
    assert lines(root, "pain") == []


def test_each_series_has_its_own_colour_and_dash() -> None:
    root = parse(line_chart(pain_and_bridges(), title="Progress", y_label="value"))
    styles = {
        (lines(root, s)[0].get("stroke"), lines(root, s)[0].get("stroke-dasharray"))
        for s in ("pain", "left side bridge", "right side bridge")
    }
    assert len({colour for colour, _ in styles}) == 3
    assert len({dash for _, dash in styles}) == 3


def test_reference_lines_are_drawn_with_their_labels() -> None:
    refs = [RefLine(90, "LSI 90 %"), RefLine(2, "minimal important change")]
    root = parse(line_chart(pain_and_bridges(), title="Progress", y_label="value", reference=refs))
    drawn = {g.get("data-reference"): g for g in root.iter(f"{SVG}g") if g.get("data-reference")}
    assert set(drawn) == {"LSI 90 %", "minimal important change"}
    assert drawn["LSI 90 %"].find("svg:line", NS).get("stroke-dasharray")  # type: ignore[union-attr]
    assert drawn["minimal important change"].findtext("svg:text", namespaces=NS) == "minimal important change (2)"
    assert drawn["LSI 90 %"].findtext("svg:text", namespaces=NS) == "LSI 90 %"


def test_the_y_range_is_honoured() -> None:
    series = [Series("pain", [(WEEKS[0], 6), (WEEKS[1], 4)])]
    root = parse(line_chart(series, title="Pain", y_label="pain (0–10)", y_min=0, y_max=10))
    labels = ticks(root, "y")
    assert (labels[0], labels[-1]) == ("0", "10")
    # 6 sits at 60 % of the height above 0
    zero, ten = (
        float(t.get("y", "nan")) for t in root.iter(f"{SVG}text") if t.get("data-tick") == "y" and t.text in ("0", "10")
    )
    six = float(points(root, "pain")[0].get("cy", "nan"))
    assert six == pytest.approx(zero + 0.6 * (ten - zero), abs=0.1)


def test_a_reference_outside_a_given_range_is_left_out_but_described() -> None:
    root = parse(
        line_chart(
            pain_and_bridges()[:1], title="Pain", y_label="pain", y_min=0, y_max=10, reference=[RefLine(50, "x")]
        )
    )
    assert not [g for g in root.iter(f"{SVG}g") if g.get("data-reference")]
    assert "x at 50 (outside the range shown)" in (root.findtext("svg:desc", namespaces=NS) or "")


def test_y_ticks_are_round_numbers_without_float_noise() -> None:
    series = [Series("ratio", [(WEEKS[0], 0.1), (WEEKS[1], 0.3), (WEEKS[2], 0.5)])]
    root = parse(line_chart(series, title="Ratio", y_label="ratio"))
    assert ticks(root, "y") == ["0.1", "0.2", "0.3", "0.4", "0.5"]  # 3 × 0.1 is 0.30000000000000004
    text = line_chart([Series("x", [(WEEKS[0], 0.1 + 0.2)])], title="x", y_label="x")
    assert "0.30000000000000004" not in text
    assert fmt(0.1 + 0.2) == "0.3"
    assert fmt(-0.0001) == "0"
    assert fmt(42.0) == "42"


def test_date_labels_are_thinned_so_they_do_not_crowd() -> None:
    days = [START + timedelta(days=i) for i in range(60)]
    root = parse(line_chart([Series("pain", [(d, 5.0) for d in days])], title="Pain", y_label="pain"))
    labels = ticks(root, "x")
    assert 2 <= len(labels) <= 8
    assert labels[0] == "3 Mar 2025"


def test_a_year_of_daily_values_renders_compactly() -> None:
    days = [date(2024, 11, 20) + timedelta(days=i) for i in range(365)]
    series = [
        Series("pain", [(d, 5 + (i * 37 % 11) / 11) for i, d in enumerate(days)], "/10"),
        Series("adherence %", [(d, None if i % 7 == 6 else 80.0) for i, d in enumerate(days)]),
    ]
    svg = line_chart(series, title="A year", y_label="value")
    root = parse(svg)
    assert len(points(root, "pain")) == 365
    labels = ticks(root, "x")
    assert 3 <= len(labels) <= 8
    assert "Jan 2025" in labels  # a new year is named
    assert len(ticks(root, "y")) <= 12
    assert len(svg) < 200_000


def test_one_date_is_shown_in_the_middle() -> None:
    root = parse(line_chart([Series("pain", [(START, 6)])], title="Pain", y_label="pain", width=640))
    [point] = points(root, "pain")
    assert float(point.get("cx", "nan")) == pytest.approx((58 + 624) / 2, abs=1)
    assert ticks(root, "x") == ["3 Mar 2025"]


def test_no_values_says_no_data_yet() -> None:
    for series in ([], [Series("pain", [])], [Series("pain", [(START, None)])]):
        root = parse(line_chart(series, title="Pain", y_label="pain"))
        assert "No data yet" in "".join(root.itertext())
        assert points(root) == []


def test_the_description_gives_first_and_last_values() -> None:
    root = parse(line_chart(pain_and_bridges(), title="Progress", y_label="value"))
    desc = root.findtext("svg:desc", namespaces=NS) or ""
    assert "pain: 7 /10 on 3 Mar 2025, 3 /10 on 28 Apr 2025 (9 values)." in desc
    assert "right side bridge: 55 s on 3 Mar 2025, 63 s on 31 Mar 2025 (5 values)." in desc
    assert root.get("role") == "img"
    assert root.findtext("svg:title", namespaces=NS) == "Progress"


def test_the_legend_names_every_series_with_its_unit() -> None:
    root = parse(line_chart(pain_and_bridges(), title="Progress", y_label="value"))
    names = [g.findtext("svg:text", namespaces=NS) for g in root.iter(f"{SVG}g") if g.get("data-legend")]
    assert names == ["pain (/10)", "left side bridge (s)", "right side bridge (s)"]


def test_odd_names_are_escaped() -> None:
    odd = 'pain <b>&</b> "stiffness"'
    root = parse(line_chart([Series(odd, [(START, 1), (WEEKS[1], 2)])], title=odd, y_label=odd))
    assert root.findtext("svg:title", namespaces=NS) == odd
    assert [c.get("data-series") for c in points(root)] == [odd, odd]


def test_the_same_input_gives_the_same_svg() -> None:
    assert line_chart(pain_and_bridges(), title="P", y_label="v") == line_chart(
        pain_and_bridges(), title="P", y_label="v"
    )


def test_an_empty_given_range_is_refused() -> None:
    with pytest.raises(ValueError, match="y_max"):
        line_chart(pain_and_bridges(), title="P", y_label="v", y_min=5, y_max=5)


def y_ticks(svg: str) -> list[float]:
    return [float(t) for t in ticks(parse(svg), "y")]


def test_a_least_span_draws_a_small_change_small() -> None:
    one_degree = [Series("left", [(WEEKS[0], 47.0), (WEEKS[1], 48.0)], "deg")]
    plain = y_ticks(line_chart(one_degree, title="Hip", y_label="deg"))
    spanned = y_ticks(line_chart(one_degree, title="Hip", y_label="deg", min_span=20))
    assert plain[-1] - plain[0] < 5  # without it, 47 to 48 fills the whole height
    assert spanned[-1] - spanned[0] >= 20 and spanned[0] <= 47 and spanned[-1] >= 48


def test_a_least_span_never_takes_an_axis_of_positive_values_below_zero() -> None:
    small = [Series("seconds", [(WEEKS[0], 2.0), (WEEKS[1], 3.0)], "s")]
    spanned = y_ticks(line_chart(small, title="Hold", y_label="s", min_span=20))
    assert spanned[0] == 0 and spanned[-1] >= 20


def test_a_wide_range_is_not_narrowed_by_a_least_span() -> None:
    wide = [Series("deg", [(WEEKS[0], 10.0), (WEEKS[1], 70.0)], "deg")]
    assert y_ticks(line_chart(wide, title="Hip", y_label="deg", min_span=20)) == y_ticks(
        line_chart(wide, title="Hip", y_label="deg")
    )
