"""Norms that do not pathologise the healthy: values healthy people reach give no finding, and
every cut-off near a healthy mean is a published one (the check enforces it; these pin the review)."""

from __future__ import annotations

import pytest

from rebalance.knowledge.loader import default
from tests.factories import analysis, finding_ids


def test_a_healthy_straight_leg_raise_of_65_degrees_is_no_finding() -> None:
    doc = analysis(tests={"passive_slr": {"left": {"angle_deg": 65}, "right": {"angle_deg": 65}}})
    assert doc["findings"] == []


@pytest.mark.parametrize("angle", [47, 40])
def test_a_raise_two_sd_under_the_healthy_mean_reads_as_short_hamstrings(angle: int) -> None:
    doc = analysis(tests={"passive_slr": {"left": {"angle_deg": angle}, "right": {"angle_deg": angle}}})
    assert {"tight:hamstrings:left", "tight:hamstrings:right"} <= finding_ids(doc)


def test_a_left_right_difference_healthy_legs_show_is_no_asymmetry() -> None:
    # 70 against 60: a limb symmetry index of 86 %, but a 10 degree difference is within 5 +/- 3.5 x 2
    ten = analysis(tests={"passive_slr": {"left": {"angle_deg": 70}, "right": {"angle_deg": 60}}})
    fifteen = analysis(tests={"passive_slr": {"left": {"angle_deg": 75}, "right": {"angle_deg": 60}}})
    assert "asymmetry:passive_slr:right" not in finding_ids(ten)
    assert "asymmetry:passive_slr:right" in finding_ids(fifteen)


@pytest.mark.parametrize(
    ("test", "values", "finding"),
    [
        ("hip_internal_rotation", {"deg": 30}, "tight:hip_external_rotators:left"),
        ("hip_external_rotation", {"deg": 38}, "tight:tensor_fasciae_latae:left"),
        ("trunk_extensor_endurance", {"seconds": 150}, "weak:erector_spinae"),
    ],
)
def test_values_at_the_healthy_mean_give_no_finding(test: str, values: dict[str, float], finding: str) -> None:
    entry = values if test == "trunk_extensor_endurance" else {"left": values, "right": values}
    doc = analysis(client={"age": 40, "sex": "male"}, tests={test: entry})
    assert finding not in finding_ids(doc)


def test_a_hamstring_to_quadriceps_ratio_of_0_55_is_healthy_and_0_45_is_not() -> None:
    def ratio(hamstrings: int) -> set[str]:
        dyn = {
            "quadriceps": {"unit": "Nm", "left": 200, "right": 200},
            "hamstrings": {"unit": "Nm", "left": hamstrings, "right": hamstrings},
        }
        return finding_ids(analysis(tests={"dynamometry": dyn}))

    assert not {i for i in ratio(110) if i.startswith("ratio:")}
    assert "ratio:hamstring_quadriceps:left" in ratio(90)


def test_manual_muscle_testing_bands_are_attributed_to_our_convention() -> None:
    norm = default().test["mmt"].norms[0]
    assert norm.source == "rebalance_convention"
    assert "MRC defines the grades only" in norm.reason


@pytest.mark.parametrize("exercise", ["swimming", "pool_walking", "stationary_cycling"])
def test_easy_aerobic_work_takes_the_moderate_dose_of_150_minutes_a_week(exercise: str) -> None:
    d = default().exercise[exercise].dosage
    assert d.source == "garber_2011"
    assert d.minutes == 30 and d.days_per_week == 5
