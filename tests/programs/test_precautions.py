"""Precautions by position: for any client, nothing offered puts the body in a position one of their
conditions forbids - program items, suggested tests, swap options, progressions and regressions - and a
condition changes the exercise rather than dropping the goal."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.knowledge.precautions import barriers, may_offer, why_not
from rebalance.programs.edit import alternatives
from rebalance.programs.profile import Profile
from rebalance.programs.progress import apply
from rebalance.programs.select import select
from tests.factories import ruled_out
from tests.synthetic import random_assessment

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)
CONDITIONS = sorted(default().conditions)
some_conditions = st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3, unique=True)


def _offered_exercises(kb: Any, program: dict[str, Any]) -> dict[str, list[str]]:
    """Everything the program offers or could turn into: items, their swap options, progressions, regressions."""
    client = program["client"]
    out: dict[str, list[str]] = {"item": [], "swap option": [], "progression": [], "regression": []}
    for item in program["items"]:
        out["item"].append(item["exercise_id"])
        out["swap option"] += [a["exercise_id"] for a in alternatives(kb, program, item["exercise_id"])]
        out["progression"].append(apply(kb, item, "progress", client)["exercise_id"])
        out["regression"].append(apply(kb, item, "regress", client)["exercise_id"])
    return out


@SETTINGS
@given(seeds, some_conditions)
def test_nothing_offered_to_any_client_uses_a_position_their_conditions_forbid(
    seed: int, conditions: list[str]
) -> None:
    kb = default()
    data = random_assessment(kb, random.Random(seed), flags=False)  # red flags would withhold most programs
    data["client"]["conditions"] = conditions
    doc = analyse_document(data)
    # the client's conditions and any a standing screen implies (e.g. hip osteoarthritis) hold for the
    # tests suggested and the tests coverage asks for, as for the program
    implied = [
        c for p in doc["patterns"] if p["kind"] == "screen" for c in kb.pattern[p["id"]].screen.implies_conditions
    ]
    kept = [*conditions, *implied]
    for test_id in [s["test"] for s in doc["suggested_tests"]] + doc["coverage"]["missing"]:
        assert not ruled_out(kept, test_id, "tests"), (kept, test_id)
    if doc["program"] is None:
        return
    assert set(kept) <= set(doc["program"]["client"]["conditions"])
    kept = doc["program"]["client"]["conditions"]
    for what, ids in _offered_exercises(kb, doc["program"]).items():
        for ex_id in ids:
            assert not ruled_out(kept, ex_id), (kept, what, ex_id)


@SETTINGS
@given(seeds)
def test_the_generator_draws_the_new_conditions_and_they_are_respected(seed: int) -> None:
    kb = default()
    data = random_assessment(kb, random.Random(seed))
    conditions = data["client"]["conditions"]
    assert set(conditions) <= set(kb.conditions)
    program = analyse_document(data)["program"]
    for ex_id in [] if program is None else _offered_exercises(kb, program)["item"]:
        assert not ruled_out(conditions, ex_id), (conditions, ex_id)


def test_the_generator_draws_every_condition_including_the_hip_replacement_approaches() -> None:
    kb = default()
    drawn = {c for seed in range(600) for c in random_assessment(kb, random.Random(seed))["client"]["conditions"]}
    assert drawn == set(kb.conditions)
    assert {"hip_replacement_posterior", "hip_replacement_anterior"} <= drawn


# the filter


def test_the_filter_names_the_condition_and_the_position_in_plain_words() -> None:
    kb = default()
    ex = kb.exercise["ball_release_piriformis"]
    reason = why_not(kb, ex, ["hip_replacement_posterior"])
    assert reason == "Hip replacement (posterior approach) rules out pressure over the hip or buttock"
    assert why_not(kb, ex, ["hip_replacement_posterior"], equipment={"wall"}) == reason  # the condition first
    assert why_not(kb, ex, [], equipment={"wall"}) == "needs massage ball"
    assert why_not(kb, ex, [], equipment={"wall", "massage_ball"}) is None
    assert not may_offer(kb, kb.test["overhead_squat"], ["hip_replacement"])
    assert may_offer(kb, kb.test["overhead_squat"], ["hip_replacement_anterior"])


def test_a_contraindication_by_name_still_rules_an_exercise_out() -> None:
    kb = default()
    ex = kb.exercise["single_leg_bridge"]
    assert "recent_spinal_surgery" in ex.contraindications
    [barrier] = barriers(kb, ex, ["recent_spinal_surgery"])
    assert barrier.position is None and "level-1" in barrier.why
    assert why_not(kb, ex, ["recent_spinal_surgery"]) is not None


def test_a_condition_the_knowledge_base_does_not_know_forbids_nothing() -> None:
    kb = default()
    assert barriers(kb, kb.exercise["glute_bridge"], ["no_such_condition"]) == []


# per condition: the characteristic exercise goes, an alternative or a supported variant comes

HOME = frozenset(e.id for e in default().equipment.values() if e.household) | {
    "massage_ball",
    "foam_roller",
    "dumbbell",
    "band",
    "swiss_ball",
}


Finding = tuple[str, str, str | None]  # kind, target, side


def _program(conditions: list[str], findings: list[Finding], level: int) -> tuple[set[str], set[str]]:
    kb = default()
    gentle = any(kb.conditions[c].urgency == "caution" for c in conditions)
    profile = Profile(
        mode="gentle" if gentle else "full",
        level=1 if gentle else level,
        conditions=frozenset(conditions),
        equipment=HOME,
        neural=any(k == "neural" for k, _, _ in findings),
        older=False,
        deconditioned=False,
        reasons=(),
    )
    docs = [
        {
            "id": ":".join(x for x in (k, t, s) if x),
            "kind": k,
            "target": t,
            "side": s,
            "severity": "moderate",
            "confidence": 0.8,
        }
        for k, t, s in findings
    ]
    choices, hands_on = select(kb, profile, docs)
    return {c.exercise.id for c in choices}, {h["finding"] for h in hands_on}


# condition, findings, starting level, the exercise it rules out, what comes instead (or, with nothing safe
# to do at home, the finding referred for hands-on care)
CASES = [
    ("pregnancy", [("weak", "gluteus_maximus", "right")], 1, "glute_bridge", {"sit_to_stand"}, set()),
    (
        "hip_osteoarthritis",
        [("tight", "piriformis", "right")],
        3,
        "seated_piriformis_stretch",
        {"ball_release_piriformis"},
        set(),
    ),
    (
        "osteoporosis",
        [("tight", "erector_spinae", None)],
        1,
        "knee_to_chest_stretch",
        {"standing_back_extensor_press", "supported_single_leg_balance"},
        set(),
    ),
    (
        "hip_replacement_posterior",
        [("weak", "iliopsoas", "right")],
        1,
        "seated_hip_flexor_lift",
        {"standing_knee_lift"},
        set(),
    ),
    (
        "hip_replacement_posterior",
        [("tight", "piriformis", "right")],
        3,
        "ball_release_piriformis",
        set(),
        {"tight:piriformis:right"},
    ),
    (
        "hip_replacement_anterior",
        [("tight", "iliopsoas", "right")],
        1,
        "standing_hip_flexor_stretch",
        set(),
        {"tight:iliopsoas:right"},
    ),
    (
        "hip_replacement",
        [("tight", "iliopsoas", "right")],
        3,
        "half_kneeling_hip_flexor_stretch",
        set(),
        {"tight:iliopsoas:right"},
    ),
    ("knee_replacement", [("weak", "quadriceps", "right")], 3, "goblet_squat", {"step_up"}, set()),
    (
        "knee_pain",
        [("tight", "iliopsoas", "right")],
        3,
        "half_kneeling_hip_flexor_stretch",
        {"standing_hip_flexor_stretch"},
        set(),
    ),
    (
        "wrist_pain",
        [("tight", "gastrocnemius_soleus", "right")],
        2,
        "foam_roll_calves",
        {"standing_calf_stretch"},
        set(),
    ),
    ("hypertension", [("weak", "quadriceps", "right")], 3, "goblet_squat", {"split_squat"}, set()),
    (
        "balance_impairment",
        [("asymmetry", "dynamometry", "right"), ("movement", "asymmetric_weight_shift", None)],
        3,
        "single_leg_romanian_deadlift",
        {"split_squat", "supported_single_leg_balance"},
        set(),
    ),
    ("spinal_stenosis", [("weak", "erector_spinae", None)], 3, "prone_back_extension", {"bird_dog"}, set()),
    (
        "spondylolisthesis",
        [("tight", "rectus_femoris", "right")],
        1,
        "prone_quad_stretch",
        {"standing_quad_stretch"},
        set(),
    ),
    (
        "disc_herniation",
        [("neural", "sciatic_nerve", "right")],
        3,
        "sciatic_nerve_tensioner",
        {"sciatic_nerve_slider_seated"},
        set(),
    ),
    (
        "recent_spinal_surgery",
        [("tight", "quadratus_lumborum", "right")],
        1,
        "ball_release_quadratus_lumborum",
        set(),
        {"tight:quadratus_lumborum:right"},
    ),
    ("shoulder_pain", [("weak", "obliques", None)], 3, "front_plank", {"mcgill_curl_up"}, set()),
    ("hypermobility", [("tight", "rectus_femoris", "right")], 3, "couch_stretch", {"prone_quad_stretch"}, set()),
]


def test_every_condition_has_a_case() -> None:
    """Every condition that forbids a position has a case here (diabetes forbids none: Colberg 2016)."""
    assert {c[0] for c in CASES} == {c.id for c in default().conditions.values() if c.forbids}


@pytest.mark.parametrize(
    ("condition", "findings", "level", "gone", "instead", "referred"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES]
)
def test_a_condition_swaps_its_forbidden_exercise_for_a_safe_one(
    condition: str,
    findings: list[Finding],
    level: int,
    gone: str,
    instead: set[str],
    referred: set[str],
) -> None:
    before, _ = _program([], findings, 1 if default().conditions[condition].urgency == "caution" else level)
    after, hands_on = _program([condition], findings, level)
    assert gone in before, f"{gone} is what this client gets without {condition}: {sorted(before)}"
    assert ruled_out([condition], gone), f"{condition} rules {gone} out"
    assert gone not in after
    assert instead <= after, sorted(after)
    assert referred <= hands_on, sorted(hands_on)
    for ex_id in after:
        assert not ruled_out([condition], ex_id), ex_id


def test_an_osteoporotic_woman_who_has_fallen_gets_back_extensor_and_supported_balance_work() -> None:
    """Giangregorio 2014: balance and strength (back extensors, Sinaki 2010), never loaded flexion."""
    doc = analyse_document(
        {
            "schema": "rebalance.assessment/1",
            "date": "2026-11-02",
            "client": {"id": "op-1", "age": 74, "sex": "female", "conditions": ["osteoporosis", "balance_impairment"]},
            "symptoms": {"pain_now": 3, "duration_weeks": 30, "locations": [{"region": "low_back", "side": "central"}]},
            "tests": {"mmt": {"abdominals": {"left": 3.5, "right": 3.5}}},
        }
    )
    items = {i["exercise_id"]: i for i in doc["program"]["items"]}
    assert "standing_back_extensor_press" in items and "supported_single_leg_balance" in items
    assert "single_leg_balance" not in items and "mcgill_curl_up" not in items
    assert "Osteoporosis calls for back-extensor strengthening" in items["standing_back_extensor_press"]["why"]
    forbidden = {f.position for c in ("osteoporosis", "balance_impairment") for f in default().conditions[c].forbids}
    for ex_id in items:
        assert not set(default().exercise[ex_id].positions) & forbidden, ex_id
