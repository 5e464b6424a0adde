"""Logging a session: what the log form asks, storing a session, and the pain-monitoring model's word on it.

    log_page(me)                what the log form asks, and what the pain-monitoring model says of the last session
    record_session(me, data)    store a session (a day logged already: replaced) and the morning after the previous one
    feedback(me, program, recent)   progress, hold or regress for each exercise of the latest session

The signed-in patient and what stops their program are ``patient_views``'s (``Me``, ``stops``); every
judgement and its words are the library's (``programs.feedback``, ``programs.progress``). A session is
refused while the program is stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError

from rebalance.errors import ConflictError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.feedback import (
    LOOKS_AT,
    PREVIOUS_LOOKS_AT,
    Feedback,
    after_session,
    morning_after_of,
    unreadable_note,
)
from rebalance.programs.logs import log_fields, session_words
from rebalance.programs.schedule import DAYS
from rebalance.reports.cards import exercises_for_day
from rebalance.reports.text import dose_text
from rebalance.storage.repos import session_logs
from rebalance.storage.schemas import ProgramPublic, SessionEntry, SessionLogCreate, SessionLogPublic
from rebalance.web.patient_schemas import (
    FieldAsked,
    LogPage,
    LogRow,
    SessionIn,
    SessionSaved,
)
from rebalance.web.patient_views import Me, analysis_of, do_less_notes, pain_rule_guide, recent_of_program, stops

OLDEST_DAYS = 366
"""A session is logged for a day of the last year at most (a typing error otherwise)."""


def log_page(me: Me) -> LogPage | None:
    """The log form's questions; None without a published program (nothing to log against)."""
    program = me.program
    if program is None:
        return None
    weekday = DAYS[me.day.weekday()]
    todays = exercises_for_day(me.kb, program.document, weekday)
    items = {item["exercise_id"]: item for item in program.document["items"]}
    chosen = [items[e.exercise_id] for e in todays] or list(items.values())
    previous = _previous_session(me, me.day)
    current = recent_of_program(me, program)
    morning = [e for e in previous.entries if e.done] if previous else []
    logged = me.logged_on(me.day)
    notes = do_less_notes(me, program, [item["exercise_id"] for item in chosen])
    skipped: list[dt.date] = []
    said = feedback(me, program, current, skipped)
    return LogPage(
        date=me.day,
        rows=[_log_row(me.kb, item, notes.get(item["exercise_id"])) for item in chosen],
        rest_day=not todays,
        previous=previous,
        previous_pain=_first([e.pain_next_morning for e in morning]),
        previous_stiffness=_first([e.stiffness_next_morning for e in morning]),
        latest=current[-1] if current else None,
        feedback=said,
        stops=stops(me),
        pain_guide=pain_rule_guide(me.kb),
        logged=logged,
        logged_words=session_words(me.kb, program.document, [e.model_dump() for e in logged.entries]) if logged else [],
        unreadable_note=unreadable_note(skipped),
    )


def edit_values(page: LogPage) -> dict[str, str]:
    """The log form filled in with what today's log holds (the same entries, to change)."""
    if page.logged is None:
        return {}
    entries = {entry.exercise_id: entry.model_dump() for entry in page.logged.entries}
    values = {}
    for i, row in enumerate(page.rows):
        entry = entries.get(row.exercise_id)
        if entry is not None:
            values[f"entries[{i}].done"] = "yes" if entry["done"] else "no"
            values |= {
                f"entries[{i}].{f.name}": str(round(entry[f.name])) for f in row.fields if entry[f.name] is not None
            }
    return values


def _first(values: Sequence[int | None]) -> int | None:
    return next((v for v in values if v is not None), None)


def _log_row(kb: KnowledgeBase, item: dict[str, Any], do_less: str | None) -> LogRow:
    return LogRow(
        exercise_id=item["exercise_id"],
        name=item.get("name", item["exercise_id"]),
        side=item.get("side", "both"),
        dose=dose_text(item["dosage"]),
        do_less=do_less,
        fields=[
            FieldAsked(name=f.name, label=f.label + (" (seconds)" if f.unit == "s" else ""), low=f.low, high=f.high)
            for f in log_fields(kb, item)
        ],
    )


def _previous_session(me: Me, before: dt.date) -> SessionLogPublic | None:
    """The session a morning-after answer logged for ``before`` is about (``programs.feedback.morning_after_of``).

    Read from the latest few sessions before that day (the whole history only if none of them had one)."""
    if not me.knows("sessions"):
        latest = session_logs.recent_session_logs(me.db, me.user_id, me.patient_id, PREVIOUS_LOOKS_AT, before=before)
        if len(latest) < PREVIOUS_LOOKS_AT or any(e.done for s in latest for e in s.entries):
            return morning_after_of(latest, before)
    return morning_after_of(me.sessions, before)


def record_session(me: Me, data: SessionIn) -> SessionSaved:
    """Store the session and the morning after the previous one, or nothing (422 with every field's problem;
    409 while the program is stopped or missing), and what the pain-monitoring model says of it."""
    program = me.program
    if program is None:
        raise ConflictError("session_log", None, "there is no published program to log a session against yet")
    if stops(me):
        raise ConflictError("session_log", None, "the program is stopped: see the today page for what to do")
    day = data.performed_on or me.day
    previous = _previous_session(me, day) if _says_morning(data) else None  # else not asked about
    _check_session(me, data, program, day, previous)
    morning_for = None
    if data.next_morning is not None and previous is not None:
        morning = data.next_morning
        morning_for = session_logs.set_next_morning(me.db, me.user_id, previous.id, morning.pain, morning.stiffness)
    log = None
    if any(entry.done for entry in data.entries):
        entries = [SessionEntry(**entry.model_dump()) for entry in data.entries]
        new = SessionLogCreate(program_id=program.id, performed_on=day, entries=entries)
        logged = me.logged_on(day)
        if logged is None:
            log = session_logs.add_session_log(me.db, me.user_id, me.patient_id, new)
        else:  # the day logged again: an edit of its log
            log = session_logs.replace_session_log(me.db, me.user_id, logged.id, new)
    fresh = session_logs.recent_session_logs(me.db, me.user_id, me.patient_id, LOOKS_AT, program_id=program.id)
    skipped: list[dt.date] = []
    said = feedback(me, program, fresh, skipped)  # read after the write (``recent_of_program`` keeps what it read)
    return SessionSaved(log=log, next_morning_for=morning_for, feedback=said, unreadable_note=unreadable_note(skipped))


def _says_morning(data: SessionIn) -> bool:
    """Whether the form tells how the morning after the previous session felt."""
    morning = data.next_morning
    return morning is not None and (morning.pain is not None or morning.stiffness is not None)


def _check_session(
    me: Me, data: SessionIn, program: ProgramPublic, day: dt.date, previous: SessionLogPublic | None
) -> None:
    in_program = {item["exercise_id"] for item in program.document["items"]}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if day > me.day:
        problems.append((("performed_on",), "a session cannot be logged for a day still to come"))
    elif (me.day - day).days > OLDEST_DAYS:
        problems.append((("performed_on",), "a session can be logged for a day of the last year only"))
    for i, entry in enumerate(data.entries):
        if entry.exercise_id not in in_program:
            problems.append((("entries", i, "exercise_id"), "this exercise is not in your program"))
    said_morning = _says_morning(data)
    if said_morning and previous is None:
        problems.append((("next_morning",), "there is no earlier session to attach the morning after to"))
    if not any(entry.done for entry in data.entries) and not said_morning:
        problems.append((("entries",), "mark at least one exercise as done, or tell how the morning after felt"))
    if problems:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": None} for loc, msg in problems]
        )


def feedback(
    me: Me, program: ProgramPublic, recent: Sequence[SessionLogPublic], skipped: list[dt.date] | None = None
) -> list[Feedback]:
    """The library's word (``programs.feedback.after_session``) on each exercise done in the latest session;
    the days of sessions it could not read are added to ``skipped``."""

    def history() -> list[SessionLogPublic]:  # read only when the latest sessions do not settle a decision
        return [s for s in me.sessions if s.program_id == program.id]

    return after_session(me.kb, program.document, recent, history, lambda: analysis_of(me, program), skipped)
