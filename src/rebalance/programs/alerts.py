"""What a clinician should look at first: red flags, pain getting worse, sessions missed.

``patient_alerts(latest_analysis, program, sessions, check_ins, today)`` gives a patient's alerts,
each with its kind, severity, a message in plain words, and the dates and values behind it:

    red_flag         the latest assessment's safety level is caution or worse, or a weekly check-in
                     since that assessment came out urgent or emergency (``safety.since_assessment``:
                     on its day, only one stored after it — as what stops the patient's program)
    pain_worse       pain during exercise rising over the last sessions (by the minimal important
                     change), the last session's pain during over the acceptable zone, or pain the
                     next morning above the pain at the assessment (the pain-monitoring model)
    sessions_missed  no session logged for longer than the program's week allows
    reassessment_due the program's reassessment day has passed with no assessment since

Every threshold is a criterion of the knowledge base (``criteria.yaml``) and the alert names it:
``pain_mic`` (Farrar 2001), ``pain_monitoring_acceptable`` (Silbernagel 2007),
``alert_pain_trend_sessions``, ``alert_missed_sessions_days`` and ``reassess_weeks`` (rebalance's conventions).

The inputs are duck-typed (:class:`LoggedSession`, :class:`CheckInRecord`): the stored session logs
and check-ins of :mod:`rebalance.storage` fit them, and so does anything with the same attributes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import date_words, flag_name, join
from rebalance.programs.schedule import DAYS
from rebalance.reasoning.safety import LEVELS, RANK, since_assessment, stop_message, withholds_program

AlertKind = Literal["red_flag", "pain_worse", "sessions_missed", "reassessment_due"]
Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


class LoggedEntry(Protocol):
    """One exercise of a logged session, as far as the alerts read it."""

    @property
    def done(self) -> bool: ...
    @property
    def pain_during(self) -> int | None: ...
    @property
    def pain_next_morning(self) -> int | None: ...


class LoggedSession(Protocol):
    """A logged home session (``storage.schemas.SessionLogPublic`` fits)."""

    @property
    def performed_on(self) -> dt.date: ...
    @property
    def entries(self) -> Sequence[LoggedEntry]: ...


class CheckInRecord(Protocol):
    """A weekly red-flag check-in (``storage.schemas.CheckInPublic`` fits)."""

    @property
    def checked_on(self) -> dt.date: ...
    @property
    def level(self) -> str: ...
    @property
    def answers(self) -> Sequence[str]: ...
    @property
    def created_at(self) -> dt.datetime | None: ...


class Alert(BaseModel):
    """One thing for the clinician to look at, and what it rests on."""

    model_config = ConfigDict(frozen=True)

    kind: AlertKind
    severity: Severity = Field(description="high: act now; medium: look at it this week; low: follow up")
    message: str
    dates: list[dt.date] = Field(description="the days the alert rests on, oldest first")
    values: list[int | float | str] = Field(description="the values behind it, in the order the message gives them")
    criteria: list[str] = Field(description="ids of the knowledge base's criteria that set the thresholds")


def _day(day: dt.date) -> str:
    return date_words(day.isoformat())  # "20 November 2026"


def patient_alerts(
    kb: KnowledgeBase,
    latest_analysis: dict[str, Any] | None,
    program: dict[str, Any] | None,
    sessions: Sequence[LoggedSession],
    check_ins: Sequence[CheckInRecord],
    today: dt.date,
    *,
    started_on: dt.date | None = None,
    assessed_on: dt.date | None = None,
    assessment_stored_at: dt.datetime | None = None,
) -> list[Alert]:
    """The patient's alerts, most severe first.

    ``latest_analysis``: the latest assessment's analysis document; ``assessed_on`` its day as stored
    (default: the analysis's date) and ``assessment_stored_at`` when it was stored (a check-in on its
    day counts only if stored after it); ``program``: the program the
    patient follows (the published version), ``started_on`` the day they got it (default: the
    day its assessment was made); ``sessions`` and ``check_ins``: the recent ones, in any order.
    A check-in is read with the conditions the program respects (its ``client``), as the patient's stop is.
    """
    conditions = (program or {}).get("client", {}).get("conditions", ())
    ordered = sorted(sessions, key=lambda s: s.performed_on)
    alerts = [
        *_red_flags(
            kb,
            latest_analysis,
            check_ins,
            assessed_on or _assessed_on(latest_analysis),
            assessment_stored_at,
            conditions,
        ),
        *_pain_worse(kb, latest_analysis, program, ordered),
        *_missed(kb, program, ordered, today, started_on),
        *_reassessment_due(program, assessed_on or _assessed_on(latest_analysis), today),
    ]
    return sorted(alerts, key=lambda a: SEVERITY_ORDER[a.severity])


# red flags


def _assessed_on(analysis: dict[str, Any] | None) -> dt.date | None:
    day = (analysis or {}).get("date")
    return dt.date.fromisoformat(day) if isinstance(day, str) else None


class RedFlagLevels(NamedTuple):
    assessment: tuple[str, ...]
    check_in: tuple[str, ...]


RED_FLAG_LEVELS = RedFlagLevels(
    assessment=tuple(level for level in LEVELS if RANK[level] >= RANK["caution"]),
    check_in=tuple(level for level in LEVELS if withholds_program(level)),
)
"""The safety levels that can raise a red-flag alert: of the latest assessment (caution or worse), of a
weekly check-in (those that stop the program). A patient with neither has no red flag: a list filtered
to red flags needs to work out the alerts of only those who have one of them (``storage/overview.py``)."""


class SafetyRecord(Protocol):
    """What a red-flag alert is raised from: the latest assessment's safety level, day and stored time
    (None before the first), and the recent check-ins (``storage.repos.overview.SafetyRecord`` fits)."""

    @property
    def level(self) -> str | None: ...
    @property
    def assessed_on(self) -> dt.date | None: ...
    @property
    def assessment_stored_at(self) -> dt.datetime | None: ...
    @property
    def check_ins(self) -> Sequence[CheckInRecord]: ...


def has_red_flag(record: SafetyRecord) -> bool:
    """Whether :func:`patient_alerts` raises a red flag from these records: the same rule, without the
    analysis document or the sessions (a list filtered to red flags decides with it who is on it)."""
    if record.level is not None and str(record.level) in RED_FLAG_LEVELS.assessment:
        return True
    return any(_check_in_flags(c, record.assessed_on, record.assessment_stored_at) for c in record.check_ins)


def _check_in_flags(check_in: CheckInRecord, since: dt.date | None, assessment_stored_at: dt.datetime | None) -> bool:
    """A check-in at a level that stops the program, answered since the latest assessment."""
    counts = since_assessment(check_in.checked_on, check_in.created_at, since, assessment_stored_at)
    return str(check_in.level) in RED_FLAG_LEVELS.check_in and counts


ASSESSMENT_ACTION = {
    "caution": "Review the program with the patient before they go on.",
    "urgent": "The program is withheld: make sure the patient has been seen by a doctor.",
    "emergency": "The program is withheld: make sure the patient went to an emergency department.",
}


def _assessment_words(kb: KnowledgeBase, level: str, flags: list[str], day: dt.date | None) -> str:
    """The latest assessment's safety level for the clinician: its warning signs (or conditions) by name and
    what to do, not the patient's message: "Assessment of 3 November 2026: caution (severe pain). Review ..."."""
    which = f" ({join([flag_name(kb, f) for f in flags])})" if flags else ""
    when = f"Assessment of {_day(day)}" if day else "Latest assessment"
    return f"{when}: {level}{which}. {ASSESSMENT_ACTION.get(level, '')}".strip()


def _red_flags(
    kb: KnowledgeBase,
    analysis: dict[str, Any] | None,
    check_ins: Sequence[CheckInRecord],
    since: dt.date | None,
    assessment_stored_at: dt.datetime | None,
    conditions: Sequence[str] = (),
) -> list[Alert]:
    out = []
    if analysis is not None:
        safety = analysis["safety"]
        level = safety["level"]
        if level in RED_FLAG_LEVELS.assessment:
            day = since
            flags = [f["id"] for f in safety["flags"]]
            out.append(
                Alert(
                    kind="red_flag",
                    severity="medium" if level == "caution" else "high",
                    message=_assessment_words(kb, level, flags, day),
                    dates=[day] if day else [],
                    values=[level, *flags],
                    criteria=[],
                )
            )
    for check_in in sorted(check_ins, key=lambda c: c.checked_on):
        if _check_in_flags(check_in, since, assessment_stored_at):
            answered = join([flag_name(kb, a) for a in check_in.answers]) or "no answer recorded"
            out.append(
                Alert(
                    kind="red_flag",
                    severity="high",
                    message=f"Weekly check-in on {_day(check_in.checked_on)} came out {check_in.level}: "
                    f"answered yes to {answered}. The patient was told: "
                    f"“{stop_message(kb, list(check_in.answers), conditions)}”",
                    dates=[check_in.checked_on],
                    values=[str(check_in.level), *check_in.answers],
                    criteria=[],
                )
            )
    return out


# pain getting worse


def _worst(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _pain_during(session: LoggedSession) -> int | None:
    return _worst([e.pain_during for e in session.entries if e.done])


def _baseline(analysis: dict[str, Any] | None, program: dict[str, Any] | None) -> int | None:
    client = (program or {}).get("client") or {}
    if client.get("baseline_pain") is not None:
        return int(client["baseline_pain"])
    if analysis is not None:
        return int(analysis["scores"]["pain_now"])
    return None


def _pain_worse(
    kb: KnowledgeBase, analysis: dict[str, Any] | None, program: dict[str, Any] | None, ordered: list[LoggedSession]
) -> list[Alert]:
    c = kb.criterion
    window = int(c["alert_pain_trend_sessions"].value)
    rise = c["pain_mic"].value
    acceptable = c["pain_monitoring_acceptable"].value
    rated = [(s.performed_on, p) for s in ordered if (p := _pain_during(s)) is not None]
    out = []
    recent = rated[-window:]
    if len(recent) == window:
        first, last = recent[0][1], recent[-1][1]
        if last - first >= rise and last == max(p for _, p in recent):
            out.append(
                Alert(
                    kind="pain_worse",
                    severity="medium",
                    message=f"Pain during exercise rose from {first}/10 to {last}/10 over the last {window} sessions.",
                    dates=[d for d, _ in recent],
                    values=[p for _, p in recent],
                    criteria=["alert_pain_trend_sessions", "pain_mic"],
                )
            )
    if rated and rated[-1][1] > acceptable:
        day, pain = rated[-1]
        out.append(
            Alert(
                kind="pain_worse",
                severity="medium",
                message=f"Pain during exercise reached {pain}/10 on {_day(day)}: over {acceptable:g}/10 is too "
                "much; the exercise should be eased.",
                dates=[day],
                values=[pain],
                criteria=["pain_monitoring_acceptable"],
            )
        )
    out += _next_morning(analysis, program, ordered)
    return out


def _next_morning(
    analysis: dict[str, Any] | None, program: dict[str, Any] | None, ordered: list[LoggedSession]
) -> list[Alert]:
    baseline = _baseline(analysis, program)
    mornings = [
        (s.performed_on, p) for s in ordered if (p := _worst([e.pain_next_morning for e in s.entries])) is not None
    ]
    if baseline is None or not mornings or mornings[-1][1] <= baseline:
        return []
    day, pain = mornings[-1]
    return [
        Alert(
            kind="pain_worse",
            severity="medium",
            message=f"Pain the morning after the session of {_day(day)} was {pain}/10, above the {baseline}/10 "
            "at the assessment: the load was too high.",
            dates=[day],
            values=[pain, baseline],
            criteria=["pain_monitoring_acceptable"],
        )
    ]


# reassessment due


def _reassessment_due(program: dict[str, Any] | None, assessed_on: dt.date | None, today: dt.date) -> list[Alert]:
    """The program's reassessment day (``reassess_on``) passed, and the latest assessment is older than it."""
    due = (program or {}).get("reassess_on")
    if not isinstance(due, str):
        return []
    day = dt.date.fromisoformat(due[:10])
    if today <= day or (assessed_on is not None and assessed_on >= day):
        return []
    weeks = (today - day).days // 7
    late = f", {weeks} week{'s' * (weeks != 1)} ago" if weeks else ""
    return [
        Alert(
            kind="reassessment_due",
            severity="low",
            message=f"Reassessment was due on {_day(day)}{late}: book one to see what has changed and adjust the "
            "program.",
            dates=[day],
            values=[(today - day).days],
            criteria=["reassess_weeks"],
        )
    ]


# sessions missed


def longest_gap(program: dict[str, Any]) -> int:
    """The most days the program's week leaves from one session to the next (7 for one a week)."""
    days = [DAYS.index(d["day"]) for d in program.get("schedule", []) if d.get("items")]
    if not days:
        per_week = int(program.get("sessions_per_week") or 0)
        return math.ceil(7 / per_week) if per_week else 0
    days.sort()
    return max((b - a) % 7 or 7 for a, b in zip(days, [*days[1:], days[0]], strict=True))


def missed_after_days(kb: KnowledgeBase) -> int:
    """The fewest days without a session that raise a "sessions missed" alert, whatever the program
    (a program whose sessions lie further apart allows twice its longest gap): a patient who logged a
    session more recently has none (``storage/overview.py`` keeps the others for the filter)."""
    return int(kb.criterion["alert_missed_sessions_days"].value)


def _missed(
    kb: KnowledgeBase,
    program: dict[str, Any] | None,
    ordered: list[LoggedSession],
    today: dt.date,
    started_on: dt.date | None,
) -> list[Alert]:
    if program is None or not program.get("sessions_per_week"):
        return []
    allowed = max(missed_after_days(kb), 2 * longest_gap(program))
    per_week = int(program["sessions_per_week"])
    if ordered:
        last = ordered[-1].performed_on
        since = f"since {_day(last)}"
    else:
        based_on = program.get("based_on")
        last = started_on or (dt.date.fromisoformat(based_on) if based_on else today)
        since = f"since the program started on {_day(last)}"
    days = (today - last).days
    if days < allowed:
        return []
    return [
        Alert(
            kind="sessions_missed",
            severity="low",
            message=f"No session logged for {days} days ({since}); the program asks for {per_week} a week.",
            dates=[last],
            values=[days, per_week],
            criteria=["alert_missed_sessions_days"],
        )
    ]
