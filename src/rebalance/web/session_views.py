"""Logging a session: what the log form asks, storing a session, and the pain-monitoring model's word on it.

    log_page(me)                what the log form asks, and what the pain-monitoring model says of the last session
    record_session(me, data)    store a session and the morning after the previous one (all or nothing)
    store_session, latest_sessions, saved_session   the same in steps, around the caller's commit
    store_sessions(each)        store_session of several patients' sessions at once (the log writer)
    latest_sessions_each(each)  latest_sessions of several patients' sessions at once (the log writer)
    feedback(kb, program, recent, reading)   progress, hold or regress for each exercise of the latest session
    library_logs(sessions)      stored sessions as the library's ``rebalance.logs/1`` (the progress view too)

The signed-in patient and what stops their program are ``patient_views``'s (``Me``, ``stops``); every
judgement is the library's (``programs.progress``). A session is refused while the program is stopped.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError

from rebalance.errors import ConflictError, InvalidInputError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import Logs, logs_of, parse_session
from rebalance.programs.logs import Session as LibrarySession
from rebalance.programs.progress import decided_by_recent, decisions
from rebalance.programs.schedule import DAYS
from rebalance.reports.text import dose_text
from rebalance.storage import bookkeeping, repo
from rebalance.storage.schemas import (
    ProgramPublic,
    SessionEntry,
    SessionLogCreate,
    SessionLogPublic,
    StoredEntries,
)
from rebalance.web.patient_schemas import (
    FEEDBACK_LOOKS_AT,
    Feedback,
    Guide,
    LogPage,
    LogRow,
    SessionIn,
    SessionSaved,
)
from rebalance.web.patient_views import Me, exercises_for_day, stops

logger = logging.getLogger("rebalance.web")

_T = TypeVar("_T")

PREVIOUS_LOOKS_AT = 3
"""The session a morning-after answer is about is looked for among the latest this many before the day."""
HEADLINES = {
    "progress": "Going well: ready for the next step",
    "hold": "Keep going",
    "regress": "That was too much: next time, do less",
}


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
    current = _recent_of_program(me, program)
    morning = [e for e in previous.entries if e.done] if previous else []
    stored = [StoredEntries.of(log) for log in current]
    return LogPage(
        date=me.day,
        rows=[_log_row(item) for item in chosen],
        rest_day=not todays,
        previous=previous,
        previous_pain=_first([e.pain_next_morning for e in morning]),
        previous_stiffness=_first([e.stiffness_next_morning for e in morning]),
        latest=current[-1] if current else None,
        feedback=feedback(me.kb, program, stored, _in(me)),
        stops=stops(me),
        pain_guide=pain_guide(me.kb),
    )


def _first(values: Sequence[int | None]) -> int | None:
    return next((v for v in values if v is not None), None)


def pain_guide(kb: KnowledgeBase) -> Guide:
    """The pain-monitoring model in words (``criteria.yaml``), and its source."""
    criterion = kb.criterion["pain_monitoring_acceptable"]
    source = kb.sources.get(criterion.source or "")
    citation = source.citation if source else str(criterion.source)
    return Guide(text=criterion.summary, source=short_citation(citation), citation=citation)


def short_citation(citation: str) -> str:
    """ "Silbernagel KG, Thomee R, … 2007;35(6)…" → "Silbernagel et al. 2007" (the full one stays alongside)."""
    year = re.search(r"\b(19|20)\d\d\b", citation)
    first = citation.split(" ", 1)[0].rstrip(",.")
    if year is None:
        return citation
    others = " et al." if "," in citation.split(".", 1)[0] else ""
    return f"{first}{others} {year[0]}"


def _log_row(item: dict[str, Any]) -> LogRow:
    dose = item["dosage"]
    return LogRow(
        exercise_id=item["exercise_id"],
        name=item.get("name", item["exercise_id"]),
        side=item.get("side", "both"),
        dose=dose_text(dose),
        asks_reps=bool(dose.get("reps")),
        asks_hold=bool(dose.get("hold_s")),
        target_sets=int(dose["sets"]),
        target_reps=dose.get("reps"),
        target_hold_s=dose.get("hold_s"),
    )


def _previous_session(me: Me, before: dt.date) -> SessionLogPublic | None:
    """The latest session before ``before`` with an exercise done: the one a morning-after answer is about.

    Read from the latest few sessions before that day (the whole history only if none of them had one)."""
    if "sessions" not in me.__dict__:
        latest = repo.recent_session_logs(me.db, me.user_id, me.patient_id, PREVIOUS_LOOKS_AT, before=before)
        if len(latest) < PREVIOUS_LOOKS_AT or any(e.done for s in latest for e in s.entries):
            return _latest_done(latest, before)
    return _latest_done(me.sessions, before)


def _latest_done(sessions: Sequence[SessionLogPublic], before: dt.date) -> SessionLogPublic | None:
    earlier = [s for s in sessions if s.performed_on < before and any(e.done for e in s.entries)]
    return earlier[-1] if earlier else None


def _recent_of_program(me: Me, program: ProgramPublic) -> list[SessionLogPublic]:
    """The program version's latest sessions (:data:`FEEDBACK_LOOKS_AT` of them), oldest first."""
    return repo.recent_session_logs(me.db, me.user_id, me.patient_id, FEEDBACK_LOOKS_AT, program_id=program.id)


def record_session(me: Me, data: SessionIn) -> SessionSaved:
    """Store the session and the morning after the previous one, or nothing (422 with every field's problem).

    The request's unit of work checks and stores (:func:`store_session`), reads the version's latest
    sessions (:func:`latest_sessions`), and is committed here; what the pain-monitoring model says of them
    is worked out after (:func:`saved_session`, reading what more it needs in a reading unit of work of
    its own). So SQLite's write lock, which the writers of every process take in turn, is not held for
    the reasoning. (The JSON API's front writes the sessions logged at the same moment together, and
    reads their latest sessions after the commit: ``log_writer.py``.)
    """
    stored = store_session(me, data)
    latest = latest_sessions(me, stored.program)
    me.db.commit()  # nothing more is written: with what was just stored
    return saved_session(me, stored, latest)


@dataclass(frozen=True)
class StoredSession:
    """What :func:`store_session` stored, in a unit of work not yet committed."""

    program: ProgramPublic
    log: SessionLogPublic | None
    next_morning_for: SessionLogPublic | None


def store_session(me: Me, data: SessionIn) -> StoredSession:
    """:func:`record_session`'s checks and changes in ``me``'s unit of work, which the caller commits
    (or rolls back: nothing of it is kept then). Refused before anything is written where the program is
    stopped or missing (409) or a field has a problem (422)."""
    try:
        (stored,) = store_sessions([(me, data)])
    except repo.NotStored as refused:
        raise refused.why from None
    return stored


def store_sessions(each: Sequence[tuple[Me, SessionIn]]) -> list[StoredSession]:
    """:func:`store_session` of each (patient, session) of ``each``, in order, in the unit of work they share
    (the log writer's, for the sessions logged at one moment): each checked as alone, the sessions themselves
    stored together (``repo.add_session_logs``: one statement on PostgreSQL), those before a morning-after
    answer first, as its check reads the sessions stored. ``repo.NotStored`` names the one refused, and why."""
    ready: list[_Prepared] = []
    stored: list[StoredSession] = []
    for at, (me, data) in enumerate(each):
        if _says_morning(data):
            stored += _store_prepared(each, ready, len(stored))
        try:
            me.check()
            ready.append(_prepare_session(me, data))
        except Exception as error:
            raise repo.NotStored(at, error) from error
    return stored + _store_prepared(each, ready, len(stored))


def _store_prepared(each: Sequence[tuple[Me, SessionIn]], ready: list[_Prepared], start: int) -> list[StoredSession]:
    """The sessions prepared (``ready``, for ``each``) from ``start`` on, stored together."""
    logged = [(at, log) for at in range(start, len(ready)) if (log := ready[at].log) is not None]
    asks = [(each[at][0].user_id, each[at][0].patient_id, log) for at, log in logged]
    try:
        logs = iter(repo.add_session_logs(each[0][0].db, asks) if asks else ())
    except repo.NotStored as refused:
        raise repo.NotStored(logged[refused.at][0], refused.why) from None
    done = ready[start:]
    return [StoredSession(p.program, None if p.log is None else next(logs), p.next_morning_for) for p in done]


@dataclass(frozen=True)
class _Prepared:
    """:func:`store_session` but the session itself: checked, the morning after stored, the session to store."""

    program: ProgramPublic
    log: SessionLogCreate | None  # None: no exercise done (a morning-after answer only)
    next_morning_for: SessionLogPublic | None


def _prepare_session(me: Me, data: SessionIn) -> _Prepared:
    """:func:`store_session`'s checks, and the morning after the previous session stored, in ``me``'s unit
    of work; the session itself is left to :func:`store_sessions`. Only a morning-after answer reads the
    sessions stored."""
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
        morning_for = repo.set_next_morning(me.db, me.user_id, previous.id, morning.pain, morning.stiffness)
    log = None
    if any(entry.done for entry in data.entries):
        entries = [SessionEntry(**entry.model_dump()) for entry in data.entries]
        log = SessionLogCreate(program_id=program.id, performed_on=day, entries=entries)
    return _Prepared(program, log, morning_for)


def latest_sessions(me: Me, program: ProgramPublic) -> list[StoredEntries]:
    """The version's latest sessions (what the pain-monitoring model looks at after a session is logged),
    in ``me``'s unit of work: the one that stored the session, or one that reads after its commit."""
    return repo.recent_session_entries(me.db, me.user_id, me.patient_id, FEEDBACK_LOOKS_AT, program.id)


def latest_sessions_each(each: Sequence[tuple[Me, ProgramPublic]]) -> list[list[StoredEntries]]:
    """:func:`latest_sessions` of each patient and version of ``each``, in order, all in the unit of work of
    the first (the patients' own: ``Me.on``), sent together (one round trip on PostgreSQL)."""
    if not each:
        return []
    asks = [(me.user_id, me.patient_id, program.id) for me, program in each]
    return repo.recent_session_entries_each(each[0][0].db, FEEDBACK_LOOKS_AT, asks)


def saved_session(me: Me, stored: StoredSession, latest: Sequence[StoredEntries]) -> SessionSaved:
    """The answer to a session stored and committed: it, and the pain-monitoring model's word on it and on
    the ``latest`` sessions (:func:`latest_sessions`, read since it was stored)."""
    said = feedback(me.kb, stored.program, latest, _once_committed(me))
    return SessionSaved(log=stored.log, next_morning_for=stored.next_morning_for, feedback=said)


Reading = Callable[[Callable[[Me], _T]], _T]
"""How :func:`feedback` reads what more it needs (rarely: the version's whole history, an analysis):
``reading(read)`` is ``read`` of the patient in some unit of work."""


def _in(me: Me) -> Reading[Any]:
    """In ``me``'s own unit of work."""
    return lambda read: read(me)


def _once_committed(me: Me) -> Reading[Any]:
    """Once ``me``'s unit of work is committed: in a reading unit of work of its own, opened only when
    something is read, whose events go to the bookkeeping writer."""

    def reading(read: Callable[[Me], _T]) -> _T:
        with bookkeeping.reading_scope(me.web.bookkeeping, me.web.reading_session_factory) as reads:
            return read(me.on(reads))

    return reading


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
    kb: KnowledgeBase, program: ProgramPublic, recent: Sequence[StoredEntries], reading: Reading[Any]
) -> list[Feedback]:
    """The pain-monitoring model's word (``programs.progress``) on each exercise done in the latest session.

    ``recent`` is the program version's latest sessions (``repo.recent_session_entries``); when they do
    not settle a decision (``decided_by_recent``), the version's whole history is read, through
    ``reading``, as is the analysis the program was built from when the program does not carry its
    baseline pain. ``sessions`` counts among ``recent``.
    """
    if not recent:
        return []
    logs = library_logs(recent)
    if logs is None:
        return []
    done = {e["exercise_id"] for e in recent[-1].entries if e.get("done")}
    older_may_exist = len(recent) >= FEEDBACK_LOOKS_AT
    if older_may_exist and not all(decided_by_recent([e for _, e in logs.for_exercise(x)]) for x in done):
        history = reading(lambda me: [StoredEntries.of(s) for s in me.sessions if s.program_id == program.id])
        logs = library_logs(history)
        if logs is None:
            return []
    baseline = program.document.get("client", {}).get("baseline_pain")
    if baseline is not None:  # a program built by the library carries it (``client.baseline_pain``)
        analysis = {"scores": {"pain_now": baseline}}
    else:
        analysis = reading(lambda me: _analysis_of(me, program))
    found = decisions(kb, {**analysis, "program": program.document}, logs, done)
    counts = {x: sum(1 for s in recent for e in s.entries if e["exercise_id"] == x) for x in done}
    names = {item["exercise_id"]: item.get("name", item["exercise_id"]) for item in program.document["items"]}
    return [_feedback(kb, {**d, "sessions": counts[d["exercise_id"]]}, names) for d in found]


def _analysis_of(me: Me, program: ProgramPublic) -> dict[str, Any]:
    """The analysis the program was built from, else the latest one (for its baseline pain)."""
    latest = me.latest_assessment
    if latest is not None and latest.id == program.assessment_id:
        return latest.analysis
    chosen = next((a for a in me.assessments if a.id == program.assessment_id), me.latest_assessment)
    return chosen.analysis if chosen is not None else {"scores": {"pain_now": 0}}


def library_logs(sessions: Sequence[StoredEntries]) -> Logs | None:
    """The stored sessions as ``rebalance.logs/1`` (holds in whole seconds), or None if the library refuses them.

    Each session is checked by the library once a process and stored text (:func:`_library_session_of`):
    every session logged reads the version's latest sessions again, all but one of them read and checked
    for the session before (checking 14 sessions took ~90 us, timed in-process; the app's CPU a session
    logged on PostgreSQL is ~0.7 ms: 1.2 cores at ~1,640 sessions a second, ``bench/README.md``)."""
    try:
        return logs_of([_library_session(s) for s in sessions])
    except InvalidInputError as exc:  # stored by another client beyond the library's ranges
        logger.warning("session logs the pain-monitoring model cannot read: %s", exc)
        return None


def _library_session(stored: StoredEntries) -> LibrarySession:
    if stored.text is None:
        return _as_library_session(stored.performed_on, stored.entries)
    return _library_session_of(stored.performed_on, stored.text)


@functools.lru_cache(maxsize=4096)
def _library_session_of(performed_on: dt.date, text: str) -> LibrarySession:
    """A stored session, checked by the library, kept by its day and stored text (4,096 at most: a few kB
    each). Immutable, shared by every reader; a session the library refuses raises, and is not kept."""
    return _as_library_session(performed_on, json.loads(text))


def _as_library_session(performed_on: dt.date, entries: Sequence[Mapping[str, Any]]) -> LibrarySession:
    document = {"date": performed_on, "entries": [_library_entry(e) for e in entries]}
    return parse_session(document, f"stored session of {performed_on.isoformat()}")


def _library_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in entry.items() if value is not None}
    if "hold_s" in values:
        values["hold_s"] = round(values["hold_s"])
    return values


def _feedback(kb: KnowledgeBase, decision: dict[str, Any], names: dict[str, str]) -> Feedback:
    verdict = decision["decision"]
    return Feedback(
        exercise_id=decision["exercise_id"],
        name=names.get(decision["exercise_id"], decision["exercise_id"]),
        decision=verdict,
        headline=HEADLINES[verdict],
        reason=decision["reason"],
        next_time=_next_time(kb, decision),
        sessions=decision["sessions"],
    )


def _next_time(kb: KnowledgeBase, decision: dict[str, Any]) -> str | None:
    """The library's suggested step in words: the easier version on regress; on progress, for the clinician."""
    new_id, new_dose = decision.get("new_exercise_id"), decision.get("new_dosage")
    if decision["decision"] == "hold" or (new_id is None and new_dose is None):
        return None
    step = kb.exercise[new_id].name if new_id in kb.exercise else _dose_words(new_dose or {})
    if decision["decision"] == "regress":
        return f"Next time: {step}. If the pain does not settle, stop this exercise and tell your clinician."
    return f"Suggested next step: {step}. Your clinician sees your log and updates your program."


def _dose_words(dose: dict[str, Any]) -> str:
    sets = dose.get("sets")
    parts = [f"{sets} set{'s' if sets != 1 else ''}" if sets else ""]
    parts.append(f"{dose['reps']} repetitions" if dose.get("reps") else "")
    parts.append(f"hold {dose['hold_s']} s" if dose.get("hold_s") else "")
    return ", ".join(p for p in parts if p)
