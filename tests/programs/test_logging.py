"""Logging that fits the exercise: minutes for a walk, seconds for a hold, repetitions for the rest,
and progression feedback in the same unit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import default
from rebalance.programs.dose import dose_kind
from rebalance.programs.logs import log_fields, minutes_done, parse_logs
from rebalance.programs.progress import decisions, progress
from rebalance.reports.progress import render_progress
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("exercise", "kind"),
    [
        ("walking", "timed"),
        ("stationary_cycling", "timed"),
        ("swimming", "timed"),
        ("seated_breathing", "timed"),
        ("half_kneeling_hip_flexor_stretch", "hold"),
        ("foam_roll_quadriceps", "hold"),
        ("glute_bridge", "reps"),
        ("plank_on_knees", "reps"),
    ],
)
def test_every_exercise_says_how_it_is_dosed(exercise: str, kind: str) -> None:
    assert dose_kind(default().exercise[exercise]) == kind


def test_every_aerobic_or_relaxation_exercise_is_dosed_in_minutes() -> None:
    for ex in default().exercise.values():
        assert (dose_kind(ex) == "timed") == (ex.intent in ("aerobic", "relaxation")), ex.id


@pytest.fixture(scope="module")
def program() -> dict[str, Any]:
    return analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=45)["program"]


def item(program: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    return next(i for i in program["items"] if i["exercise_id"] == exercise_id)


def fields(program: dict[str, Any], exercise_id: str) -> list[tuple[str, str, str, int | None]]:
    return [(f.name, f.label, f.unit, f.default) for f in log_fields(default(), item(program, exercise_id))]


def test_a_walk_is_logged_in_minutes_with_the_dose_as_the_default(program: dict[str, Any]) -> None:
    walk = item(program, "walking")
    asked = fields(program, "walking")
    assert asked[0] == ("minutes", "Minutes done", "min", walk["dosage"]["minutes"])
    assert not {"sets", "hold_s", "reps"} & {name for name, *_ in asked}
    assert [name for name, *_ in asked[1:]] == ["pain_during", "effort"]


def test_a_stretch_is_logged_as_sets_and_the_hold_in_seconds(program: dict[str, Any]) -> None:
    stretch = item(program, "standing_hip_flexor_stretch")["dosage"]
    assert fields(program, "standing_hip_flexor_stretch")[:2] == [
        ("sets", "Sets done", "sets", stretch["sets"]),
        ("hold_s", "Longest hold", "s", stretch["hold_s"]),
    ]


def test_repetitions_are_logged_as_repetitions_and_a_held_repetition_with_its_hold(program: dict[str, Any]) -> None:
    assert [name for name, *_ in fields(program, "glute_bridge")][:2] == ["sets", "reps"]
    assert [name for name, *_ in fields(program, "plank_on_knees")][:3] == ["sets", "reps", "hold_s"]


def logs(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": "rebalance.logs/1",
        "sessions": [{"date": f"2026-03-{3 + k:02d}", "entries": [e]} for k, e in enumerate(entries)],
    }


def test_older_logs_with_a_walk_in_seconds_stay_valid_and_read_as_minutes() -> None:
    old = parse_logs(logs({"exercise_id": "walking", "done": True, "sets": 1, "hold_s": 1500, "pain_during": 1}))
    new = parse_logs(logs({"exercise_id": "walking", "done": True, "minutes": 25, "pain_during": 1}))
    assert minutes_done(old.sessions[0].entries[0]) == minutes_done(new.sessions[0].entries[0]) == 25


def test_minutes_outside_their_range_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_logs(logs({"exercise_id": "walking", "done": True, "minutes": 601}))
    assert [p.path for p in refused.value.problems] == ["sessions[0].entries[0].minutes"]


def test_two_good_walks_step_the_walk_up_by_minutes_in_words() -> None:
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=45)
    walk = item(doc["program"], "walking")
    done = {"exercise_id": "walking", "done": True, "minutes": walk["dosage"]["minutes"], "pain_during": 1}
    [decision] = decisions(default(), doc, parse_logs(logs(done, done)), {"walking"})
    assert decision["decision"] == "progress"
    more = walk["dosage"]["minutes"] + 5
    assert decision["new_dosage"]["minutes"] == more and decision["new_dosage"]["hold_s"] is None
    assert decision["next_step"].startswith(f"Brisk walking for {more} minutes")
    result = progress(default(), doc, parse_logs(logs(done, done)))
    text = render_progress(result)
    assert f"Brisk walking for {more} minutes" in text
    assert not re.search(r"hold \d{3,} s|hold_s", text)  # never "1 set, hold 1800 s"


def test_a_walk_short_of_its_minutes_does_not_progress() -> None:
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=45)
    short = item(doc["program"], "walking")["dosage"]["minutes"] - 1
    done = {"exercise_id": "walking", "done": True, "minutes": short, "pain_during": 0}
    [decision] = decisions(default(), doc, parse_logs(logs(done, done)), {"walking"})
    assert decision["decision"] == "hold" and "next_step" not in decision


def test_a_walk_logged_as_done_without_its_minutes_counts_as_the_walk_asked_for() -> None:
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=45)
    done = {"exercise_id": "walking", "done": True, "pain_during": 1}
    [decision] = decisions(default(), doc, parse_logs(logs(done, done)), {"walking"})
    assert decision["decision"] == "progress"


def test_a_step_the_session_has_no_room_for_is_not_promised() -> None:
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=10)
    walk = item(doc["program"], "walking")
    done = {"exercise_id": "walking", "done": True, "minutes": walk["dosage"]["minutes"], "pain_during": 0}
    [decision] = decisions(default(), doc, parse_logs(logs(done, done)), {"walking"})
    assert decision["decision"] == "progress"
    week = {
        x["seconds"]
        for d in progress(default(), doc, parse_logs(logs(done, done)))["program"]["schedule"]
        for x in d["items"]
        if x["exercise_id"] == "walking"
    }
    if "next_step" in decision:  # what it promises is what the next week holds
        assert week == {decision["new_dosage"]["minutes"] * 60}
    else:
        assert "no minutes to spare" in decision["reason"]


@pytest.mark.parametrize(("minutes", "room"), [(10, False), (30, True)])
def test_the_walking_card_and_the_feedback_say_one_thing_about_more_minutes(minutes: int, room: bool) -> None:
    """The card: 5 minutes longer after two good walks if the week has minutes to spare; the feedback after
    two good walks: the 5 minutes more where the week has them, else that it has none and to keep the dose."""
    from rebalance.programs.feedback import _feedback
    from rebalance.programs.progress import NO_ROOM

    kb = default()
    [step] = [s for s in kb.exercise["walking"].steps if "5 minutes" in s]
    assert "5 minutes longer if the week has minutes to spare" in step
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", minutes=minutes)
    walk = item(doc["program"], "walking")["dosage"]["minutes"]
    done = {"exercise_id": "walking", "done": True, "minutes": walk, "pain_during": 0}
    [decision] = decisions(kb, doc, parse_logs(logs(done, done)), {"walking"})
    feedback = _feedback(kb, decision, {"walking": "Brisk walking"})
    if room:
        assert decision["next_step"].startswith(f"Brisk walking for {walk + 5} minutes")
        assert NO_ROOM not in decision["reason"] and "next step" in feedback.headline
    else:
        assert decision["reason"].endswith("the week has no minutes to spare for it: keep this dose for now")
        assert "next_step" not in decision and feedback.next_time is None
        assert feedback.headline == "Going well: keep this dose for now"


def test_no_exercise_step_promises_more_minutes_the_week_may_not_hold() -> None:
    for ex in default().exercise.values():
        for step in ex.steps:
            if re.search(r"\b(add|adding) \d+ minutes|\d+ minutes (longer|more)", step, re.IGNORECASE):
                assert "if the week has minutes to spare" in step, (ex.id, step)


def test_a_logged_entry_in_words_writes_numbers_as_people_do() -> None:
    """A hold stored as 10.0 reads "held 10 s", never "held 10.0 s"."""
    from rebalance.knowledge.loader import default
    from rebalance.programs.logs import entry_words

    item = {"exercise_id": "glute_bridge", "name": "Glute bridge", "dosage": {"sets": 2, "reps": 10, "hold_s": 10}}
    entry = {"done": True, "sets": 2, "reps": 10, "hold_s": 10.0, "pain_during": 1}
    assert entry_words(default(), item, entry) == "Glute bridge: 2 sets, 10 repetitions, held 10 s, pain 1/10"
