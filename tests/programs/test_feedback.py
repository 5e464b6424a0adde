"""What a patient is told after a session: the library's decision in their words, from stored sessions."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.loader import default
from rebalance.programs.feedback import (
    HEADLINES,
    LOOKS_AT,
    PREVIOUS_LOOKS_AT,
    after_session,
    morning_after_of,
    stored_logs,
    unreadable_note,
    why_unreadable,
)
from tests.conftest import EXAMPLES

DAY = dt.date(2026, 11, 20)


@dataclass(frozen=True)
class StoredEntry:  # a stored entry as the storage keeps it: holds in (fractional) seconds
    exercise_id: str
    done: bool
    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    minutes: int | None = None
    effort: int | None = None
    pain_during: int | None = None
    pain_next_morning: int | None = None
    stiffness_next_morning: int | None = None


@dataclass(frozen=True)
class StoredSession:
    performed_on: dt.date
    entries: list[StoredEntry] = field(default_factory=list)


@pytest.fixture(scope="module")
def program() -> dict[str, Any]:
    program: dict[str, Any] = analyse_file(EXAMPLES / "piriformis_right.yaml")["program"]
    return program


def band_walks(n: int, pain: int, reps: int = 14, **more: Any) -> list[StoredSession]:
    """``n`` daily sessions of lateral band walks (2 sets of 12 asked), the last on :data:`DAY`."""
    entry = StoredEntry("lateral_band_walk", True, sets=2, reps=reps, pain_during=pain, **more)
    return [StoredSession(DAY - dt.timedelta(days=n - 1 - i), [entry]) for i in range(n)]


def mornings(session: StoredSession, pain: int) -> StoredSession:
    return StoredSession(session.performed_on, [replace(e, pain_next_morning=pain) for e in session.entries])


def never(*_: Any) -> Any:
    raise AssertionError("read although the latest sessions settle it")


def test_a_stored_session_the_library_cannot_read_is_left_out_with_a_warning_and_its_day(
    program: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """An older row beyond the library's ranges (50 sets; it reads 20 at most) must not lock the patient
    out: it is left out, the log says which session and field, the caller learns its day."""
    odd = StoredSession(DAY - dt.timedelta(days=2), [StoredEntry("lateral_band_walk", True, sets=50, pain_during=1)])
    sessions = [odd, *band_walks(2, pain=7)]
    skipped: list[dt.date] = []
    with caplog.at_level(logging.WARNING, logger="rebalance.programs.feedback"):
        logs = stored_logs(sessions, skipped)
    assert [s.date for s in logs.sessions] == [DAY - dt.timedelta(days=1), DAY]
    assert skipped == [odd.performed_on]
    (record,) = caplog.records
    assert "2026-11-18" in record.getMessage() and "lateral_band_walk, sets: input should be" in record.getMessage()
    skipped.clear()
    (said,) = after_session(default(), program, sessions, never, never, skipped)
    assert said.decision == "regress" and said.sessions == 3 and skipped == [odd.performed_on]


def test_the_clinician_is_told_what_in_a_stored_session_cannot_be_read() -> None:
    odd = StoredSession(DAY, [StoredEntry("clamshell", True, sets=2), StoredEntry("walking", True, sets=50)])
    assert why_unreadable(odd) == "walking, sets: input should be less than or equal to 20"
    assert why_unreadable(band_walks(1, pain=1)[0]) is None


def test_no_word_on_a_latest_session_that_cannot_be_read(program: dict[str, Any]) -> None:
    sessions = [*band_walks(2, pain=1)[:1], StoredSession(DAY, [StoredEntry("lateral_band_walk", True, reps=500)])]
    skipped: list[dt.date] = []
    assert after_session(default(), program, sessions, never, never, skipped) == [] and skipped == [DAY]


def test_the_note_on_sessions_left_out_is_in_plain_words() -> None:
    assert unreadable_note([]) is None
    one = unreadable_note([DAY])
    assert one is not None and one.startswith("One earlier session (Friday 20 November 2026) could not be read")
    assert "clinician" in one and "entries" not in one and "[" not in one
    two = unreadable_note([DAY, DAY - dt.timedelta(days=1), DAY])
    assert two is not None and two.startswith("Some earlier sessions (Thursday 19 November 2026, Friday 20")


def test_a_stored_hold_is_read_in_whole_seconds() -> None:
    logs = stored_logs([StoredSession(DAY, [StoredEntry("seated_piriformis_stretch", True, sets=3, hold_s=29.6)])])
    assert logs.sessions[0].entries[0].hold_s == 30


def test_too_much_pain_says_do_less_and_the_easier_step(program: dict[str, Any]) -> None:
    (said,) = after_session(default(), program, band_walks(2, pain=7), never, never)
    assert (said.decision, said.headline) == ("regress", HEADLINES["regress"])
    assert said.name == "Side steps with a band" and said.sessions == 2
    assert said.next_time is not None and said.next_time.startswith("Next time: ")
    assert said.next_time.endswith("If the pain does not settle, stop this exercise and tell your clinician.")


def test_two_good_sessions_suggest_the_next_step_for_the_clinician(program: dict[str, Any]) -> None:
    (said,) = after_session(default(), program, band_walks(2, pain=1), never, never)
    assert (said.decision, said.headline) == ("progress", HEADLINES["progress"])
    assert said.next_time is not None and said.next_time.endswith(
        "Your clinician sees your log and updates your program."
    )


def test_keep_going_says_no_next_step(program: dict[str, Any]) -> None:
    (said,) = after_session(default(), program, band_walks(1, pain=4), never, never)
    assert (said.decision, said.headline, said.next_time) == ("hold", "Keep going", None)


def test_only_what_the_latest_session_did_is_spoken_of(program: dict[str, Any]) -> None:
    latest = StoredSession(DAY, [StoredEntry("lateral_band_walk", False), StoredEntry("walking", True, minutes=10)])
    said = after_session(default(), program, [*band_walks(2, pain=1)[:-1], latest], never, never)
    assert [s.exercise_id for s in said] == ["walking"]
    assert after_session(default(), program, [], never, never) == []


def test_the_whole_history_is_read_only_when_the_latest_sessions_do_not_settle_it(program: dict[str, Any]) -> None:
    """The oldest session alone says how the next morning felt (1): the latest morning's 3 is worse than
    that, not than the assessment's pain (5), as the latest sessions alone would say."""
    days = band_walks(LOOKS_AT + 5, pain=1)
    history = [mornings(days[0], 1), *days[1:-1], mornings(days[-1], 3)]
    reads: list[int] = []

    def whole() -> list[StoredSession]:
        reads.append(1)
        return history

    (said,) = after_session(default(), program, history[-LOOKS_AT:], whole, never)
    assert reads == [1]
    assert "worse the next morning" in said.reason and said.sessions == LOOKS_AT
    after_session(default(), program, band_walks(LOOKS_AT, pain=1), whole, never)
    assert reads == [1]  # the latest sessions settle it: not read again


def test_a_program_without_its_baseline_pain_takes_it_from_its_analysis(program: dict[str, Any]) -> None:
    """Stored before programs carried it: the analysis's pain is the morning the next one is compared with."""
    older = {**program, "client": {k: v for k, v in program["client"].items() if k != "baseline_pain"}}
    first, latest = band_walks(2, pain=1)
    days = [first, mornings(latest, 3)]
    (calm,) = after_session(default(), older, days, never, lambda: {"scores": {"pain_now": 5}})
    (worse,) = after_session(default(), older, days, never, lambda: {"scores": {"pain_now": 2}})
    assert "worse the next morning" not in calm.reason
    assert "worse the next morning" in worse.reason


def test_a_morning_after_is_about_the_latest_earlier_session_with_an_exercise_done() -> None:
    done, rested, today = band_walks(3, pain=1)
    rested = StoredSession(rested.performed_on, [StoredEntry("lateral_band_walk", False)])  # no load: no morning after
    assert morning_after_of([done, rested, today], DAY) is done
    assert morning_after_of([done, rested, today], DAY + dt.timedelta(days=1)) is today
    assert morning_after_of([rested], DAY) is None


def test_too_much_at_the_smallest_dose_says_to_leave_it_out(program: dict[str, Any]) -> None:
    """A walk of 5 minutes on 2 days that was too much has nothing smaller: never "next time" the same or more."""
    least = {"kind": "timed", "sets": 1, "reps": None, "hold_s": None, "minutes": 5, "days_per_week": 2}
    items = [
        {**i, "dosage": least, "prescribed": least} if i["exercise_id"] == "walking" else i for i in program["items"]
    ]
    walk = StoredSession(DAY, [StoredEntry("walking", True, minutes=5, pain_during=7)])
    (said,) = after_session(default(), {**program, "items": items}, [walk], never, never)
    assert said.decision == "regress"
    assert said.next_time == (
        "Next time: leave it out (this exercise is at its smallest dose already) and tell your clinician."
    )


def test_the_latest_few_sessions_settle_a_morning_after_unless_none_had_an_exercise_done() -> None:
    """``PREVIOUS_LOOKS_AT`` lives beside ``LOOKS_AT``: the few latest sessions before the day are read first;
    when none of them had an exercise done, the session is further back (the caller reads the history)."""
    assert 1 <= PREVIOUS_LOOKS_AT < LOOKS_AT
    history = band_walks(PREVIOUS_LOOKS_AT + 1, pain=1)
    rests = [StoredSession(s.performed_on, [StoredEntry("lateral_band_walk", False)]) for s in history[1:]]
    after = DAY + dt.timedelta(days=1)
    assert morning_after_of(rests[-PREVIOUS_LOOKS_AT:], after) is None
    assert morning_after_of([history[0], *rests], after) is history[0]
