"""Positions and precautions in the knowledge base: the vocabulary, who uses and who forbids each
position, and `rebalance kb check` refusing what would let a precaution slip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebalance.knowledge.check import check
from rebalance.knowledge.dump import dump
from rebalance.knowledge.explain import explain
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.models import SidedAngle
from tests.conftest import edit_yaml, record

CONTRACT_POSITIONS = {
    "hip_flexion_beyond_90",
    "hip_adduction_past_midline",
    "hip_internal_rotation",
    "hip_extension_with_external_rotation",
    "lumbar_flexion_end_range",
    "lumbar_flexion_loaded",
    "lumbar_extension_end_range",
    "spinal_rotation_end_range",
    "prone_lying",
    "supine_lying",
    "kneeling",
    "weight_on_hands",
    "direct_pressure",
    "single_leg_stance",
    "impact",
    "breath_holding_heavy_load",
}


def messages(data: Path) -> list[str]:
    return [str(p) for p in check(data)]


def without(rid: str, key: str) -> Any:
    """An edit for edit_yaml: the record ``rid`` loses ``key``."""

    def drop(records: list[dict[str, Any]]) -> None:
        record(records, rid).pop(key)

    return drop


def test_the_vocabulary_holds_the_contracts_positions_each_named_in_plain_words(kb: KnowledgeBase) -> None:
    assert set(kb.positions) >= CONTRACT_POSITIONS
    for p in kb.positions.values():
        assert p.name and p.summary and "_" not in p.name, p.id


# conditions whose precautions are advice, not positions: diabetes allows weight-bearing, moderate
# exercise even with dulled feet (Colberg 2016), with foot checks and care against low sugar
FORBIDS_NOTHING = {"diabetes"}


def test_every_condition_forbids_with_a_source_and_a_reason(kb: KnowledgeBase) -> None:
    for c in kb.conditions.values():
        assert bool(c.forbids) != (c.id in FORBIDS_NOTHING), f"{c.id} forbids nothing"
        assert c.precautions and c.sources, c.id
        for f in c.forbids:
            assert f.source in kb.sources and len(f.why) > 30, (c.id, f.position)


def test_hip_replacement_by_approach_and_unknown_approach_is_both(kb: KnowledgeBase) -> None:
    def forbids(cid: str) -> set[str]:
        return {f.position for f in kb.conditions[cid].forbids}

    posterior, anterior = forbids("hip_replacement_posterior"), forbids("hip_replacement_anterior")
    assert {"hip_flexion_beyond_90", "hip_adduction_past_midline", "hip_internal_rotation"} <= posterior
    assert "hip_extension_with_external_rotation" in anterior and "hip_flexion_beyond_90" not in anterior
    assert forbids("hip_replacement") == posterior | anterior


POSE_ORIENTATION = {
    "prone": "prone_lying",
    "supine": "supine_lying",
    "side_lying": "side_lying",
    "kneeling": "kneeling",
    "half_kneeling": "kneeling",
    "quadruped": "kneeling",
}


def _angles(pose_value: float | SidedAngle) -> list[float]:
    return [pose_value.left, pose_value.right] if isinstance(pose_value, SidedAngle) else [pose_value]


def _pose_max(ex: Any, angle: str) -> float | None:
    values = [v for end in (ex.pose.start, ex.pose.end) if angle in end for v in _angles(end[angle])]
    return max(values) if values else None


def test_what_an_exercises_pose_shows_its_positions_say(kb: KnowledgeBase) -> None:
    """The drawn pose and the listed positions agree: a prone figure lists prone lying, a hip drawn past
    90 degrees lists hip flexion beyond 90, a thigh drawn across the midline lists adduction."""
    for ex in kb.exercise.values():
        used = set(ex.positions)
        if ex.pose.orientation in POSE_ORIENTATION:
            assert POSE_ORIENTATION[ex.pose.orientation] in used, ex.id
        if ex.pose.orientation == "quadruped":
            assert "weight_on_hands" in used, ex.id
        hip = _pose_max(ex, "hip_flexion")
        if hip is not None and hip > 90:
            assert "hip_flexion_beyond_90" in used, (ex.id, hip)
        adduction = [v for end in (ex.pose.start, ex.pose.end) for v in _angles(end.get("hip_abduction", 0.0))]
        if min(adduction) < 0:
            assert "hip_adduction_past_midline" in used, ex.id
        knee = _pose_max(ex, "knee_flexion")
        if knee is not None and knee >= 130:
            assert "knee_flexion_end_range" in used, (ex.id, knee)


@pytest.mark.parametrize(
    ("kind", "rid", "positions"),
    [
        ("tests", "overhead_squat", {"hip_flexion_beyond_90"}),
        ("tests", "fair", {"hip_adduction_past_midline", "hip_internal_rotation"}),
        ("exercises", "ball_release_piriformis", {"direct_pressure", "direct_pressure_hip"}),
        ("exercises", "seated_hip_flexor_lift", {"hip_flexion_beyond_90"}),
        ("exercises", "supine_piriformis_stretch", {"hip_flexion_beyond_90", "hip_external_rotation_end_range"}),
        ("exercises", "butterfly_adductor_stretch", {"hip_external_rotation_end_range"}),
        ("exercises", "prone_quad_stretch", {"prone_lying", "lumbar_extension_end_range"}),
        ("exercises", "mcgill_curl_up", {"trunk_curl"}),
        ("exercises", "single_leg_balance", {"single_leg_stance"}),
        ("exercises", "supported_single_leg_balance", {"single_leg_stance_supported"}),
    ],
)
def test_the_issues_examples_carry_their_positions(kind: str, rid: str, positions: set[str]) -> None:
    assert positions <= set(default().records[kind][rid].positions)


def test_the_supported_balance_variant_does_not_stand_unsupported(kb: KnowledgeBase) -> None:
    assert "single_leg_stance" not in kb.exercise["supported_single_leg_balance"].positions


def test_kb_dump_shows_positions_and_forbids(kb: KnowledgeBase) -> None:
    doc = dump(kb)
    assert all("positions" in r for r in doc["exercises"]) and all("positions" in r for r in doc["tests"])
    forbids = {c["id"]: c["forbids"] for c in doc["conditions"]}
    assert {"position": "hip_flexion_beyond_90", "source": "eannucci_2019"}.items() <= forbids[
        "hip_replacement_posterior"
    ][0].items()
    assert {p["id"] for p in doc["positions"]} == set(kb.positions)


def test_explain_a_position_says_who_forbids_it_why_and_what_uses_it(kb: KnowledgeBase) -> None:
    text = explain(kb, "single_leg_stance")
    assert "Standing on one leg without holding on  (a position or load)" in text
    assert "  Balance impairment: Standing on one leg with nothing held risks a fall" in text
    assert "Exercises that use it: Single-leg balance," in text and "Tests that use it: Trendelenburg test," in text
    assert "Single-leg balance holding a counter" not in text.split("Tests that use it")[0].split("Exercises")[1]
    assert "  Osteoporosis Canada: Osteoporosis Canada. Too Fit To Fracture" in text


def test_explain_a_condition_says_what_it_rules_out_and_calls_for(kb: KnowledgeBase) -> None:
    text = explain(kb, "osteoporosis")
    assert "What it rules out" in text and "  Curling the trunk up against gravity: Curl-ups and sit-ups" in text
    assert "(Sinaki and Mikkelsen 1984)" in text and "McGill curl-up" in text.split("Exercises it rules out")[1]
    assert "What it calls for" in text and "Back-extensor strengthening: the first of" in text
    assert "Standing back-muscle press against a wall" in text


def test_explain_an_exercise_lists_its_positions_and_the_conditions_they_rule_out(kb: KnowledgeBase) -> None:
    text = explain(kb, "ball_release_piriformis")
    assert "Puts the body in: Pressure into the body, Pressure over the hip or buttock" in text
    assert "Not for: Hip replacement (approach not known), Hip replacement (anterior approach)" in text


# kb check


def test_an_exercise_or_test_without_positions_is_refused(data_copy: Path) -> None:
    edit_yaml(data_copy / "exercises" / "activate.yaml", without("clamshell", "positions"))
    edit_yaml(data_copy / "tests.yaml", without("fair", "positions"))
    found = messages(data_copy)
    assert any(m.startswith("exercises/activate.yaml") and "clamshell.positions: Field required" in m for m in found)
    assert any(m.startswith("tests.yaml") and "fair.positions: Field required" in m for m in found), found


def test_a_dangling_position_is_refused_with_did_you_mean(data_copy: Path) -> None:
    activate = data_copy / "exercises" / "activate.yaml"
    edit_yaml(activate, lambda rs: record(rs, "clamshell")["positions"].append("side_lyin"))
    edit_yaml(data_copy / "tests.yaml", lambda rs: record(rs, "fair")["positions"].append("hip_internal_rotaton"))
    edit_yaml(
        data_copy / "conditions.yaml", lambda rs: record(rs, "pregnancy")["forbids"][0].update(position="supine_lyng")
    )
    found = messages(data_copy)
    for where, wrong, right in [
        ("clamshell.positions[1]", "side_lyin", "side_lying"),
        ("fair.positions[3]", "hip_internal_rotaton", "hip_internal_rotation"),
        ("pregnancy.forbids[0].position", "supine_lyng", "supine_lying"),
    ]:
        assert any(where in m and f"unknown position '{wrong}' (did you mean {right}" in m for m in found), found


def test_a_forbid_without_a_source_is_refused(data_copy: Path) -> None:
    edit_yaml(data_copy / "conditions.yaml", lambda rs: record(rs, "wrist_pain")["forbids"][0].pop("source") and None)
    found = messages(data_copy)
    assert any("wrist_pain.forbids[0]: clinical number without a source" in m for m in found), found


def test_a_condition_without_forbids_is_refused(data_copy: Path) -> None:
    edit_yaml(data_copy / "conditions.yaml", without("knee_pain", "forbids"))
    assert any("knee_pain.forbids: Field required" in m for m in messages(data_copy))


def test_a_contraindication_the_positions_already_imply_is_a_second_copy_and_refused(data_copy: Path) -> None:
    activate = data_copy / "exercises" / "activate.yaml"
    edit_yaml(activate, lambda rs: record(rs, "glute_bridge")["contraindications"].append("pregnancy"))
    found = messages(data_copy)
    assert any(
        "glute_bridge.contraindications[0]" in m and "'pregnancy' already rules it out" in m and "supine_lying" in m
        for m in found
    ), found


def test_a_condition_calling_for_an_unknown_exercise_is_refused(data_copy: Path) -> None:
    def typo(rs: list[dict[str, Any]]) -> None:
        record(rs, "balance_impairment")["calls_for"][0]["exercises"].append("suported_single_leg_balance")

    edit_yaml(data_copy / "conditions.yaml", typo)
    found = messages(data_copy)
    assert any(
        "balance_impairment.calls_for[0].exercises[2]" in m
        and "unknown exercise 'suported_single_leg_balance' (did you mean supported_single_leg_balance" in m
        for m in found
    ), found
