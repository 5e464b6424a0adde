"""The clinician's report of an assessment, for paper: what ``rebalance report`` and the app's report PDF print.

    clinician_report(kb, analysis, client, today, series=None)   the report of one analysis document
    case_report(kb, cases, today)      the latest of a client's assessments, charted over all of them
    report_pdf(report)                 the report as a PDF (``templates/clinician/report.html``, ``reports.paper``)

An emergency or urgent case (the program withheld) says one thing, as the app's page does: the safety
message, the warning signs by name and where to go. Otherwise safety first, then the scores, the body map,
the findings grouped (tight, weak, left-right, other) with each piece of evidence a sentence with its value,
norm and author-year citation, those inferred from little apart "to confirm" with the tests that would (as
the assessment page, ``reports.assessment_view``; the body map leaves them off), the patterns with their
explanation, the tests to do next, the program (or why it is withheld) and, with more than one assessment,
the charts.
Every name comes from the phrase builder (``knowledge.words``): no id reaches the page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import (
    capital,
    date_words,
    evidence_sentence,
    finding_title,
    habit_phrase,
    long_date,
    sentence,
    test_phrase,
)
from rebalance.programs.dose import dose_text
from rebalance.programs.series import ProgressSeries, progress_series
from rebalance.reports import paper
from rebalance.reports.assessment_view import confirm_sentence, doubtful, kind_name, stops
from rebalance.reports.assessment_view import flags as named_flags
from rebalance.reports.bodymap import body_map
from rebalance.reports.cards import side_words
from rebalance.reports.progress_charts import Chart, charts, side_charts
from rebalance.reports.text import GROUPS, LEVEL_TITLE, MODE_WORDS, score_lines


@dataclass(frozen=True)
class Finding:
    title: str
    severity: str
    confidence: int  # percent
    evidence: list[str]
    kind: str = ""  # to confirm: the kind in words, "tight or overactive"
    confirm: str = ""  # to confirm: "Confirm with the muscle strength test or the single-leg bridge."


@dataclass(frozen=True)
class Pattern:
    name: str
    confidence: int  # percent
    explanation: str
    refer: str | None


@dataclass(frozen=True)
class Item:
    name: str
    side: str
    dose: str
    why: str


@dataclass(frozen=True)
class Report:
    client: str
    assessed_on: str
    printed_on: str
    level: str
    level_title: str
    safety_message: str
    flags: list[str]
    scores: list[str]
    body_map: str  # the library's SVG: every text escaped
    groups: list[tuple[str, list[Finding]]]
    patterns: list[Pattern]
    suggested: list[str]
    habits: list[str]
    program_summary: str | None  # None: withheld
    items: list[Item] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    stop: bool = False  # emergency or urgent: the safety message only
    to_confirm: list[Finding] = field(default_factory=list)  # inferred from little: as the assessment page


def _finding(kb: KnowledgeBase, f: Mapping[str, Any], unsure: bool = False) -> Finding:
    return Finding(
        title=capital(finding_title(kb, f["id"])),
        severity=f["severity"],
        confidence=round(100 * f["confidence"]),
        evidence=list(dict.fromkeys(evidence_sentence(kb, f["id"], e) for e in f["evidence"])),
        kind=kind_name(kb, f["kind"]) if unsure else "",
        confirm=confirm_sentence(kb, dict(f)) if unsure else "",
    )


def _findings(kb: KnowledgeBase, findings: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Finding]]]:
    """The established findings grouped (tight, weak, left-right, other); those to confirm go apart."""
    sure = [f for f in findings if not doubtful(dict(f))]
    groups = [(heading, [_finding(kb, f) for f in sure if f["kind"] in kinds]) for heading, kinds in GROUPS]
    return [(heading, group) for heading, group in groups if group]


def _patterns(kb: KnowledgeBase, patterns: Sequence[Mapping[str, Any]]) -> list[Pattern]:
    out = []
    for p in patterns:
        record = kb.pattern.get(p["id"])
        refer = p.get("refer")
        out.append(
            Pattern(
                name=record.name if record else str(p["id"]).replace("_", " "),
                confidence=round(100 * p["confidence"]),
                explanation=p["explanation"],
                refer=f"Refer ({refer['urgency']}) to {refer['to']}: {refer['why']}" if refer else None,
            )
        )
    return out


def _program(kb: KnowledgeBase, program: Mapping[str, Any] | None) -> tuple[str | None, list[Item]]:
    """The program's summary line and its items; an exercise with no sides (walking, breathing) has no side."""
    if not program:
        return None, []
    summary = (
        f"{capital(MODE_WORDS.get(program['mode'], program['mode']))}: {program['minutes_per_session']} minutes, "
        f"{program['sessions_per_week']} days a week; reassess after {program['reassess_after_weeks']} weeks."
    )
    items = [Item(i["name"], side_words(kb, i), dose_text(i["dosage"]), i["why"]) for i in program["items"]]
    return summary, items


def _charts(kb: KnowledgeBase, series: ProgressSeries, today: dt.date) -> list[Chart]:
    """The progress charts that have something to show (adherence only with logged sessions)."""
    drawn = {"Pain": True, "Disability (ODI)": any(p.value is not None for p in series.odi.points)}
    drawn["Adherence"] = bool(series.adherence.points)
    return [c for c in charts(kb, series, today) if drawn.get(c.title, True)] + side_charts(kb, series)


def clinician_report(
    kb: KnowledgeBase,
    analysis: Mapping[str, Any],
    client: str,
    today: dt.date,
    series: ProgressSeries | None = None,
) -> Report:
    """The report of ``analysis`` (an analysis document) for the client named ``client``, printed ``today``;
    ``series``: the client's history, charted when it holds more than one assessment."""
    safety = analysis["safety"]
    flags = [sentence(f"{name}: {message}" if name else message) for name, message in named_flags(kb, dict(analysis))]
    if stops(dict(analysis)):
        return Report(client, date_words(str(analysis["date"])), long_date(today), safety["level"],
                      capital(LEVEL_TITLE[safety["level"]].lower()), safety["message"], flags, scores=[], body_map="",
                      groups=[], patterns=[], suggested=[], habits=[], program_summary=None, stop=True)  # fmt: skip
    summary, items = _program(kb, analysis.get("program"))
    history = series is not None and len(series.pain[0].points) > 1
    return Report(
        client=client,
        assessed_on=date_words(str(analysis["date"])),
        printed_on=long_date(today),
        level=safety["level"],
        level_title=capital(LEVEL_TITLE[safety["level"]].lower()),
        safety_message=safety["message"],
        flags=flags,
        scores=score_lines(analysis["scores"]),
        body_map=body_map(list(analysis["findings"]), kb, title="Tight and weak muscles"),
        groups=_findings(kb, analysis["findings"]),
        to_confirm=[_finding(kb, f, True) for f in analysis["findings"] if doubtful(dict(f))],
        patterns=_patterns(kb, analysis["patterns"]),
        suggested=[f"{capital(test_phrase(kb, t['test']))}: {t['why']}" for t in analysis["suggested_tests"]],
        habits=[habit_phrase(kb, x["id"], x.get("side")) for x in analysis.get("lifestyle_factors") or []],
        program_summary=summary,
        items=items,
        charts=_charts(kb, series, today) if series is not None and history else [],
    )


def case_report(kb: KnowledgeBase, cases: Sequence[tuple[Case, dict[str, Any]]], today: dt.date) -> Report:
    """The report of the latest of a client's assessments (validated case, analysis document), with charts over
    them all when there are several (``rebalance report``)."""
    ordered = sorted(cases, key=lambda pair: pair[0].assessment.date)
    case, analysis = ordered[-1]
    series = progress_series(kb, ordered, [], {}, today) if len(ordered) > 1 else None
    return clinician_report(kb, analysis, case.assessment.client.id or "", today, series)


def report_pdf(report: Report) -> bytes:
    """The report as a PDF (A4); the body map and the charts go in as images of their SVG (``paper.svg_image``)."""
    printed = dataclasses.replace(
        report,
        body_map=paper.svg_image(report.body_map, "Tight and weak muscles") if report.body_map else "",
        charts=[Chart(chart.title, paper.svg_image(chart.svg, chart.title)) for chart in report.charts],
    )
    return paper.pdf(paper.render_page("clinician/report.html", {"r": printed}), ["paper.css", "report.css"])
