"""Screens: what is not a muscle imbalance comes first, refers, re-reads nerve-root weakness and adapts the program."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from tests.factories import analysis, assessment, finding_ids, mirror
from tests.synthetic import random_assessment

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)

HIP_HISTORY: dict[str, Any] = {
    "client": {"age": 63},
    "symptoms": {
        "pain_now": 4,
        "duration_weeks": 30,
        "locations": [{"region": "groin", "side": "right"}, {"region": "anterior_thigh", "side": "right"}],
        "aggravated_by": ["squatting"],
    },
}
CLAUDICATION: dict[str, Any] = {
    "pain_now": 3,
    "duration_weeks": 60,
    "locations": [{"region": "low_back", "side": "central"}, {"region": "calf", "side": "left"}],
    "aggravated_by": ["walking"],
    "eased_by": ["sitting"],
}
L5: dict[str, Any] = {
    "symptoms": {
        "pain_now": 5,
        "duration_weeks": 4,
        "locations": [{"region": "shin", "side": "left"}, {"region": "posterior_thigh", "side": "left"}],
    },
    "tests": {
        "passive_slr": {"left": {"angle_deg": 40, "reproduces_leg_pain_below_knee": True}, "right": {"angle_deg": 80}},
        "mmt": {"tibialis_anterior": {"left": 4, "right": 5}},
    },
}


def ids(doc: dict[str, Any]) -> list[str]:
    return [p["id"] for p in doc["patterns"]]


def screen(doc: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in doc["patterns"] if p["id"] == pid)


def generated(seed: int) -> dict[str, Any]:
    return random_assessment(default(), random.Random(seed))


# --- the contract's shape and order -------------------------------------------------------------


@SETTINGS
@given(seeds)
def test_every_screen_stands_above_every_imbalance_and_refers(seed: int) -> None:
    doc = analyse_document(generated(seed))
    kinds = [p["kind"] for p in doc["patterns"]]
    assert kinds == sorted(kinds, key=lambda k: k != "screen"), "an imbalance pattern stands above a screen"
    for p in doc["patterns"]:
        assert default().pattern[p["id"]].kind == p["kind"]
        if p["kind"] == "screen":
            assert p["refer"]["urgency"] in ("routine", "soon", "urgent") and p["refer"]["to"] and p["refer"]["why"]
            assert "may be a consequence of this rather than its cause" in p["explanation"]
            assert "consistent with" in p["explanation"]
        else:
            assert "refer" not in p


def test_with_a_screen_the_imbalances_say_their_findings_may_be_a_consequence() -> None:
    doc = analysis(
        **HIP_HISTORY,
        tests={
            "hip_internal_rotation": {"left": {"deg": 35}, "right": {"deg": 15}},
            "fadir": {"right": {"positive": True}},
            "modified_thomas": {"right": {"thigh_above_horizontal_deg": 10, "knee_flexion_deg": 60}},
            "mmt": {"gluteus_maximus": {"left": 4, "right": 3.5}},
        },
    )
    assert ids(doc)[0] == "hip_joint_pathology"
    assert "lower_crossed_syndrome" in ids(doc)
    for p in doc["patterns"][1:]:
        assert p["explanation"].endswith("may be a consequence of it rather than the cause.")


# --- recognising each screen -----------------------------------------------------------------------


def test_the_hip_screen_needs_a_sign_found_on_examination() -> None:
    assert "hip_joint_pathology" not in ids(analysis(**HIP_HISTORY))  # age, groin pain, squatting: history only
    doc = analysis(**HIP_HISTORY, tests={"hip_internal_rotation": {"left": {"deg": 35}, "right": {"deg": 20}}})
    hip = screen(doc, "hip_joint_pathology")
    assert hip["refer"]["urgency"] == "routine"
    assert "on the right" in hip["explanation"] and "25° or less (20)" in hip["explanation"]


def test_a_normal_hip_examination_gives_no_hip_screen() -> None:
    doc = analysis(
        **HIP_HISTORY,
        tests={
            "hip_internal_rotation": {"left": {"deg": 38}, "right": {"deg": 36}},
            "fadir": {"left": {"positive": False}, "right": {"positive": False}},
        },
    )
    assert "hip_joint_pathology" not in ids(doc)


def test_the_hip_screen_follows_its_side() -> None:
    doc = assessment(**HIP_HISTORY, tests={"hip_internal_rotation": {"left": {"deg": 35}, "right": {"deg": 15}}})
    right = screen(analyse_document(doc), "hip_joint_pathology")
    left = screen(analyse_document(mirror(doc)), "hip_joint_pathology")
    assert "on the right" in right["explanation"] and "on the left" in left["explanation"]
    assert right["confidence"] == left["confidence"]


def test_a_replaced_hip_is_no_hip_screen_and_its_groin_pain_goes_to_the_surgical_team() -> None:
    """After a hip replacement the worn joint is gone: groin pain and a painful scour are the surgical
    team's question (Ferrata 2011), not osteoarthritis, and the figure-4 is not suggested after an
    anterior approach (it turns the new hip fully outward)."""
    tests = {
        "hip_internal_rotation": {"left": {"deg": 35}, "right": {"deg": 15}},
        "hip_scour": {"right": {"positive": True}},
    }
    assert "hip_joint_pathology" in ids(analysis(**HIP_HISTORY, tests=tests))
    for condition in ("hip_replacement", "hip_replacement_anterior", "hip_replacement_posterior"):
        doc = analysis(client={"age": 63, "conditions": [condition]}, symptoms=HIP_HISTORY["symptoms"], tests=tests)
        assert "hip_joint_pathology" not in ids(doc), condition
        assert "surgical team" in str(doc["program"]["warnings"]), condition
        assert not {"faber", "fadir", "hip_scour"} & {t["test"] for t in doc["suggested_tests"]}, condition


def test_a_positive_piriformis_test_beside_a_painful_hip_is_the_joint() -> None:
    """FAIR and Freiberg bend, cross and turn the hip inward: beside hip-joint signs on the same side a
    positive one is the joint's pain (Reiman 2013) - no tight piriformis, no piriformis pattern."""
    piriformis = {"fair": {"right": {"positive": True}}, "freiberg": {"right": {"positive": True}}}
    joint = {
        "hip_internal_rotation": {"left": {"deg": 36}, "right": {"deg": 18}},
        "hip_scour": {"right": {"positive": True}},
    }
    symptoms = {
        **HIP_HISTORY["symptoms"],
        "locations": [{"region": "buttock", "side": "right"}, {"region": "groin", "side": "right"}],
    }
    alone = analysis(client={"age": 58}, symptoms=symptoms, tests=piriformis)
    assert "tight:piriformis:right" in finding_ids(alone)
    doc = analysis(client={"age": 58}, symptoms=symptoms, tests={**piriformis, **joint})
    assert "tight:piriformis:right" not in finding_ids(doc) and "joint:hip_joint:right" in finding_ids(doc)
    assert ids(doc) == ["hip_joint_pathology"]
    # each test read once there: internal rotation in degrees, not again as a left-right percentage
    tests = [e["test"] for f in doc["findings"] if f["id"] == "joint:hip_joint:right" for e in f["evidence"]]
    assert len(tests) == len(set(tests))


def test_reflexes_and_feeling_reduced_alike_on_both_sides_are_not_a_root_sign() -> None:
    """Ankle reflexes reduced on both sides after 60 (Impallomeni 1984) or both feet dulled by diabetes
    (Pop-Busui 2017) are not one nerve root; the same loss on one side is."""
    both = {
        "lower_limb_reflexes": {"left": {"achilles": "reduced"}, "right": {"achilles": "reduced"}},
        "dermatomal_sensation": {"left": {"s1": "reduced"}, "right": {"s1": "reduced"}},
    }
    doc = analysis(client={"age": 68}, symptoms=CLAUDICATION, tests=both)
    assert not any(f.startswith("neural:lumbar_nerve_roots") for f in finding_ids(doc))
    assert "neurological_deficit" not in ids(doc)
    one = {"lower_limb_reflexes": {"left": {"achilles": "reduced"}, "right": {"achilles": "normal"}}}
    assert "neural:lumbar_nerve_roots:left" in finding_ids(
        analysis(client={"age": 68}, symptoms=CLAUDICATION, tests=one)
    )
    unlike = {"lower_limb_reflexes": {"left": {"achilles": "absent"}, "right": {"achilles": "reduced"}}}
    found = finding_ids(analysis(client={"age": 68}, symptoms=CLAUDICATION, tests=unlike))
    assert {"neural:lumbar_nerve_roots:left", "neural:lumbar_nerve_roots:right"} <= found


def test_stenosis_needs_four_of_cooks_five_with_claudication_and_relief() -> None:
    assert "lumbar_spinal_stenosis" not in ids(analysis(client={"age": 35}, symptoms=CLAUDICATION))
    doc = analysis(client={"age": 66}, symptoms=CLAUDICATION)
    assert ids(doc)[0] == "lumbar_spinal_stenosis"
    not_eased = {**CLAUDICATION, "eased_by": []}
    assert "lumbar_spinal_stenosis" not in ids(analysis(client={"age": 66}, symptoms=not_eased))


def test_a_known_spondylolisthesis_is_a_screen_on_its_own() -> None:
    doc = analysis(client={"conditions": ["spondylolisthesis"]})
    spondy = screen(doc, "spondylolysis_spondylolisthesis")
    assert spondy["refer"]["urgency"] == "soon"
    assert "already diagnosed" in spondy["explanation"]


def test_extension_pain_makes_a_screen_only_in_the_young() -> None:
    young = {"age": 16, "activity_level": "athlete", "sports": ["cricket"]}
    sym = {"locations": [{"region": "low_back", "side": "central"}], "aggravated_by": ["bending_backward"]}
    assert "spondylolysis_spondylolisthesis" in ids(analysis(client=young, symptoms=sym))
    older = {**young, "age": 45}
    assert "spondylolysis_spondylolisthesis" not in ids(analysis(client=older, symptoms=sym))


# --- nerve-root weakness is read as the nerve root ---------------------------------------------------


def test_a_weak_key_muscle_beside_nerve_root_signs_is_the_nerve_roots_weakness() -> None:
    doc = analysis(**L5)
    found = finding_ids(doc)
    assert "neural:lumbar_nerve_roots:left" in found
    assert "weak:tibialis_anterior:left" not in found
    assert ids(doc)[0] == "neurological_deficit"
    evidence = next(f for f in doc["findings"] if f["id"] == "neural:lumbar_nerve_roots:left")["evidence"]
    assert evidence[0]["test"] == "mmt" and evidence[0]["value"] == 4
    assert "not a muscle to strengthen" in evidence[0]["reason"]
    assert "tibialis_raise" not in {i["exercise_id"] for i in doc["program"]["items"]}


def test_a_weak_key_muscle_without_root_signs_on_its_side_stays_a_weak_muscle() -> None:
    tests = {**L5["tests"], "mmt": {"tibialis_anterior": {"left": 5, "right": 4}}}
    doc = analysis(symptoms=L5["symptoms"], tests=tests)
    assert "weak:tibialis_anterior:right" in finding_ids(doc)
    assert "neural:lumbar_nerve_roots:right" not in finding_ids(doc)


def test_a_straight_leg_raise_stopped_by_leg_pain_gives_no_left_right_difference() -> None:
    doc = analysis(**L5)
    assert not any(f.startswith("asymmetry:passive_slr") for f in finding_ids(doc))
    assert "lateral_asymmetry" not in ids(doc)
    plain = analysis(tests={"passive_slr": {"left": {"angle_deg": 45}, "right": {"angle_deg": 80}}})
    assert "asymmetry:passive_slr:left" in finding_ids(plain)  # a raise not stopped by pain still compares


@SETTINGS
@given(seeds)
def test_no_key_muscle_measured_weak_beside_root_signs_on_its_side(seed: int) -> None:
    doc = analyse_document(generated(seed))
    by_id = {f["id"]: f for f in doc["findings"]}
    for side in ("left", "right"):
        if f"neural:sciatic_nerve:{side}" not in by_id:
            continue
        for muscle in ("tibialis_anterior", "gastrocnemius_soleus"):
            weak = by_id.get(f"weak:{muscle}:{side}")
            assert weak is None or all(e["test"] == "overhead_squat" for e in weak["evidence"])


# --- what a screen changes in the program and the tests ---------------------------------------------


@SETTINGS
@given(seeds)
def test_nothing_a_screens_implied_conditions_rule_out_is_offered(seed: int) -> None:
    kb = default()
    doc = analyse_document(generated(seed))
    implied = {
        c for p in doc["patterns"] if p["kind"] == "screen" for c in kb.pattern[p["id"]].screen.implies_conditions
    }
    if doc["program"] is None or not implied:
        return
    assert implied <= set(doc["program"]["client"]["conditions"])
    for item in doc["program"]["items"]:
        assert not implied & set(kb.exercise[item["exercise_id"]].contraindications), item["exercise_id"]


def test_stenosis_gets_flexion_biased_work_and_no_end_range_extension() -> None:
    slr = {"passive_slr": {"left": {"angle_deg": 75}, "right": {"angle_deg": 75}}}  # calf pain tested: no caution
    doc = analysis(client={"age": 70, "equipment": ["exercise_bike"]}, symptoms=CLAUDICATION, tests=slr)
    items = {i["exercise_id"] for i in doc["program"]["items"]}
    assert {"seated_flexion_stretch", "stationary_cycling"} <= items
    assert not items & {"prone_back_extension", "couch_stretch", "prone_quad_stretch"}
    kept = "Kept as a precaution until a doctor has checked: Lumbar spinal stenosis"
    assert any(w.startswith(kept) for w in doc["program"]["warnings"])
    assert doc["program"]["mode"] == "full"  # a screen is something to work on, even with no muscle finding


def test_hip_screen_gets_strengthening_not_stretching_into_the_hip() -> None:
    doc = analysis(
        **HIP_HISTORY,
        tests={
            "hip_internal_rotation": {"left": {"deg": 35}, "right": {"deg": 15}},
            "fadir": {"right": {"positive": True}},
            "fair": {"right": {"positive": True}},
        },
    )
    items = {i["exercise_id"] for i in doc["program"]["items"]}
    assert "sit_to_stand" in items
    assert not items & {"supine_piriformis_stretch", "seated_piriformis_stretch", "butterfly_adductor_stretch"}


def test_a_standing_screens_tests_come_first_and_argued_against_patterns_suggest_none() -> None:
    doc = analysis(
        symptoms={
            "pain_now": 4,
            "duration_weeks": 4,
            "locations": [{"region": "buttock", "side": "left"}, {"region": "shin", "side": "left"}],
            "aggravated_by": ["sitting"],
        },
        tests=L5["tests"],
    )
    suggested = [t["test"] for t in doc["suggested_tests"]]
    assert suggested[0] in {"lower_limb_reflexes", "myotomes", "dermatomal_sensation"}
    assert not set(suggested) & {"fair", "seated_piriformis_stretch", "sij_provocation"}
