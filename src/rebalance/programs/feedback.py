"""What a patient is told after a session: the pain-monitoring model's word on each exercise they did.

    LOOKS_AT                                  the program version's latest sessions the word is read from
    stored_logs(sessions)                     stored sessions as ``rebalance.logs/1`` (holds in whole seconds)
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
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.logs import Entry, Logs, Session, logs_of, parse_session
from rebalance.programs.progress import decided_by_recent, decisions

LOOKS_AT = 14
"""What is said after a session looks at the program version's latest this many sessions — two weeks of
daily sessions — and further back only when they do not settle a decision: the work stays the same
however long the history grows."""

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


def stored_logs(sessions: Sequence[StoredSession]) -> Logs:
    """The stored sessions as ``rebalance.logs/1``, holds rounded to whole seconds.

    A session the library refuses (stored beyond its ranges by another client) is
    :class:`~rebalance.errors.InvalidInputError` naming the session's day and the field
    (``stored session of 2026-11-20``, ``entries[0].sets``): never skipped, or the word would be on less
    than the patient logged."""
    return logs_of([_session(s) for s in sessions])


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
    exercise_ids: Collection[str] | None = None,
) -> list[Feedback]:
    """The word on each exercise done in the latest of ``recent`` (the program version's latest
    :data:`LOOKS_AT` sessions, oldest first); with ``exercise_ids``, on each of those done in any of
    ``recent``, from its latest session.

    ``history`` (the version's every session) is read only when the latest sessions do not settle a
    decision (``decided_by_recent``); ``analysis`` (the one the program was built from, for its baseline
    pain) only when the program does not carry its baseline pain (every program the library builds does)."""
    if not recent:
        return []
    logs = stored_logs(recent)
    done = {e.exercise_id for e in recent[-1].entries if e.done}
    if exercise_ids is not None:
        done = {e.exercise_id for s in recent for e in s.entries if e.done and e.exercise_id in exercise_ids}
    older_may_exist = len(recent) >= LOOKS_AT
    if older_may_exist and not all(decided_by_recent([e for _, e in logs.for_exercise(x)]) for x in done):
        logs = stored_logs(history())
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
    said = after_session(kb, program, recent, history, analysis, exercise_ids)
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
