"""What the clinician's pages show, put together from stored records and the library — no clinical rule here.

The alerts are :func:`rebalance.programs.alerts.patient_alerts`, the series
:func:`rebalance.programs.series.progress_series`, the body map and charts the reports' SVG; this
module only arranges them for the templates: rows of the patient list, the timeline in date order,
names and citations for the ids of an analysis, the charts of a series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from rebalance.assessment.models import Case
from rebalance.assessment.parse import parse_document
from rebalance.errors import InvalidAssessmentError, InvalidInputError, Problem
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import join
from rebalance.programs.alerts import RED_FLAG_LEVELS, Alert, has_red_flag, missed_after_days, patient_alerts
from rebalance.programs.feedback import why_unreadable
from rebalance.programs.series import ProgressSeries, progress_series
from rebalance.programs.version import started_on
from rebalance.reports.program_view import edit_note
from rebalance.storage.repos import overview
from rebalance.storage.repos.overview import PatientOverview, PublishedProgram
from rebalance.storage.schemas import AssessmentPublic, CheckInPublic, PatientListItem, ProgramPublic, SessionLogPublic

AlertFilter = Literal["any", "red_flag", "pain_worse", "sessions_missed", "reassessment_due"]


ALERT_LABELS = {
    "red_flag": "Red flags and cautions", "pain_worse": "Pain getting worse", "sessions_missed": "Sessions missed",
    "reassessment_due": "Reassessment due",
}  # fmt: skip


# the patient list


@dataclass(frozen=True)
class PatientRow:
    patient: PatientListItem
    alerts: list[Alert]
    latest_assessment_id: int | None
    latest_assessed_on: dt.date | None
    program: PublishedProgram | None

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(a.kind for a in self.alerts))


PAGE_SIZE = 50
"""Patients on one page of the list."""


@dataclass(frozen=True)
class PatientPage:
    """One page of the patient list: its rows, how many patients match in all, and where it is."""

    rows: list[PatientRow]
    matching: int
    page: int
    size: int

    @property
    def first(self) -> int:
        """The number of the page's first patient (1-based; 0 on an empty page)."""
        return (self.page - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // self.size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def patient_page(
    kb: KnowledgeBase,
    db: Session,
    clinician_id: int,
    today: dt.date,
    *,
    query: str = "",
    alert: AlertFilter = "any",
    page: int = 1,
    size: int | None = None,
) -> PatientPage:
    """Page ``page`` of the clinician's patients whose name or reference contains ``query`` and (unless
    ``any``) who have an alert of that kind, with their alerts.

    Without an alert filter only the page's patients are read beyond their names. Red flags: who has one
    is decided from the safety records of those whose records carry a level that can raise one
    (``alerts.RED_FLAG_LEVELS``, ``alerts.has_red_flag``), then only the page's patients are read. Other
    filters work out the alerts of the matching patients who may have one: for sessions missed those with
    a published program and no session in the fewest days that can raise it (``alerts.missed_after_days``),
    for pain getting worse every one.
    """
    size = size or PAGE_SIZE
    start = (page - 1) * size
    if alert in ("any", "red_flag"):
        flagged, keep = (RED_FLAG_LEVELS, has_red_flag) if alert == "red_flag" else (None, None)
        found = overview.patient_overviews(
            db, clinician_id, search=query, offset=start, limit=size, flagged=flagged, keep=keep
        )
        return PatientPage(patient_rows(kb, found.rows, today), found.matching, page, size)
    idle = today - dt.timedelta(days=missed_after_days(kb)) if alert == "sessions_missed" else None
    found = overview.patient_overviews(db, clinician_id, search=query, no_session_after=idle)
    rows = patient_rows(kb, found.rows, today, alert)
    return PatientPage(rows[start : start + size], len(rows), page, size)


def patient_rows(
    kb: KnowledgeBase, overviews: list[PatientOverview], today: dt.date, alert: AlertFilter = "any"
) -> list[PatientRow]:
    """Each patient with their alerts; only those (unless ``any``) who have an alert of that kind."""
    rows = []
    for o in overviews:
        program = o.program.document if o.program else None
        alerts = patient_alerts(
            kb,
            o.latest_analysis,
            program,
            o.sessions,
            o.check_ins,
            today,
            started_on=started_on(o.program) if o.program else None,
            assessed_on=o.latest_assessed_on,
            assessment_stored_at=o.latest_assessment_stored_at,
        )
        if alert != "any" and all(a.kind != alert for a in alerts):
            continue
        rows.append(PatientRow(o.patient, alerts, o.latest_assessment_id, o.latest_assessed_on, o.program))
    return rows


# the timeline


@dataclass(frozen=True)
class Event:
    day: dt.date
    kind: Literal["assessment", "program", "session", "check_in"]
    title: str
    detail: str
    href: str | None = None
    level: str | None = None  # a safety level, for the badge


ORDER = {"assessment": 0, "program": 1, "session": 2, "check_in": 3}


def timeline(
    kb: KnowledgeBase,
    assessments: list[AssessmentPublic],
    programs: list[ProgramPublic],
    sessions: list[SessionLogPublic],
    check_ins: list[CheckInPublic],
) -> list[Event]:
    """Everything that happened to the patient's record, newest first (same day: assessment, program, ...)."""
    events = [
        Event(
            a.assessed_on,
            "assessment",
            "Assessment",
            f"{len(a.analysis['findings'])} findings; patterns: "
            + (join([kb.pattern[p["id"]].name for p in a.analysis["patterns"] if p["id"] in kb.pattern]) or "none"),
            f"/assessments/{a.id}",
            a.safety_level.value,
        )
        for a in assessments
    ]
    events += [
        Event(
            p.created_at.date(),
            "program",
            f"Program version {p.version}",
            f"{p.status.value}; {len(p.document.get('items', []))} exercises"
            + (f"; {note}" if (note := edit_note(kb, p.document)) else ""),
            f"/programs/{p.id}",
        )
        for p in programs
    ]
    for s in sessions:
        done = sum(1 for e in s.entries if e.done)
        pain = "" if s.pain_during_max is None else f"; worst pain during {s.pain_during_max}/10"
        odd = why_unreadable(s)
        left_out = f"; left out of the patient's feedback and adherence, not readable ({odd})" if odd else ""
        events.append(
            Event(s.performed_on, "session", "Session logged", f"{done} of {len(s.entries)} done{pain}{left_out}")
        )
    for c in check_ins:
        answers = join([str(kb.red_flags[a].name) for a in c.answers if a in kb.red_flags]) or "no warning sign"
        events.append(Event(c.checked_on, "check_in", "Weekly check-in", answers, level=c.level.value))
    return sorted(events, key=lambda e: (e.day, -ORDER[e.kind]), reverse=True)


# progress


def cases(kb: KnowledgeBase, assessments: list[AssessmentPublic]) -> list[tuple[Case, dict[str, Any]]]:
    """The stored assessments as validated cases (one the knowledge base no longer accepts is left out)."""
    out = []
    for a in assessments:
        try:
            out.append((parse_document(a.document, kb, source=f"assessment {a.id}"), a.analysis))
        except InvalidAssessmentError:
            continue
    return out


def series_for(
    kb: KnowledgeBase,
    assessments: list[AssessmentPublic],
    sessions: list[SessionLogPublic],
    programs: list[ProgramPublic],
    today: dt.date,
) -> ProgressSeries:
    return progress_series(kb, cases(kb, assessments), sessions, {p.id: p.document for p in programs}, today)


# what a page says after a change (``?done=...``)

NOTICES = {
    "created": "The patient was added.",
    "saved": "The assessment was saved with its analysis; its program is a draft for you to review.",
    "swapped": "The exercise was swapped: this is a new draft version.",
    "dosage": "The dosage was changed: this is a new draft version.",
    "approved": "This version is approved. Publish it to show it to the patient.",
    "published": "This version is published: the patient sees it now.",
}
Done = Literal["created", "saved", "swapped", "dosage", "approved", "published"]


@contextmanager
def in_request(where: Mapping[str, str] | None = None) -> Iterator[None]:
    """The library's problems raised within, with their paths in the request: ``symptoms.pain_now`` →
    ``body.symptoms.pain_now`` (an API answer of 422 with each problem at its path).

    ``where`` says where a problem's first key lives (``{"exercise_id": "path"}``); anything else is in the body.
    A dosage's fields are the body's own (``dosage.sets`` → ``body.sets``).
    """
    try:
        yield
    except InvalidInputError as exc:
        problems = []
        for p in exc.problems:
            path = p.path.removeprefix("dosage.")
            prefix = (where or {}).get(path.split(".")[0].split("[")[0], "body")
            problems.append(Problem(p.file, f"{prefix}.{path}" if path else prefix, p.message))
        raise InvalidInputError(problems) from None
