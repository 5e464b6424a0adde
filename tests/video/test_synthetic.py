"""The angle and compensation logic on squats of known angles (a kinematic model, no MediaPipe).

Tolerance: 2° for an angle, 1 percentage point for a shift; every repetition counted. The
filters (6 Hz low-pass on a 0.5 Hz movement) must leave a known angle within that.
"""

from __future__ import annotations

import pytest

from rebalance.video.clip import prepare
from rebalance.video.movements import overhead_squat
from rebalance.video.person import OnePerson
from tests.video.kinematics import Squat, front_view, side_view

pytest.importorskip("scipy")

TOLERANCE_DEG = 2.0


def _measure(track, view):
    one = OnePerson(track, [], [(0, track.frames - 1)], (0, track.frames - 1))
    return overhead_squat(prepare(one, "overhead_squat", view)).tests["overhead_squat"]


def _comps(entry):
    return {(c["id"], c.get("side")) for c in entry["compensations"]}


def test_a_clean_side_view_squat_reads_its_known_angles_and_no_compensation():
    entry = _measure(side_view(Squat(reps=4, depth_deg=100, shank_deg=30, trunk_extra_deg=5)), "side")
    assert entry["repetitions"] == 4
    assert entry["depth_deg"] == pytest.approx(100, abs=TOLERANCE_DEG)
    assert entry["trunk_lean_deg"] == pytest.approx(5, abs=TOLERANCE_DEG)
    assert entry["heel_rise_deg"] == pytest.approx(0, abs=TOLERANCE_DEG)
    assert entry["arms_forward_deg"] == pytest.approx(0, abs=TOLERANCE_DEG)
    assert entry["compensations"] == []
    assert entry["quality"]["depth_deg"]["plane"] == "sagittal"
    assert "knees_move_inward" in entry["quality"]["compensations"]["not_assessed"]
    assert "low_back_arches" in entry["quality"]["compensations"]["not_assessed"]


@pytest.mark.parametrize(
    ("squat", "measure", "value", "compensation"),
    [
        (Squat(trunk_extra_deg=25), "trunk_lean_deg", 25, "excessive_forward_lean"),
        (Squat(heel_rise_deg=12), "heel_rise_deg", 12, "heels_rise"),
        (Squat(arms_forward_deg=35), "arms_forward_deg", 35, "arms_fall_forward"),
    ],
)
def test_each_side_view_compensation_is_found_at_its_known_angle(squat, measure, value, compensation):
    entry = _measure(side_view(squat), "side")
    assert entry[measure] == pytest.approx(value, abs=TOLERANCE_DEG)
    assert _comps(entry) == {(compensation, None)}
    (item,) = entry["compensations"]
    assert 0 < item["confidence"] <= 0.7  # the sagittal plane's confidence, times visibility


def test_just_under_a_threshold_is_no_compensation():
    entry = _measure(side_view(Squat(trunk_extra_deg=12)), "side")  # the forward-lean threshold is 15°
    assert entry["compensations"] == []


def test_a_clean_front_view_squat_has_straight_knees_and_no_compensation():
    entry = _measure(front_view(Squat(reps=3)), "front")
    assert entry["repetitions"] == 3
    assert entry["knee_valgus_deg"]["left"] == pytest.approx(0, abs=TOLERANCE_DEG)
    assert entry["knee_valgus_deg"]["right"] == pytest.approx(0, abs=TOLERANCE_DEG)
    assert entry["compensations"] == []
    assert "depth_deg" not in entry  # a sagittal measure the front view cannot support
    assert entry["quality"]["knee_valgus_deg"]["plane"] == "frontal"


def test_a_knee_moving_inward_on_one_side_is_found_on_that_side_with_frontal_confidence():
    entry = _measure(front_view(Squat(valgus_deg=(4.0, 20.0))), "front")
    assert entry["knee_valgus_deg"]["right"] == pytest.approx(20, abs=TOLERANCE_DEG)
    assert entry["knee_valgus_deg"]["left"] == pytest.approx(4, abs=TOLERANCE_DEG)
    assert _comps(entry) == {("knees_move_inward", "right")}
    (item,) = entry["compensations"]
    assert item["confidence"] <= 0.35  # frontal plane: lower confidence than any sagittal measure


def test_a_lateral_shift_is_found_toward_the_side_the_hips_move():
    entry = _measure(front_view(Squat(shift_pct=-9.0)), "front")  # toward the person's right
    assert entry["lateral_shift_pct"] == {"right": pytest.approx(9.0, abs=1.0)}
    assert ("asymmetric_weight_shift", "right") in _comps(entry)


def test_feet_turning_out_is_found_per_foot():
    entry = _measure(front_view(Squat(foot_turn_deg=(18.0, 0.0))), "front")
    assert entry["foot_rotation_deg"]["left"] == pytest.approx(18, abs=TOLERANCE_DEG)
    assert entry["foot_rotation_deg"]["right"] == pytest.approx(0, abs=TOLERANCE_DEG)
    assert _comps(entry) == {("feet_turn_out", "left")}
