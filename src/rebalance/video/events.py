"""Events in time: squat repetitions, the lifted leg of a single-leg stance, foot contacts in gait."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from rebalance.video.landmarks import Array, Mask
from rebalance.video.signals import runs

REP_PROMINENCE = 0.7  # a repetition's bottom stands out by this share of the hip's vertical range (OpenCap)
REP_MIN_APART_S = 0.5
REP_MIN_DEPTH_LEGS = 0.1  # the hips must sink by a tenth of a leg length to count as squatting
LIFTED_LEGS = 0.05  # one ankle higher than the other by this share of a leg length: that foot is lifted
MIN_HOLD_S = 0.5  # a stance on one leg shorter than this is a step, not a hold
CONTACT_LEGS_PER_S = 1.5  # a foot moving slower than this (leg lengths a second) is on the ground
MIN_CONTACT_S = 0.1  # shorter still spells are noise of a hidden foot, not a stance


@dataclass(frozen=True)
class Rep:
    start: int
    bottom: int
    end: int


def repetitions(hip_y: Array, fps: float, leg: float) -> list[Rep]:
    """Squat repetitions from the hips' height: each bottom is a peak of image y (y grows downward)."""
    finite = np.isfinite(hip_y)
    if finite.sum() < 3:
        return []
    span = float(np.nanmax(hip_y) - np.nanmin(hip_y))
    if span < REP_MIN_DEPTH_LEGS * leg:
        return []
    filled = np.where(finite, hip_y, np.nanmin(hip_y))
    bottoms, _ = find_peaks(filled, prominence=REP_PROMINENCE * span, distance=max(1, int(REP_MIN_APART_S * fps)))
    reps = []
    for k, b in enumerate(bottoms):
        lo = bottoms[k - 1] if k else 0
        hi = bottoms[k + 1] if k + 1 < len(bottoms) else len(hip_y) - 1
        start = lo + int(np.argmin(filled[lo : b + 1]))
        end = b + int(np.argmin(filled[b : hi + 1]))
        reps.append(Rep(int(start), int(b), int(end)))
    return reps


def standing(hip_y: Array) -> Mask:
    """Frames where the hips are within the top tenth of their range: standing tall."""
    top, bottom = np.nanmin(hip_y), np.nanmax(hip_y)
    return np.asarray(hip_y <= top + 0.1 * (bottom - top))


def holds(left_ankle_y: Array, right_ankle_y: Array, fps: float, leg: float) -> dict[str, list[tuple[int, int]]]:
    """[start, stop) runs of standing on one leg, by the stance leg (the other ankle is higher)."""
    diff = left_ankle_y - right_ankle_y  # > 0: the left ankle is lower, so the right foot is lifted
    out: dict[str, list[tuple[int, int]]] = {"left": [], "right": []}
    for stance, mask in (("left", diff > LIFTED_LEGS * leg), ("right", diff < -LIFTED_LEGS * leg)):
        out[stance] = [(a, b) for a, b in runs(np.asarray(mask)) if (b - a) / fps >= MIN_HOLD_S]
    return out


def contacts(foot_x: Array, fps: float, leg: float) -> list[tuple[int, int]]:
    """[start, stop) runs where the foot is still on the ground (side view): slow horizontal motion."""
    speed = np.abs(np.gradient(foot_x)) * fps / leg
    on = np.isfinite(speed) & (speed < CONTACT_LEGS_PER_S)
    return [(a, b) for a, b in runs(on) if (b - a) / fps >= MIN_CONTACT_S]
