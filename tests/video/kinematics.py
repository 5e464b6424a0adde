"""A small kinematic model of a squatting person: landmark tracks with known angles.

Segments have fixed lengths (metres, drawn at ``SCALE`` pixels a metre); each repetition moves
every angle from standing to its peak value and back along a cosine, so the lowest point of
each repetition is where every angle peaks. Side view: the person faces image right, the left
side nearest the camera. Front view: the person faces the camera (their left is image right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rebalance.video.landmarks import COUNT, INDEX, Track

SCALE = 400.0  # pixels a metre
SHANK, THIGH, TRUNK, ARM, FOREARM = 0.45, 0.45, 0.55, 0.30, 0.28
HIP_HALF, SHOULDER_HALF = 0.10, 0.18
FPS = 30.0
GROUND_Y = 900.0


@dataclass(frozen=True)
class Squat:
    reps: int = 4
    seconds_per_rep: float = 2.0
    depth_deg: float = 100.0  # knee flexion at the lowest point
    shank_deg: float = 30.0  # shank forward lean at the lowest point
    trunk_extra_deg: float = 5.0  # trunk lean beyond the shank's at the lowest point
    heel_rise_deg: float = 0.0
    arms_forward_deg: float = 0.0
    valgus_deg: tuple[float, float] = (0.0, 0.0)  # (left, right) knee frontal-plane angle at the lowest point
    shift_pct: float = 0.0  # hips toward the person's left, percent of leg length, at the lowest point
    foot_turn_deg: tuple[float, float] = (0.0, 0.0)  # extra turn-out at the lowest point


def _phase(squat: Squat) -> np.ndarray:
    n = int(squat.reps * squat.seconds_per_rep * FPS) + int(FPS)  # a second of standing at the end
    t = np.arange(n) / FPS
    cycle = (1 - np.cos(2 * np.pi * np.minimum(t, squat.reps * squat.seconds_per_rep) / squat.seconds_per_rep)) / 2
    return cycle


def _empty(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((n, COUNT, 2)), np.ones((n, COUNT)), np.zeros((n, COUNT, 3))


def _set(arr: np.ndarray, name: str, value: np.ndarray) -> None:
    arr[:, INDEX[name], : value.shape[1]] = value


def _unit(deg: np.ndarray) -> np.ndarray:
    """Image direction of a segment tilted ``deg`` forward (toward +x) from straight up."""
    r = np.radians(deg)
    return np.stack([np.sin(r), -np.cos(r)], axis=1)


def side_view(squat: Squat) -> Track:
    p = _phase(squat)
    n = len(p)
    xy, vis, world = _empty(n)
    knee_flex, shank, trunk = squat.depth_deg * p, squat.shank_deg * p, (squat.shank_deg + squat.trunk_extra_deg) * p
    heel_up = np.radians(squat.heel_rise_deg * p)
    toe = np.stack([np.full(n, 700.0), np.full(n, GROUND_Y)], axis=1)

    # the foot pivots about the toe as the heel rises: toe -> ankle and toe -> heel rotate together
    def about_toe(dx: float, dy: float) -> np.ndarray:
        c, s = np.cos(heel_up), np.sin(heel_up)
        return toe + SCALE * np.stack([dx * c - dy * s, dx * s + dy * c], axis=1)

    ankle, heel = about_toe(-0.18, -0.08), about_toe(-0.24, -0.02)
    knee = ankle + SCALE * SHANK * _unit(shank)
    hip = knee + SCALE * THIGH * _unit(shank - knee_flex)
    shoulder = hip + SCALE * TRUNK * _unit(trunk)
    # arms overhead in line with the trunk, falling forward by arms_forward_deg
    elbow = shoulder + SCALE * ARM * _unit(trunk + squat.arms_forward_deg * p)
    wrist = elbow + SCALE * FOREARM * _unit(trunk + squat.arms_forward_deg * p)
    for side in ("left", "right"):
        for name, value in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel), ("foot_index", toe),
                            ("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist)):  # fmt: skip
            _set(xy, f"{side}_{name}", value)
        vis[:, [i for nm, i in INDEX.items() if nm.startswith("right")]] = 0.6  # the far side, half hidden
    for i in range(11):
        xy[:, i] = shoulder + np.array([20.0, -60.0])
    # world: the hip and shoulder lines point at the camera (depth): a side view
    for side, z in (("left", -HIP_HALF), ("right", HIP_HALF)):
        world[:, INDEX[f"{side}_hip"]] = [0, 0, z]
        world[:, INDEX[f"{side}_shoulder"]] = [0, -0.5, z * SHOULDER_HALF / HIP_HALF]
    return Track("synthetic-side.mp4", FPS, 1280, 1000, xy, vis, world)


def front_view(squat: Squat) -> Track:
    p = _phase(squat)
    n = len(p)
    xy, vis, world = _empty(n)
    leg = SCALE * (SHANK + THIGH)
    sink = np.cos(np.radians(squat.depth_deg / 2 * p))  # legs shorten in the picture as the knees bend forward
    centre = 640.0 + squat.shift_pct / 100 * leg * p  # facing the camera: the person's left is image right
    for k, side in enumerate(("left", "right")):
        out = 1.0 if side == "left" else -1.0
        ankle = np.stack([np.full(n, 640.0 + out * SCALE * 0.15), np.full(n, GROUND_Y)], axis=1)
        hip = np.stack([centre + out * SCALE * HIP_HALF, GROUND_Y - leg * sink], axis=1)
        valgus = np.radians(squat.valgus_deg[k] * p)
        mid = (hip + ankle) / 2
        half = np.linalg.norm(hip - ankle, axis=1) / 2
        knee = mid.copy()
        knee[:, 0] -= out * half * np.tan(valgus / 2)  # medial: toward the other leg
        shoulder = hip + np.stack([out * SCALE * (SHOULDER_HALF - HIP_HALF) + 0 * p, -SCALE * TRUNK + 0 * p], axis=1)
        elbow = shoulder + np.array([0.0, -SCALE * ARM])
        wrist = elbow + np.array([0.0, -SCALE * FOREARM])
        heel, toe = ankle + np.array([0.0, 10.0]), ankle + np.array([out * 15.0, 40.0])
        for name, value in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel), ("foot_index", toe),
                            ("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist)):  # fmt: skip
            _set(xy, f"{side}_{name}", value)
        turn = np.radians(5.0 + squat.foot_turn_deg[k] * p)
        world[:, INDEX[f"{side}_hip"]] = np.stack([np.full(n, out * HIP_HALF), np.zeros(n), np.zeros(n)], axis=1)
        world[:, INDEX[f"{side}_shoulder"]] = [out * SHOULDER_HALF, -0.5, 0]
        world[:, INDEX[f"{side}_heel"]] = np.stack([np.full(n, out * 0.15), np.full(n, 0.9), np.zeros(n)], axis=1)
        ahead = 0.2 * np.stack([out * np.sin(turn), np.zeros(n), -np.cos(turn)], axis=1)
        world[:, INDEX[f"{side}_foot_index"]] = world[:, INDEX[f"{side}_heel"]] + ahead
    for i in range(11):
        xy[:, i] = (xy[:, INDEX["left_shoulder"]] + xy[:, INDEX["right_shoulder"]]) / 2 + np.array([0.0, -60.0])
    return Track("synthetic-front.mp4", FPS, 1280, 1000, xy, vis, world)
