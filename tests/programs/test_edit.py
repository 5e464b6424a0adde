"""A clinician's edits: alternatives, swaps and dosages — new versions that never bypass safety."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document, analyse_file
from rebalance.errors import InvalidInputError
from rebalance.knowledge.loader import default
from rebalance.knowledge.queries import addresses_by_exercise, base_id
from rebalance.programs.edit import alternatives, dosage_problems, set_dosage, swap
from rebalance.programs.profile import exclusion, from_program
from tests.conftest import EXAMPLES
from tests.factories import ruled_out
from tests.synthetic import random_assessment

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def program_of(case: str) -> dict[str, Any]:
    program: dict[str, Any] = analyse_file(EXAMPLES / f"{case}.yaml")["program"]
    return program


def item(program: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    return next(i for i in program["items"] if i["exercise_id"] == exercise_id)


def paths(exc: pytest.ExceptionInfo[InvalidInputError]) -> dict[str, str]:
    return {p.path: p.message for p in exc.value.problems}


# alternatives


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_an_alternative_is_never_ruled_out_unequipped_or_off_target(seed: int) -> None:
    kb = default()
    data = random_assessment(kb, random.Random(seed))
    program = analyse_document(data)["program"]
    if program is None:
        return
    conditions, covers = set(data["client"]["conditions"]), addresses_by_exercise(kb)
    in_program = {i["exercise_id"] for i in program["items"]}
    for it in program["items"]:
        for alt in alternatives(kb, program, it["exercise_id"]):
            ex = kb.exercise[alt["exercise_id"]]
            assert not ruled_out(conditions, ex.id), ex.id
            assert exclusion(kb, ex, from_program(program), stretch=1) is None, ex.id
            assert ex.id not in in_program
            bases = {base_id(f) for f in it["addresses"]}
            assert (bases & covers[ex.id]) if bases else ex.intent == it["intent"], (it["exercise_id"], ex.id)


def test_a_pregnant_client_is_never_offered_the_bridges_her_condition_rules_out() -> None:
    kb = default()
    program = program_of("pregnancy_pelvic_girdle_caution")
    assert "pregnancy" in program["client"]["conditions"]
    offered = {a["exercise_id"] for i in program["items"] for a in alternatives(kb, program, i["exercise_id"])}
    assert ruled_out(["pregnancy"], "glute_bridge") == {"supine_lying"}
    assert not offered & {"glute_bridge", "single_leg_bridge"}


def test_a_disc_herniation_rules_out_the_nerve_tensioner() -> None:
    kb = default()
    program = program_of("nerve_root_l5_s1")
    offered = [a["exercise_id"] for a in alternatives(kb, program, "sciatic_nerve_slider_seated")]
    assert offered == ["sciatic_nerve_slider_supine"]
    assert "nerve_tensioning_repeated" in ruled_out(["disc_herniation"], "sciatic_nerve_tensioner")


def test_alternatives_say_which_findings_they_address_and_come_best_first() -> None:
    kb = default()
    program = program_of("lower_crossed_desk_worker")
    alts = alternatives(kb, program, "prone_quad_stretch")
    assert alts[0]["exercise_id"] == "standing_quad_stretch"
    assert alts[0]["addresses"] == item(program, "prone_quad_stretch")["addresses"]
    assert [len(a["addresses"]) for a in alts] == sorted((len(a["addresses"]) for a in alts), reverse=True)
    assert all(a["why"] and a["name"] for a in alts)


def test_an_item_tied_to_no_finding_is_replaced_by_one_of_its_intent() -> None:
    alts = alternatives(default(), program_of("piriformis_right"), "seated_breathing")
    assert {a["intent"] for a in alts} == {"relaxation"}


def test_an_exercise_not_in_the_program_has_no_alternatives() -> None:
    with pytest.raises(InvalidInputError) as exc:
        alternatives(default(), program_of("piriformis_right"), "front_plank")
    assert list(paths(exc)) == ["exercise_id"]


# swap


def test_a_swap_is_a_new_version_and_leaves_the_old_one_untouched() -> None:
    kb = default()
    program = program_of("piriformis_right")
    before = copy.deepcopy(program)
    new = swap(kb, program, "lateral_band_walk", "clamshell")
    assert program == before
    assert new["version"] == program["version"] + 1
    assert new["last_edit"] == {"change": "swap", "exercise_id": "lateral_band_walk", "new_exercise_id": "clamshell"}
    ids = [i["exercise_id"] for i in new["items"]]
    assert "clamshell" in ids and "lateral_band_walk" not in ids
    scheduled = {x["exercise_id"] for d in new["schedule"] for x in d["items"]}
    assert "clamshell" in scheduled and "lateral_band_walk" not in scheduled
    swapped = item(new, "clamshell")
    assert swapped["addresses"] == item(program, "lateral_band_walk")["addresses"]
    assert swapped["why"].startswith("Chosen by the clinician in place of")
    assert swapped["dosage"]["days_per_week"] <= kb.criterion["strength_days_max"].value


def test_a_swapped_stretch_keeps_to_the_side_that_needs_it() -> None:
    new = swap(default(), program_of("piriformis_right"), "ball_release_piriformis", "supine_piriformis_stretch")
    assert item(new, "supine_piriformis_stretch")["side"] == "right"


def test_a_swap_still_fits_the_minutes_of_a_session() -> None:
    program = program_of("sacroiliac_postpartum")
    new = swap(default(), program, "glute_bridge", "split_squat")
    for day in new["schedule"]:
        assert sum(x["seconds"] for x in day["items"]) <= new["minutes_per_session"] * 60


def test_a_swap_for_anything_but_an_alternative_is_refused_with_the_reason() -> None:
    kb = default()
    program = program_of("pregnancy_pelvic_girdle_caution")
    with pytest.raises(InvalidInputError) as exc:
        swap(kb, program, "abdominal_bracing", "glute_bridge")
    assert "cannot be given to this client: Pregnancy rules out lying on the back" in paths(exc)["new_exercise_id"]
    with pytest.raises(InvalidInputError) as exc:
        swap(kb, program, "abdominal_bracing", "walking")
    assert "already in this program" in paths(exc)["new_exercise_id"]
    with pytest.raises(InvalidInputError) as exc:
        swap(kb, program, "abdominal_bracing", "glute_bridg")
    assert "did you mean glute_bridge" in paths(exc)["new_exercise_id"]


# dosage


def test_a_dosage_change_is_a_new_version() -> None:
    kb = default()
    program = program_of("piriformis_right")
    new = set_dosage(kb, program, "seated_piriformis_stretch", {"sets": 2, "hold_s": 45, "days_per_week": 5})
    changed = item(new, "seated_piriformis_stretch")["dosage"]
    assert (changed["sets"], changed["hold_s"], changed["days_per_week"]) == (2, 45, 5)
    assert changed["source"] == item(program, "seated_piriformis_stretch")["dosage"]["source"]
    assert new["version"] == program["version"] + 1
    assert new["last_edit"]["change"] == "dosage"
    assert item(program, "seated_piriformis_stretch")["dosage"]["hold_s"] == 30


@pytest.mark.parametrize(
    ("exercise", "dose", "field", "why"),
    [
        ("seated_piriformis_stretch", {"sets": 0, "hold_s": 30, "days_per_week": 7}, "sets", "expected 1 to 10"),
        ("seated_piriformis_stretch", {"sets": 2, "hold_s": 30, "days_per_week": 8}, "days_per_week", "2 to 7"),
        ("lateral_band_walk", {"sets": 2, "reps": 12, "days_per_week": 1}, "days_per_week", "at least 2 days"),
        ("seated_piriformis_stretch", {"sets": 5, "hold_s": 30, "days_per_week": 7}, "sets", "at most 4 sets"),
        ("seated_piriformis_stretch", {"sets": 2, "hold_s": 90, "days_per_week": 7}, "hold_s", "at most 60 s"),
        ("seated_piriformis_stretch", {"sets": 2, "reps": 10, "hold_s": 30, "days_per_week": 7}, "reps", "leave it"),
        ("seated_piriformis_stretch", {"sets": 2, "days_per_week": 7}, "hold_s", "required"),
        ("lateral_band_walk", {"sets": 2, "reps": 12, "days_per_week": 5}, "days_per_week", "at most 3 strength"),
        ("lateral_band_walk", {"sets": 2, "reps": 40, "days_per_week": 3}, "reps", "at most 25 repetitions"),
        ("lateral_band_walk", {"sets": 2, "reps": 12.5, "days_per_week": 3}, "reps", "expected a whole number"),
        ("lateral_band_walk", {"sets": 2, "reps": 12, "days_per_week": 3, "load": 5}, "load", "unknown field"),
    ],
)
def test_a_dosage_outside_its_limits_is_refused_naming_the_field(
    exercise: str, dose: dict[str, Any], field: str, why: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        set_dosage(default(), program_of("piriformis_right"), exercise, dose)
    assert why in paths(exc)[f"dosage.{field}"]


def test_a_gentle_program_keeps_its_gentle_number_of_sets() -> None:
    program = program_of("nerve_root_l5_s1")
    assert program["mode"] == "gentle"
    problems = dosage_problems(
        default(), program, "abdominal_bracing", {"sets": 3, "reps": 10, "hold_s": 10, "days_per_week": 3}
    )
    assert [(p.path, p.message) for p in problems] == [
        ("dosage.sets", "at most 2 sets while a clinician reviews a gentle (caution) program")
    ]


def test_every_problem_of_a_dosage_is_listed_at_once() -> None:
    problems = dosage_problems(
        default(), program_of("piriformis_right"), "lateral_band_walk", {"sets": 9, "days_per_week": 9}
    )
    assert {p.path for p in problems} == {"dosage.sets", "dosage.reps", "dosage.days_per_week"}


def test_walking_is_dosed_in_minutes_and_the_week_holds_what_fits() -> None:
    program = program_of("piriformis_right")
    new = set_dosage(default(), program, "walking", {"sets": 1, "minutes": 45, "days_per_week": 5})
    walk = item(new, "walking")
    assert walk["prescribed"]["minutes"] == 45  # beyond any stretch cap: minutes are not seconds of hold
    assert walk["dosage"]["minutes"] <= program["minutes_per_session"]  # a 20-minute session holds no 45-minute walk
    held = [x["seconds"] for d in new["schedule"] for x in d["items"] if x["exercise_id"] == "walking"]
    assert held == [walk["dosage"]["minutes"] * 60] * walk["dosage"]["days_per_week"]
    with pytest.raises(InvalidInputError) as exc:
        set_dosage(default(), program, "walking", {"sets": 1, "hold_s": 1800, "days_per_week": 5})
    assert "not dosed with a hold" in paths(exc)["dosage.hold_s"]
