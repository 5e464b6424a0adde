"""The patient's progress: sessions done week by week, pain after each, adherence, assessments, as charts.

progress_view(me)           the numbers behind the progress charts
progress_charts(view)       the charts as SVG (``reports.charts``)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from rebalance.programs.feedback import stored_logs, unreadable_note
from rebalance.programs.progress import adherence
from rebalance.reports.charts import RefLine, Series, line_chart
from rebalance.reports.progress_charts import complete_weeks, monday
from rebalance.storage.schemas import AssessmentPublic, SessionLogPublic
from rebalance.web.patient_schemas import (
    Adherence,
    AssessmentScore,
    ProgressView,
    SessionSummary,
    WeekCount,
)
from rebalance.web.patient_views import Me, pain_rule_guide


def progress_view(me: Me) -> ProgressView:
    sessions, program = me.sessions, me.program
    current = [s for s in sessions if program is not None and s.program_id == program.id]
    skipped: list[dt.date] = []
    logs = stored_logs(current, skipped) if current else None
    return ProgressView(
        pain_guide=pain_rule_guide(me.kb),
        sessions=[_summary(s) for s in sessions if any(e.done for e in s.entries)],
        weeks=_weeks(sessions, me.day),
        planned_per_week=None if program is None else program.document.get("sessions_per_week"),
        adherence=None if program is None or logs is None else Adherence(**adherence(program.document, logs)),
        assessments=[_score(a) for a in me.assessments],
        unreadable_note=unreadable_note(skipped),
    )


def _summary(session: SessionLogPublic) -> SessionSummary:
    done = [e for e in session.entries if e.done]
    return SessionSummary(
        date=session.performed_on,
        exercises_done=len(done),
        pain_during=session.pain_during_max,
        pain_next_morning=max((e.pain_next_morning for e in done if e.pain_next_morning is not None), default=None),
        stiffness_next_morning=max(
            (e.stiffness_next_morning for e in done if e.stiffness_next_morning is not None), default=None
        ),
    )


def _weeks(sessions: Sequence[SessionLogPublic], until: dt.date) -> list[WeekCount]:
    """Sessions with an exercise done in each whole week from the first session's on, ended by ``until``."""
    done = [s.performed_on for s in sessions if any(e.done for e in s.entries)]
    counts = Counter(monday(day) for day in done)
    return [WeekCount(week_of=w, sessions=counts.get(w, 0)) for w in complete_weeks(min(done), until)] if done else []


def _score(assessment: AssessmentPublic) -> AssessmentScore:
    scores = assessment.analysis.get("scores", {})
    return AssessmentScore(
        date=assessment.assessed_on,
        pain_now=scores.get("pain_now"),
        odi_percent=(scores.get("odi") or {}).get("percent"),
    )


def progress_charts(view: ProgressView) -> dict[str, str]:
    """The progress charts as SVG (``reports.charts.line_chart``): pain, sessions a week, assessments."""
    charts = {
        "pain": line_chart(
            [
                Series("Pain during exercise", [(s.date, s.pain_during) for s in view.sessions], "/10"),
                Series("Pain the next morning", [(s.date, s.pain_next_morning) for s in view.sessions], "/10"),
                Series(
                    "Stiffness the next morning", [(s.date, s.stiffness_next_morning) for s in view.sessions], "/10"
                ),
            ],
            title="Your pain after each session",
            y_label="0 none – 10 worst",
            y_min=0,
            y_max=10,
            width=340,
            height=300,
        ),
        "weeks": line_chart(
            [Series("Sessions done", [(w.week_of, float(w.sessions)) for w in view.weeks], "a week")],
            title="Sessions each week",
            y_label="sessions",
            y_min=0,
            reference=[RefLine(view.planned_per_week, "your plan")] if view.planned_per_week else [],
            width=340,
            height=260,
        ),
    }
    if view.assessments:
        charts["assessments"] = line_chart(
            [Series("Pain at the assessment", [(a.date, a.pain_now) for a in view.assessments], "/10")],
            title="Pain at your assessments",
            y_label="0 none – 10 worst",
            y_min=0,
            y_max=10,
            width=340,
            height=240,
        )
    if any(a.odi_percent is not None for a in view.assessments):
        charts["odi"] = line_chart(
            [Series("Disability (ODI)", [(a.date, a.odi_percent) for a in view.assessments], "%")],
            title="How much the pain gets in the way (ODI)",
            y_label="percent",
            y_min=0,
            y_max=100,
            width=340,
            height=240,
        )
    return charts
