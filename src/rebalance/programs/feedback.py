"""What a patient is told after a session: the pain-monitoring model's word on each exercise they did.

    LOOKS_AT                                  the program version's latest sessions the word is read from
    PREVIOUS_LOOKS_AT                         the latest sessions a morning-after answer's session is looked for in
    stored_logs(sessions, skipped)            stored sessions as ``rebalance.logs/1`` (holds in whole seconds)
    unreadable_note(days)                     the plain words for sessions left out because they cannot be read
    why_unreadable(session)                   for the clinician: what in a stored session the library cannot read
    morning_after_of(sessions, day)           the session a morning-after answer logged on a day is about
    after_session(kb, program, recent, ...)   progress, hold or regress for each exercise of the latest session
    do_less(kb, program, recent, ...)         the step down beside a dose whose latest session was too much
    Feedback                                  one exercise's word: headline, the library's reason, the next step

Every decision is :func:`rebalance.programs.progress.decisions`'s (Silbernagel's pain-monitoring model and
the 2-for-2 rule); this module says it in a patient's words and chooses how much history it reads. The
sessions are duck-typed: the stored session logs of :mod:`rebalance.storage` fit them (:class:`StoredSession`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import long_date
from rebalance.programs.logs import Entry, Logs, Session, logs_of, parse_session
from rebalance.programs.progress import decided_by_recent, decisions

logger = logging.getLogger(__name__)

LOOKS_AT = 14
"""What is said after a session looks at the program version's latest this many sessions — two weeks of
daily sessions — and further back only when they do not settle a decision: the work stays the same
however long the history grows."""

PREVIOUS_LOOKS_AT = 3
"""The session a morning-after answer is about (:func:`morning_after_of`) is looked for among the latest
this many before the day, and further back only when none of them had an exercise done."""

HEADLINES = {
    "progress": "Going well: ready for the next step",
    "hold": "Keep going",
    "regress": "That was too much: next time, do less",
}


class StoredSession(Protocol):
    """A stored session log, as far as the feedback reads it (``storage.schemas.SessionLogPublic`` fits):
    its day, and entries with the attributes of :class:`~rebalance.programs.logs.Entry`."""

    @property
    def performed_on(self) -> dt.date: ...
    @property
    def entries(self) -> Sequence[Any]: ...


class Feedback(BaseModel):
    """What the pain-monitoring model says of one exercise, in plain words."""

    model_config = ConfigDict(frozen=True)

    exercise_id: str
    name: str
    decision: Literal["progress", "hold", "regress"]
    headline: str
    reason: str = Field(description="the library's reason")
    next_time: str | None = Field(description="the easier or harder step the library suggests, if any")
    sessions: int = Field(
        description=f"sessions with this exercise logged among the program version's latest {LOOKS_AT}"
    )


_S = TypeVar("_S", bound=StoredSession)


def morning_after_of(sessions: Sequence[_S], day: dt.date) -> _S | None:
    """The session a morning-after answer logged for ``day`` is about: the latest before that day with an
    exercise done (a session with nothing done put no load to react to). ``sessions`` oldest first."""
    earlier = [s for s in sessions if s.performed_on < day and any(e.done for e in s.entries)]
    return earlier[-1] if earlier else None


def stored_logs(sessions: Sequence[StoredSession], skipped: list[dt.date] | None = None) -> Logs:
    """The stored sessions as ``rebalance.logs/1``, holds rounded to whole seconds.

    A session the library cannot read (stored beyond its ranges before storage kept to them,
    ``programs.logs.ENTRY_RANGES``) is left out, with a warning in the log naming its day and fields, and
    its day added to ``skipped``: a patient is never locked out of their log and progress by one old
    session, and is told in plain words (:func:`unreadable_note`) that the word is on less than they logged."""
    read = []
    for stored in sessions:
        try:
            read.append(_session(stored))
        except InvalidInputError as exc:
            where = _problem_words(stored, exc)
            logger.warning("session log of %s left out: the library cannot read it (%s)", stored.performed_on, where)
            if skipped is not None:
                skipped.append(stored.performed_on)
    return logs_of(read)


def why_unreadable(stored: StoredSession) -> str | None:
    """What in a stored session the library cannot read, for the clinician ("walking, sets: input should
    be less than or equal to 20"); None when it reads it."""
    try:
        _session(stored)
    except InvalidInputError as exc:
        return _problem_words(stored, exc)
    return None


def _problem_words(stored: StoredSession, exc: InvalidInputError) -> str:
    words = []
    for problem in exc.problems:
        index, _, field = problem.path.removeprefix("entries[").partition("].")
        entry = stored.entries[int(index)] if index.isdigit() and int(index) < len(stored.entries) else None
        where = f"{entry.exercise_id}, {field}" if entry is not None and field else problem.path
        words.append(f"{where}: {problem.message[:1].lower()}{problem.message[1:]}")
    return "; ".join(words)


def unreadable_note(days: Sequence[dt.date]) -> str | None:
    """What a patient or clinician is told when stored sessions were left out (:func:`stored_logs`): the
    days, in words, never a field's path; None when none was."""
    if not days:
        return None
    listed = ", ".join(long_date(day) for day in sorted(set(days)))
    one = len(set(days)) == 1
    return (
        f"{'One earlier session' if one else 'Some earlier sessions'} ({listed}) could not be read, so "
        f"{'it is' if one else 'they are'} left out here. Your clinician can still see "
        f"{'it' if one else 'them'} in your record; please mention it at your next visit."
    )


def _session(stored: StoredSession) -> Session:
    entries = []
    for entry in stored.entries:
        values = {name: getattr(entry, name) for name in Entry.model_fields if getattr(entry, name, None) is not None}
        if "hold_s" in values:
            values["hold_s"] = round(values["hold_s"])
        entries.append(values)
    document = {"date": stored.performed_on, "entries": entries}
    return parse_session(document, f"stored session of {stored.performed_on.isoformat()}")


def after_session(
    kb: KnowledgeBase,
    program: Mapping[str, Any],
    recent: Sequence[StoredSession],
    history: Callable[[], Sequence[StoredSession]],
    analysis: Callable[[], Mapping[str, Any]],
    skipped: list[dt.date] | None = None,
    exercise_ids: Collection[str] | None = None,
) -> list[Feedback]:
    """The word on each exercise done in the latest of ``recent`` (the program version's latest
    :data:`LOOKS_AT` sessions, oldest first); with ``exercise_ids``, on each of those done in any of
    ``recent``, from its latest session.

    ``history`` (the version's every session) is read only when the latest sessions do not settle a
    decision (``decided_by_recent``); ``analysis`` (the one the program was built from, for its baseline
    pain) only when the program does not carry its baseline pain (every program the library builds does).
    The days of sessions that cannot be read are added to ``skipped`` (:func:`stored_logs`); when the
    latest is one of them, there is no word."""
    if not recent:
        return []
    unread: list[dt.date] = []
    logs = stored_logs(recent, unread)
    done = {e.exercise_id for e in recent[-1].entries if e.done}
    if exercise_ids is not None:
        done = {e.exercise_id for s in recent for e in s.entries if e.done and e.exercise_id in exercise_ids}
    older_may_exist = len(recent) >= LOOKS_AT
    if older_may_exist and not all(decided_by_recent([e for _, e in logs.for_exercise(x)]) for x in done):
        unread.clear()
        logs = stored_logs(history(), unread)
    if skipped is not None:
        skipped.extend(unread)
    if recent[-1].performed_on in unread:  # no word on a session that cannot be read
        return []
    baseline = program.get("client", {}).get("baseline_pain")
    scores = {"pain_now": baseline} if baseline is not None else analysis()["scores"]
    found = decisions(kb, {"scores": scores, "program": program}, logs, done)
    counts = {x: sum(1 for s in recent for e in s.entries if e.exercise_id == x) for x in done}
    names = {item["exercise_id"]: item.get("name", item["exercise_id"]) for item in program["items"]}
    return [_feedback(kb, {**d, "sessions": counts[d["exercise_id"]]}, names) for d in found]


def _feedback(kb: KnowledgeBase, decision: dict[str, Any], names: dict[str, str]) -> Feedback:
    verdict = decision["decision"]
    full = verdict == "progress" and "next_step" not in decision  # ready, but the week has no room for more
    return Feedback(
        exercise_id=decision["exercise_id"],
        name=names.get(decision["exercise_id"], decision["exercise_id"]),
        decision=verdict,
        headline="Going well: keep this dose for now" if full else HEADLINES[verdict],
        reason=decision["reason"],
        next_time=_next_time(kb, decision),
        sessions=decision["sessions"],
    )


def do_less(
    kb: KnowledgeBase,
    program: Mapping[str, Any],
    recent: Sequence[StoredSession],
    history: Callable[[], Sequence[StoredSession]],
    analysis: Callable[[], Mapping[str, Any]],
    exercise_ids: Collection[str],
) -> dict[str, str]:
    """Beside the dose of each of ``exercise_ids`` whose latest logged session was too much (a regress): the
    step down the feedback gave, until a later session of it is logged. The program keeps its dose until
    the clinician changes it; the patient is told the same smaller step wherever the dose is shown."""
    said = after_session(kb, program, recent, history, analysis, exercise_ids=exercise_ids)
    return {f.exercise_id: f"Last time this was too much. {f.next_time}" for f in said if f.decision == "regress"}


AT_LEAST = "this exercise is at its smallest dose already"
SETTLE = "If the pain does not settle, stop this exercise and tell your clinician."


def _next_time(kb: KnowledgeBase, decision: dict[str, Any]) -> str | None:
    """The library's suggested step in words (``next_step``): on regress the smaller dose or the easier
    exercise with its dose (never more than the dose done: :func:`~rebalance.programs.progress.apply`), or,
    with nothing smaller, to leave it out; on progress, for the clinician."""
    new_id, step = decision.get("new_exercise_id"), decision.get("next_step")
    if decision["decision"] == "regress":
        if step is None:
            return f"Next time: leave it out ({AT_LEAST}) and tell your clinician."
        return f"Next time: {step}. {SETTLE}"
    if decision["decision"] == "hold" or (new_id is None and step is None):
        return None
    step = kb.exercise[new_id].name if new_id in kb.exercise else step
    return f"Suggested next step: {step}. Your clinician sees your log and updates your program."
