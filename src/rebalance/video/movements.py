"""Movement measures: the overhead squat, the single-leg stance and gait, as assessment entries.

Each returns the ``tests:`` entries it measured, shaped as in the assessment file, with a
``quality`` record beside each measure (view, plane, visibility of the landmarks it rests on,
frames used, the confidence and accuracy its plane supports). A measure the view cannot
support is not computed, and the squat's record says which compensations were looked for.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rebalance.errors import InvalidInputError, Problem
from rebalance.video import events
from rebalance.video.angles import own_left
from rebalance.video.clip import Clip
from rebalance.video.criteria import Plane, criteria
from rebalance.video.landmarks import Array, Mask

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}
AT_BOTTOM_S = 0.1  # a repetition's bottom is read over this much time either side of the lowest point
SEEN_IN_SHARE = 0.5  # a compensation seen in at least half the repetitions is reported
# the compensations one camera can show, by view; low back arching or rounding needs landmarks of
# the lumbar spine and pelvis that BlazePose does not have, so no view shows it
ASSESSED = {
    "side": ["excessive_forward_lean", "heels_rise", "arms_fall_forward"],
    "front": ["knees_move_inward", "asymmetric_weight_shift", "feet_turn_out"],
}
NEVER = ["low_back_arches", "low_back_rounds"]


@dataclass
class Measured:
    """What a movement's analysis gives: the assessment's test entries and the key frames to draw."""

    tests: dict[str, dict[str, Any]]
    key_frames: list[tuple[int, str]] = field(default_factory=list)


def _r(x: Any) -> float:
    return round(float(x), 1)


def quality(clip: Clip, plane: Plane, names: list[str], frames: Mask, **extra: Any) -> dict[str, Any]:
    """The quality record of one measure."""
    acc = criteria().accuracy[plane]
    visibility = clip.visibility(names, frames)
    return {
        "view": clip.view,
        "plane": plane,
        "visibility": visibility,
        "frames_used": int(frames.sum()),
        "frames": clip.track.frames,
        "confidence": round(acc.confidence * visibility, 2),
        "accuracy": acc.text.strip(),
        "source": acc.source,
        **extra,
    }


def _mask(n: int, spans: list[tuple[int, int]]) -> Mask:
    m = np.zeros(n, dtype=bool)
    for a, b in spans:
        m[a:b] = True
    return m


def _no_movement(clip: Clip, what: str) -> InvalidInputError:
    return InvalidInputError([Problem(clip.track.path, "frames", what)])


# --- overhead squat ------------------------------------------------------------------------


def _at_bottom(series: Array, rep: events.Rep, fps: float, pick: str = "max") -> float:
    half = max(1, round(AT_BOTTOM_S * fps))
    window = series[max(rep.start, rep.bottom - half) : rep.bottom + half + 1]
    return float(np.nanmax(window) if pick == "max" else np.nanmedian(window))


def _squat_side(clip: Clip, reps: list[events.Rep], base: Mask) -> dict[str, list[float]]:
    a, s, fps = clip.angles, clip.near, clip.fps
    lean = a["trunk_lean"] - a[f"{s}_shank_lean"]
    pitch = a[f"{s}_foot_pitch"] - np.nanmedian(a[f"{s}_foot_pitch"][base])
    return {
        "depth_deg": [_at_bottom(a[f"{s}_knee_flexion"], r, fps) for r in reps],
        "trunk_lean_deg": [_at_bottom(lean, r, fps) for r in reps],
        "heel_rise_deg": [float(np.nanmax(pitch[r.start : r.end + 1])) for r in reps],
        "arms_forward_deg": [180.0 - _at_bottom(a[f"{s}_shoulder_flexion"], r, fps, "median") for r in reps],
    }


def _squat_front(clip: Clip, reps: list[events.Rep], base: Mask) -> dict[str, list[float]]:
    a, p, fps = clip.angles, clip.points, clip.fps
    out: dict[str, list[float]] = {}
    for s in SIDES:
        out[f"knee_valgus_deg.{s}"] = [_at_bottom(a[f"{s}_knee_valgus"], r, fps) for r in reps]
        turn = a[f"{s}_foot_rotation"] - np.nanmedian(a[f"{s}_foot_rotation"][base])
        out[f"foot_rotation_deg.{s}"] = [_at_bottom(turn, r, fps, "median") for r in reps]
    hips = (p["left_hip"] + p["right_hip"])[:, 0] / 2
    feet = (p["left_ankle"] + p["right_ankle"])[:, 0] / 2
    shift = own_left(p) * (hips - feet) / clip.leg * 100  # toward the person's left is positive
    shift = shift - np.nanmedian(shift[base])
    out["lateral_shift_pct"] = [_at_bottom(shift, r, fps, "median") for r in reps]
    return out


def _compensations(values: dict[str, list[float]]) -> list[tuple[str, str | None, float]]:
    """(compensation, side, share of repetitions showing it), for those seen often enough."""
    found: list[tuple[str, str | None, float]] = []
    c = criteria()
    checks: list[tuple[str, str, str | None, int]] = [
        ("excessive_forward_lean", "trunk_lean_deg", None, 1),
        ("heels_rise", "heel_rise_deg", None, 1),
        ("arms_fall_forward", "arms_forward_deg", None, 1),
    ]
    checks += [("knees_move_inward", f"knee_valgus_deg.{s}", s, 1) for s in SIDES]
    checks += [("feet_turn_out", f"foot_rotation_deg.{s}", s, 1) for s in SIDES]
    checks += [
        ("asymmetric_weight_shift", "lateral_shift_pct", "left", 1),
        ("asymmetric_weight_shift", "lateral_shift_pct", "right", -1),
    ]
    for comp, key, side, sign in checks:
        if key not in values:
            continue
        limit = c.threshold(comp).above
        reps = values[key]
        share = sum(1 for v in reps if sign * v > limit) / len(reps)
        if share >= SEEN_IN_SHARE:
            found.append((comp, side, share))
    return found


def overhead_squat(clip: Clip) -> Measured:
    hip_y = (clip.points["left_hip"][:, 1] + clip.points["right_hip"][:, 1]) / 2
    reps = events.repetitions(hip_y, clip.fps, clip.leg)
    if not reps:
        raise _no_movement(clip, "no squat repetition found: the hips do not go down and up again")
    base = events.standing(hip_y) & clip.used
    in_reps = _mask(clip.track.frames, [(r.start, r.end + 1) for r in reps]) & clip.used
    values = _squat_side(clip, reps, base) if clip.view == "side" else _squat_front(clip, reps, base)
    plane: Plane = "sagittal" if clip.view == "side" else "frontal"
    legs = [f"{s}_{p}" for s in ((clip.near,) if clip.view == "side" else SIDES) for p in ("hip", "knee", "ankle")]
    entry: dict[str, Any] = {"repetitions": len(reps)}
    q: dict[str, Any] = {"repetitions": quality(clip, plane, legs, in_reps)}
    for key, reps_values in sorted(values.items()):
        name, _, side = key.partition(".")
        value = _r(np.median(reps_values))
        if side:
            entry.setdefault(name, {})[side] = value
        elif name == "lateral_shift_pct":
            entry[name] = {"left" if value >= 0 else "right": abs(value)}
        else:
            entry[name] = value
        q.setdefault(name, quality(clip, plane, legs, in_reps, per_repetition={}))
        q[name]["per_repetition"][side or "both"] = [_r(v) for v in reps_values]
    found = _compensations(values)
    conf = q["repetitions"]["confidence"]
    entry["compensations"] = [
        {"id": comp, **({"side": side} if side else {}), "confidence": round(conf * share, 2)}
        for comp, side, share in found
    ]
    q["compensations"] = quality(
        clip,
        plane,
        legs,
        in_reps,
        assessed=ASSESSED[clip.view],
        not_assessed=sorted(ASSESSED[_other(clip.view)] + NEVER),
    )
    entry["quality"] = q
    keys = [(r.bottom, f"repetition {i + 1}, lowest point") for i, r in enumerate(reps)]
    return Measured({"overhead_squat": entry}, keys)


def _other(view: str) -> str:
    return "front" if view == "side" else "side"


# --- single-leg stance -----------------------------------------------------------------------


def single_leg_stance(clip: Clip) -> Measured:
    p, a, n = clip.points, clip.angles, clip.track.frames
    periods = events.holds(p["left_ankle"][:, 1], p["right_ankle"][:, 1], clip.fps, clip.leg)
    if not any(periods.values()):
        raise _no_movement(
            clip, f"no stance on one leg of at least {events.MIN_HOLD_S:g} s found: one foot must stay lifted"
        )
    stance: dict[str, Any] = {}
    trend: dict[str, Any] = {}
    q: dict[str, Any] = {}
    keys: list[tuple[int, str]] = []
    for side, spans in periods.items():
        if not spans:
            continue
        frames = _mask(n, spans) & clip.used
        sign = 1.0 if side == "left" else -1.0  # obliquity > 0: the left hip is higher, the right side dropped
        drop = sign * a["pelvic_obliquity"][frames]  # against the horizontal: the camera must be level
        hips = (p["left_hip"] + p["right_hip"])[frames, 0] / 2
        values = {
            "time_held_s": round(max(b - s for s, b in spans) / clip.fps, 2),
            "pelvic_drop_deg": _r(np.nanmedian(drop)),
            "trunk_lean_deg": _r(sign * np.nanmedian(a["trunk_side_lean"][frames])),
            "knee_valgus_deg": _r(np.nanmedian(a[f"{side}_knee_valgus"][frames])),
            "sway_pct": _r(np.nanstd(hips) / clip.leg * 100),
        }
        stance[side] = values
        if values["trunk_lean_deg"] <= criteria().threshold("trunk_lurch").above:  # else not the test as asked
            trend[side] = {"positive": bool(values["pelvic_drop_deg"] > criteria().threshold("trendelenburg").above)}
        names = [f"{s}_{x}" for s in SIDES for x in ("hip", "knee", "ankle", "shoulder")]
        for fld in values:
            plane: Plane = "temporal" if fld == "time_held_s" else "frontal"
            q.setdefault(fld, {})[side] = quality(clip, plane, names, frames)
        longest = max(spans, key=lambda s: s[1] - s[0])
        keys.append(((longest[0] + longest[1]) // 2, f"standing on the {side} leg"))
    stance["quality"] = q
    measured = {"single_leg_stance": stance}
    if trend:  # a side whose trunk leaned over the stance leg is the clinician's to read
        measured["trendelenburg"] = {**trend, "quality": {"positive": {s: q["pelvic_drop_deg"][s] for s in trend}}}
    return Measured(measured, keys)


# --- gait ----------------------------------------------------------------------------------------


def _stance_times(clip: Clip) -> dict[str, list[tuple[int, int]]]:
    p = clip.points
    out = {}
    for s in SIDES:
        foot = (p[f"{s}_heel"][:, 0] + p[f"{s}_foot_index"][:, 0]) / 2
        runs = events.contacts(foot, clip.fps, clip.leg)
        # a contact cut by the clip's start or end is not a whole stance
        first, last = np.flatnonzero(clip.used)[[0, -1]]
        out[s] = [(a, b) for a, b in runs if a > first + 1 and b < last]
    return out


def gait_side(clip: Clip) -> Measured:
    contacts = _stance_times(clip)
    strikes = sorted((a, s) for s in SIDES for a, _ in contacts[s])
    if len(strikes) < 2 or not all(contacts.values()):
        raise _no_movement(clip, "fewer than two steps found: walk across the picture, side-on, for several steps")
    step_times: dict[str, list[float]] = {s: [] for s in SIDES}  # to this foot's strike from the other's
    for (a0, s0), (a1, s1) in itertools.pairwise(strikes):
        if s0 != s1:
            step_times[s1].append((a1 - a0) / clip.fps)
    all_steps = step_times["left"] + step_times["right"]
    entry: dict[str, Any] = {
        "steps": len(strikes),
        "stance_time_s": {s: round(float(np.median([(b - a) / clip.fps for a, b in contacts[s]])), 2) for s in SIDES},
    }
    if all_steps:
        entry["cadence_spm"] = _r(60.0 / np.mean(all_steps))
    if step_times["left"] and step_times["right"]:
        left, right = np.mean(step_times["left"]), np.mean(step_times["right"])
        entry["step_time_asymmetry_pct"] = _r(abs(left - right) / ((left + right) / 2) * 100)
    in_stance = _mask(clip.track.frames, contacts["left"] + contacts["right"]) & clip.used
    feet = [f"{clip.near}_{x}" for x in ("heel", "foot_index", "ankle")]
    record = quality(clip, "temporal", feet, in_stance)
    entry["quality"] = {k: record for k in entry}
    keys = [(a, f"{s} foot strikes the ground") for a, s in strikes[:4]]
    return Measured({"gait": entry}, keys)


def gait_front(clip: Clip) -> Measured:
    p, a = clip.points, clip.angles
    lower = p["left_ankle"][:, 1] - p["right_ankle"][:, 1]  # > 0: the left foot is lower, so bearing weight
    gap = events.LIFTED_LEGS * clip.leg
    tilt = a["pelvic_obliquity"] - np.nanmedian(a["pelvic_obliquity"][clip.used])
    on_left, on_right = (lower > gap) & clip.used, (lower < -gap) & clip.used
    if on_left.sum() < 2 or on_right.sum() < 2:
        raise _no_movement(clip, "no steps found: walk toward or away from the camera for several steps")
    drop = {
        "right": _r(
            max(0.0, float(np.nanpercentile(tilt[on_left], 95)))
        ),  # the right side drops while the left bears weight
        "left": _r(max(0.0, float(np.nanpercentile(-tilt[on_right], 95)))),
    }
    names = [f"{s}_{x}" for s in SIDES for x in ("hip", "ankle")]
    entry = {
        "pelvic_drop_deg": drop,
        "quality": {"pelvic_drop_deg": quality(clip, "frontal", names, on_left | on_right)},
    }
    keys = [
        (int(np.flatnonzero(on_left)[0]), "left foot bearing weight"),
        (int(np.flatnonzero(on_right)[0]), "right foot bearing weight"),
    ]
    return Measured({"gait": entry}, keys)


def measure(clip: Clip) -> Measured:
    if clip.movement == "overhead_squat":
        return overhead_squat(clip)
    if clip.movement == "single_leg_stance":
        return single_leg_stance(clip)
    return gait_side(clip) if clip.view == "side" else gait_front(clip)
