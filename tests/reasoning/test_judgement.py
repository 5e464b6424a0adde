"""Judgement on weak evidence: what a painful squat, a pain-limited straight-leg raise, an observed
pelvic tilt and a stronger finding do to the findings, the patterns and the tests to do next."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.reasoning.patterns import MAX_SUGGESTED_TESTS
from tests.factories import analysis, finding_ids
from tests.synthetic import random_assessment

SQUAT_ARCHES = {
    "compensations": [
        {"id": "low_back_arches"},
        {"id": "excessive_forward_lean"},
        {"id": "knees_move_inward", "side": "right"},
    ],
}
LOWER_CROSSED_TESTS = {
    "modified_thomas": {
        "left": {"thigh_above_horizontal_deg": 8, "knee_flexion_deg": 70},
        "right": {"thigh_above_horizontal_deg": 9, "knee_flexion_deg": 68},
    },
    "mmt": {"gluteus_maximus": {"left": 4, "right": 4}},
}
SQUAT_LABELS = ("tight:", "weak:", "movement:")


def _squat_labels(doc: dict[str, Any]) -> set[str]:
    """Findings with any evidence from the squat."""
    return {f["id"] for f in doc["findings"] if any(e["test"] == "overhead_squat" for e in f["evidence"])}


# --------------------------------------------------------------------------- the painful squat


def test_a_painful_squat_at_pain_9_gives_no_labels_and_no_pattern_built_on_them() -> None:
    doc = analysis(
        symptoms={"pain_now": 9, "pain_worst_week": 9},
        tests={"overhead_squat": {**SQUAT_ARCHES, "pain": True}},
    )
    assert _squat_labels(doc) == set()
    assert doc["patterns"] == []
    retest = [s for s in doc["suggested_tests"] if s["test"] == "overhead_squat"]
    assert retest and retest[0]["retest"] is True and "pain" in retest[0]["why"]


def test_a_painful_squat_at_low_pain_is_not_read_either() -> None:
    doc = analysis(tests={"overhead_squat": {**SQUAT_ARCHES, "pain": True}})
    assert _squat_labels(doc) == set()


def test_a_painless_squat_at_pain_7_is_not_read_but_at_pain_6_it_is() -> None:
    at7 = analysis(symptoms={"pain_now": 7}, tests={"overhead_squat": {**SQUAT_ARCHES, "pain": False}})
    at6 = analysis(symptoms={"pain_now": 6}, tests={"overhead_squat": {**SQUAT_ARCHES, "pain": False}})
    assert _squat_labels(at7) == set()
    assert {"movement:low_back_arches", "tight:iliopsoas:left", "weak:gluteus_maximus:right"} <= _squat_labels(at6)
    assert not any(s.get("retest") for s in at6["suggested_tests"])


def test_direct_measurements_still_count_beside_a_painful_squat() -> None:
    doc = analysis(tests={**LOWER_CROSSED_TESTS, "overhead_squat": {**SQUAT_ARCHES, "pain": True}})
    assert {"tight:iliopsoas:left", "weak:gluteus_maximus:right"} <= finding_ids(doc)
    assert _squat_labels(doc) == set()


# --------------------------------------------------------------------------- the pain-limited SLR


def test_a_straight_leg_raise_stopped_by_leg_pain_gives_no_hamstring_or_asymmetry_finding() -> None:
    doc = analysis(
        symptoms={"locations": [{"region": "calf", "side": "left"}]},
        tests={
            "passive_slr": {
                "left": {"angle_deg": 40, "reproduces_leg_pain_below_knee": True},
                "right": {"angle_deg": 80},
            }
        },
    )
    ids = finding_ids(doc)
    assert "neural:sciatic_nerve:left" in ids
    assert not {i for i in ids if i.startswith(("tight:hamstrings", "asymmetry:passive_slr"))}
    assert "lateral_asymmetry" not in {p["id"] for p in doc["patterns"]}


def test_a_positive_crossed_raise_means_neither_raise_measured_the_hamstrings() -> None:
    doc = analysis(
        tests={
            "passive_slr": {"left": {"angle_deg": 40}, "right": {"angle_deg": 45}},
            "crossed_slr": {"left": {"positive": True}},
        }
    )
    ids = finding_ids(doc)
    assert not {i for i in ids if i.startswith(("tight:hamstrings", "asymmetry:passive_slr"))}


def test_a_raise_without_leg_pain_still_measures_the_hamstrings() -> None:
    doc = analysis(tests={"passive_slr": {"left": {"angle_deg": 40}, "right": {"angle_deg": 75}}})
    assert {"tight:hamstrings:left", "asymmetry:passive_slr:left"} <= finding_ids(doc)


# --------------------------------------------------------------------------- the pelvic tilt

FLAT_BACK_TESTS = {
    "overhead_squat": {"compensations": [{"id": "low_back_rounds"}, {"id": "low_back_arches"}], "pain": False},
    "active_knee_extension": {"left": {"deficit_deg": 40}, "right": {"deficit_deg": 42}},
    **LOWER_CROSSED_TESTS,
}


def _tilt_patterns(doc: dict[str, Any]) -> set[str]:
    return {p["id"] for p in doc["patterns"]} & {"lower_crossed_syndrome", "posterior_pelvic_tilt"}


def test_an_observed_posterior_tilt_rules_out_the_lower_crossed_pattern() -> None:
    doc = analysis(tests={**FLAT_BACK_TESTS, "pelvic_tilt": {"observed": "posterior"}})
    assert _tilt_patterns(doc) == {"posterior_pelvic_tilt"}


def test_a_measured_anterior_tilt_rules_out_the_posterior_tilt_pattern() -> None:
    doc = analysis(tests={**FLAT_BACK_TESTS, "pelvic_tilt": {"anterior_deg": 27}})
    assert _tilt_patterns(doc) == {"lower_crossed_syndrome"}


def test_an_observed_anterior_tilt_rules_out_the_posterior_tilt_pattern_even_without_a_finding() -> None:
    doc = analysis(tests={**FLAT_BACK_TESTS, "pelvic_tilt": {"observed": "anterior"}})
    assert "posture:anterior_pelvic_tilt" not in finding_ids(doc)  # most healthy adults stand so
    assert "posterior_pelvic_tilt" not in _tilt_patterns(doc)


def test_with_no_tilt_observed_only_the_better_supported_tilt_pattern_stands() -> None:
    doc = analysis(tests=FLAT_BACK_TESTS)
    assert len(_tilt_patterns(doc)) == 1


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_opposite_tilt_patterns_never_both_stand(seed: int) -> None:
    doc = analyse_document(random_assessment(default(), random.Random(seed)))
    assert len(_tilt_patterns(doc)) <= 1


# --------------------------------------------------------------------------- tests to do next


def test_nerve_root_signs_leave_out_the_piriformis_and_sacroiliac_tests() -> None:
    doc = analysis(
        symptoms={
            "locations": [{"region": "buttock", "side": "right"}, {"region": "calf", "side": "right"}],
            "aggravated_by": ["sitting"],
        },
        tests={"slump": {"right": {"positive": True}}},
    )
    suggested = {s["test"] for s in doc["suggested_tests"]}
    assert suggested, "the nerve-root tests not done are still suggested"
    assert not suggested & {"fair", "seated_piriformis_stretch", "freiberg", "pace", "sij_provocation"}


def test_without_nerve_root_signs_buttock_pain_on_sitting_suggests_fair() -> None:
    doc = analysis(
        symptoms={"locations": [{"region": "buttock", "side": "right"}], "aggravated_by": ["sitting"]},
    )
    assert ("fair", "right") in {(s["test"], s.get("side")) for s in doc["suggested_tests"]}


def test_the_leading_patterns_tests_come_first() -> None:
    doc = analysis(
        symptoms={"locations": [{"region": "low_back", "side": "central"}, {"region": "buttock", "side": "right"}]},
        tests={"fair": {"right": {"positive": True}}, "seated_piriformis_stretch": {"right": {"positive": True}}},
    )
    assert doc["patterns"][0]["id"] == "piriformis_syndrome"
    assert doc["suggested_tests"][0]["pattern"] == "piriformis_syndrome"


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_never_more_than_five_tests_are_suggested(seed: int) -> None:
    doc = analyse_document(random_assessment(default(), random.Random(seed), flags=False))
    assert len(doc["suggested_tests"]) <= MAX_SUGGESTED_TESTS == 5
