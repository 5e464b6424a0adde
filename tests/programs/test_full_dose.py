"""The full dose an item names ("With more minutes a session, the full dose is ...") is true.

The note appears only when the week's minutes are why the item has less than its prescription: the
same program built with more minutes gives the item its full dose. And the full dose is one the patient
earned: a step up is one step over the dose done, never two (Maria's maintenance draft walked 10
minutes and named 20 as the full dose, prescribed by stepping from a 15 the week never held).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from rebalance.api import analyse_file
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.build import fit_week
from rebalance.programs.dose import DOSE_FIELDS, reduced_note
from rebalance.programs.logs import Logs, parse_logs
from rebalance.programs.progress import apply, progress
from rebalance.programs.revise import revise
from tests.conftest import EXAMPLES

LONGEST = 240  # MINUTES_RANGE's most
FOLLOW_UPS = {"piriformis_right": "followup/piriformis_right_week6"}  # every example with a follow-up
CASES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def dose(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item["dosage"].get(k) for k in DOSE_FIELDS}


def full(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item["prescribed"].get(k) for k in DOSE_FIELDS}


def done_as_asked(program: dict[str, Any], dates: tuple[str, ...]) -> Logs:
    """Sessions as the demo logs them: every item done at the dose the week held, two repetitions over
    it, no pain: what earns each a step up."""
    entries = []
    for item in program["items"]:
        d = item["dosage"]
        entry: dict[str, Any] = {"exercise_id": item["exercise_id"], "done": True, "pain_during": 1}
        entry |= {"pain_next_morning": 1, **({"minutes": d["minutes"]} if d.get("minutes") else {"sets": d["sets"]})}
        entry |= {"reps": d["reps"] + 2} if d.get("reps") else {}
        entry |= {"hold_s": d["hold_s"]} if d.get("hold_s") else {}
        entries.append(entry)
    return parse_logs({"schema": "rebalance.logs/1", "sessions": [{"date": d, "entries": entries} for d in dates]})


def assert_notes_are_true(kb: KnowledgeBase, program: dict[str, Any], where: str) -> None:
    """Each note names the dose the same program gives the item with more minutes; an item without one has
    its full dose (a fitted week never hides a cut for time)."""
    longer_week = fit_week(kb, {**copy.deepcopy(program), "minutes_per_session": LONGEST})
    roomy = {i["exercise_id"]: i for i in longer_week["items"]}
    for item in program["items"]:
        note = reduced_note(item)
        if note is None:
            assert dose(item) == full(item), (where, item["exercise_id"])
            continue
        assert note.startswith("With more minutes a session, the full dose is "), (where, note)
        longer = roomy[item["exercise_id"]]
        assert dose(longer) == full(item), (where, item["exercise_id"], "more minutes do not give", note)
        assert dose(longer) != dose(item), (where, item["exercise_id"])


@pytest.mark.parametrize("minutes", [10, 20, 45])
@pytest.mark.parametrize("case", CASES)
def test_a_note_of_more_minutes_only_where_more_minutes_give_the_full_dose(
    kb: KnowledgeBase, case: str, minutes: int
) -> None:
    """Every example at 10, 20 and 45 minutes: as built, after two good weeks (progress), and revised by its
    follow-up where it has one (else by the same assessment again)."""
    doc = analyse_file(EXAMPLES / f"{case}.yaml", kb, minutes)
    program = doc["program"]
    if program is None:
        return
    assert_notes_are_true(kb, program, f"{case} at {minutes}")
    logs = done_as_asked(program, ("2026-12-01", "2026-12-03"))
    assert_notes_are_true(kb, progress(kb, doc, logs)["program"], f"{case} progressed at {minutes}")
    follow_up = analyse_file(EXAMPLES / f"{FOLLOW_UPS.get(case, case)}.yaml", kb, minutes)
    revised = revise(kb, doc, logs, follow_up)["analysis"]["program"]
    if revised is not None:
        assert_notes_are_true(kb, revised, f"{case} revised at {minutes}")


def marias_draft(kb: KnowledgeBase) -> tuple[dict[str, Any], dict[str, Any]]:
    """Maria's story as the demo tells it: her program, a second version after two good weeks, and her
    follow-up revising it (a maintenance program) after more good sessions: (version 2, the draft)."""
    first = analyse_file(EXAMPLES / "piriformis_right.yaml", kb)
    v2 = progress(kb, first, done_as_asked(first["program"], ("2026-04-15", "2026-04-17")))["program"]
    logs = done_as_asked(v2, ("2026-05-01", "2026-05-03"))
    follow_up = analyse_file(EXAMPLES / "followup/piriformis_right_week6.yaml", kb)
    draft = revise(kb, {**first, "program": v2}, logs, follow_up)["analysis"]["program"]
    return v2, draft


def test_marias_maintenance_draft_walks_one_step_over_her_walks_and_names_no_dose_she_did_not_earn(
    kb: KnowledgeBase,
) -> None:
    v2, draft = marias_draft(kb)
    assert draft["mode"] == "maintenance" and draft["minutes_per_session"] == 20
    walked = next(i for i in v2["items"] if i["exercise_id"] == "walking")["dosage"]["minutes"]
    walking = next(i for i in draft["items"] if i["exercise_id"] == "walking")
    assert walked == 10
    assert walking["prescribed"]["minutes"] == walking["dosage"]["minutes"] == 15  # 10 + one 5-minute step, not 20
    assert reduced_note(walking) is None
    assert_notes_are_true(kb, draft, "Maria's draft")
    breathing = next(i for i in draft["items"] if i["exercise_id"] == "seated_breathing")
    if reduced_note(breathing):  # every day needs more than the 20 minutes: the strength days hold walking too
        assert breathing["prescribed"]["days_per_week"] == 7
        a_minute_more = fit_week(kb, {**copy.deepcopy(draft), "minutes_per_session": 21})
        daily = next(i for i in a_minute_more["items"] if i["exercise_id"] == "seated_breathing")
        assert daily["dosage"] == breathing["prescribed"]


def test_a_step_up_from_a_dose_cut_for_time_is_one_step_over_it(kb: KnowledgeBase) -> None:
    """A walk prescribed 15 minutes, the week holding 10: two good walks of 10 earn 15 (the prescription,
    unchanged), not 20; a walk done at its full 15 earns 20, the prescription raised."""
    walk = {
        "exercise_id": "walking",
        "intent": "aerobic",
        "why": "",
        "prescribed": {"kind": "timed", "sets": 1, "reps": None, "hold_s": None, "minutes": 15, "days_per_week": 5},
        "dosage": {"kind": "timed", "sets": 1, "reps": None, "hold_s": None, "minutes": 10, "days_per_week": 5},
    }
    client = {"conditions": [], "equipment": []}
    cut = apply(kb, walk, "progress", client)
    assert (cut["dosage"]["minutes"], cut["prescribed"]["minutes"]) == (15, 15)
    whole = apply(kb, {**walk, "dosage": dict(walk["prescribed"])}, "progress", client)
    assert (whole["dosage"]["minutes"], whole["prescribed"]["minutes"]) == (20, 20)
    # a revision steps from the old version's dose done, keeping the new program's own days
    revised = apply(kb, {**walk, "dosage": dict(walk["prescribed"])}, "progress", client, done=walk["dosage"])
    assert (revised["prescribed"]["minutes"], revised["prescribed"]["days_per_week"]) == (15, 5)


def test_a_dose_that_is_no_rung_of_its_ladder_says_nothing_of_minutes() -> None:
    """Only fewer sets, minutes or days come from the week's minutes: a dose with other repetitions or
    holds, or more of anything, was not cut for time."""
    prescribed = {"kind": "reps", "sets": 3, "reps": 12, "hold_s": None, "minutes": None, "days_per_week": 3}
    item = {"prescribed": prescribed, "dosage": dict(prescribed)}
    assert reduced_note(item) is None
    cut = {**item, "dosage": {**prescribed, "sets": 1, "days_per_week": 2}}
    assert reduced_note(cut) == "With more minutes a session, the full dose is 3 sets of 12, 3 days a week."
    assert reduced_note({**item, "dosage": {**prescribed, "reps": 10}}) is None
    assert reduced_note({**item, "dosage": {**prescribed, "sets": 4}}) is None
    assert reduced_note({**item, "dosage": {**prescribed, "sets": 1, "reps": 10}}) is None


def test_the_follow_ups_are_examples_of_their_first_assessment() -> None:
    for case, follow_up in FOLLOW_UPS.items():
        first = yaml.safe_load((EXAMPLES / f"{case}.yaml").read_text(encoding="utf-8"))
        later = yaml.safe_load((EXAMPLES / f"{follow_up}.yaml").read_text(encoding="utf-8"))
        assert first["client"]["id"] == later["client"]["id"]
    assessments = [p for p in (EXAMPLES / "followup").glob("*.yaml") if "rebalance.logs" not in p.read_text("utf-8")]
    assert sorted(f"followup/{p.stem}" for p in assessments) == sorted(FOLLOW_UPS.values())
