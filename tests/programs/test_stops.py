"""When a patient's program stops, and when the weekly check-in is due (``programs/stops.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.programs.minutes import MINUTES_RANGE, minutes_problem
from rebalance.programs.stops import (
    CHECK_IN_EVERY_DAYS,
    check_in_due,
    check_in_safety,
    check_ins_that_count_from,
    conditions_of,
    program_stops,
)
from rebalance.reasoning.safety import safety_for_flags, stop_message

DAY = dt.date(2026, 11, 16)
NOON = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
LEVELS = ("clear", "caution", "urgent", "emergency")


@dataclass(frozen=True)
class Assessed:
    assessed_on: dt.date
    created_at: dt.datetime | None
    analysis: dict[str, Any]
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedIn:
    checked_on: dt.date
    created_at: dt.datetime | None
    level: str
    answers: list[str] = field(default_factory=list)


def assessed(level: str, on: dt.date = DAY) -> Assessed:
    flags = [] if level in ("clear", "caution") else [{"id": "saddle_anaesthesia", "message": "Numbness."}]
    return Assessed(on, NOON, {"safety": {"level": level, "message": f"{level}: what to do", "flags": flags}})


def flags_of(kb: KnowledgeBase, level: str) -> list[str]:
    """Red flags of the check-in whose answers give ``level`` (``cauda equina`` signs for emergency ...)."""
    for flag in kb.red_flags.values():
        if safety_for_flags(kb, [flag.id])["level"] == level:
            return [flag.id]
    return []


def test_an_assessment_that_withholds_the_program_stops_it() -> None:
    kb = default()
    (stop,) = program_stops(kb, assessed("urgent"), [])
    flag = kb.red_flags["saddle_anaesthesia"]
    assert (stop.source, stop.level, stop.on, stop.flags) == (
        "assessment",
        "urgent",
        DAY,
        [f"{flag.name}: {flag.meaning}"],
    )
    assert stop.message == stop_message(kb, ["saddle_anaesthesia"])  # the stop's one message, not the stored one
    assert program_stops(kb, assessed("caution"), []) == []


def test_an_urgent_check_in_since_the_assessment_stops_it_until_a_new_assessment() -> None:
    kb = default()
    later = DAY + dt.timedelta(days=3)
    urgent = CheckedIn(later, NOON + dt.timedelta(days=3), "emergency", flags_of(kb, "emergency"))
    fine_after = CheckedIn(later + dt.timedelta(days=1), None, "clear")
    (stop,) = program_stops(kb, assessed("clear"), [urgent, fine_after])  # a later clear one does not undo it
    assert (stop.source, stop.level, stop.on) == ("check_in", "emergency", later)
    assert program_stops(kb, assessed("clear", on=later + dt.timedelta(days=2)), [urgent]) == []  # seen since


def test_on_the_assessments_day_only_a_check_in_stored_after_it_counts() -> None:
    kb = default()
    before = CheckedIn(DAY, NOON - dt.timedelta(hours=2), "urgent", flags_of(kb, "urgent"))
    after = CheckedIn(DAY, NOON + dt.timedelta(hours=2), "urgent", flags_of(kb, "urgent"))
    assert program_stops(kb, assessed("clear"), [before]) == []
    assert [s.source for s in program_stops(kb, assessed("clear"), [after])] == ["check_in"]


@given(
    level=st.sampled_from(LEVELS),
    check_ins=st.lists(st.tuples(st.integers(-10, 10), st.sampled_from(LEVELS)), max_size=6),
)
def test_the_program_stops_exactly_when_the_assessment_or_a_check_in_since_it_withholds_it(
    level: str, check_ins: list[tuple[int, str]]
) -> None:
    kb = default()
    answered = [CheckedIn(DAY + dt.timedelta(days=d), None, lvl, flags_of(kb, lvl)) for d, lvl in check_ins]
    stops = program_stops(kb, assessed(level), answered)
    withheld = level in ("urgent", "emergency")
    since = [c for c in answered if c.checked_on >= DAY and c.level in ("urgent", "emergency")]
    expected = ({"assessment"} if withheld else set()) | ({"check_in"} if since else set())
    assert {s.source for s in stops} == expected


def test_a_check_in_is_due_weekly() -> None:
    assert check_in_due(None, DAY)
    assert not check_in_due(DAY, DAY + dt.timedelta(days=CHECK_IN_EVERY_DAYS))
    assert check_in_due(DAY, DAY + dt.timedelta(days=CHECK_IN_EVERY_DAYS + 1))
    assert check_ins_that_count_from(None, DAY) is None
    assert check_ins_that_count_from(DAY, DAY + dt.timedelta(days=30)) == DAY
    assert check_ins_that_count_from(DAY, DAY + dt.timedelta(days=2)) == DAY - dt.timedelta(days=5)


def test_a_sessions_minutes_are_refused_outside_their_range_in_plain_words() -> None:
    low, high = MINUTES_RANGE
    assert [minutes_problem(m) for m in (low, high)] == [None, None]
    assert minutes_problem(None) == "required"
    for wrong in (low - 1, high + 1, 20.5, True, "20"):
        assert f"expected {low} to {high} whole minutes" in str(minutes_problem(wrong))


def test_a_check_in_is_weighed_with_the_conditions_of_the_assessment() -> None:
    kb = default()
    assert conditions_of(kb, {"client": {"conditions": ["osteoporosis", "hip_replacement", "not a condition"]}}) == [
        "osteoporosis",
        "hip_replacement",
    ]
    assert conditions_of(kb, {}) == []
    assert check_in_safety(kb, ["minor_trauma"], [])["level"] == "caution"
    assert check_in_safety(kb, ["minor_trauma"], ["osteoporosis"])["level"] == "urgent"  # a fracture risk
    assert check_in_safety(kb, [], ["osteoporosis", "pregnancy"])["level"] == "clear"  # weighed at the assessment
    document = {"client": {"conditions": ["osteoporosis"]}}
    urgent = CheckedIn(DAY + dt.timedelta(days=3), None, "urgent", ["minor_trauma"])
    (stop,) = program_stops(kb, Assessed(DAY, NOON, {"safety": None}, document), [urgent])
    assert "vertebral fracture" in stop.message
