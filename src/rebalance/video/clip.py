"""A clip ready to measure: one person, the camera's view, cleaned landmarks and angle series.

Refuses what a single camera cannot measure: an oblique view, a view that is wrong for the
movement (or not the one asked for), a clip too short, a person partly out of frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rebalance.errors import InvalidInputError, Problem
from rebalance.video import angles
from rebalance.video.angles import View
from rebalance.video.landmarks import INDEX, Array, Mask, Track
from rebalance.video.person import OnePerson, in_frame

Movement = Literal["overhead_squat", "single_leg_stance", "gait"]
MOVEMENTS: tuple[Movement, ...] = ("overhead_squat", "single_leg_stance", "gait")
VIEWS_FOR: dict[str, tuple[View, ...]] = {
    "overhead_squat": ("front", "side"),
    "single_leg_stance": ("front",),  # pelvic drop and knee valgus are frontal-plane measures
    "gait": ("side", "front"),
}
MIN_SECONDS = {"overhead_squat": 2.0, "single_leg_stance": 1.0, "gait": 1.5}
FRONT_MAX_YAW, SIDE_MIN_YAW = 30.0, 60.0  # the body's turn from facing the camera, degrees
MIN_IN_FRAME = 0.8  # share of the person's frames in which the needed landmarks must be in the picture
BODY = ["shoulder", "hip", "knee", "ankle"]
FEET = ["heel", "foot_index"]


@dataclass(frozen=True)
class Clip:
    track: Track
    movement: Movement
    view: View
    yaw_deg: float
    points: dict[str, Array]
    world: dict[str, Array]  # only the landmarks the view's angles need in depth
    angles: dict[str, Array]
    used: Mask  # frames of the one person
    leg: float  # hip to ankle along the thigh and shank, pixels (median)
    near: Literal["left", "right"]  # the side nearer the camera (side view)
    swaps: list[tuple[int, str]]
    segments: list[tuple[int, int]]

    @property
    def fps(self) -> float:
        return self.track.fps

    def visibility(self, names: list[str], frames: Mask | None = None) -> float:
        rows = self.used if frames is None else frames
        vis = self.track.visibility[rows][:, [INDEX[n] for n in names]]
        return round(float(vis.mean()), 2) if vis.size else 0.0


def yaw(track: Track) -> float:
    """How far the body is turned from facing the camera (0 front or back, 90 side), degrees."""
    out = []
    for a, b in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")):
        d = track.world[:, INDEX[a], :] - track.world[:, INDEX[b], :]
        out.append(np.degrees(np.arctan2(np.abs(d[:, 2]), np.abs(d[:, 0]))))
    return float(np.nanmedian(np.concatenate(out)))


def view_of(yaw_deg: float) -> View | None:
    if yaw_deg <= FRONT_MAX_YAW:
        return "front"
    if yaw_deg >= SIDE_MIN_YAW:
        return "side"
    return None


def _refuse(track: Track, field: str, why: str) -> InvalidInputError:
    return InvalidInputError([Problem(track.path, field, why)])


def _check_view(track: Track, movement: Movement, asked: View | None) -> tuple[View, float]:
    turned = yaw(track)
    seen = view_of(turned)
    if seen is None:
        why = (
            f"filmed at an angle (the body is turned about {turned:.0f}° from the camera); "
            "film square from the front or the side"
        )
        raise _refuse(track, "view", why)
    if asked is not None and asked != seen:
        raise _refuse(track, "view", f"the clip looks filmed from the {seen}, not the {asked} as asked")
    if seen not in VIEWS_FOR[movement]:
        need = " or ".join(VIEWS_FOR[movement])
        what = movement.replace("_", " ")
        why = f"wrong view for {what}: it needs the camera at the {need}, this clip is from the {seen}"
        raise _refuse(track, "view", why)
    return seen, turned


def _near(track: Track, used: Mask) -> Literal["left", "right"]:
    vis = {s: track.visibility[used][:, [INDEX[f"{s}_{p}"] for p in BODY]].mean() for s in ("left", "right")}
    return "left" if vis["left"] >= vis["right"] else "right"


def _check_in_frame(track: Track, used: Mask, names: list[str]) -> None:
    inside = in_frame(track, names)[used]
    if inside.mean() >= MIN_IN_FRAME:
        return
    per_point = {n: in_frame(track, [n])[used].mean() for n in names}
    worst = min(per_point, key=lambda n: per_point[n])
    why = (
        f"the person is partly out of the frame: the {worst.replace('_', ' ')} is hidden or outside the picture "
        f"in {1 - per_point[worst]:.0%} of the frames; film the whole body, head to feet"
    )
    raise _refuse(track, "frames", why)


def prepare(one: OnePerson, movement: Movement, asked: View | None = None) -> Clip:
    """Check the clip can support the movement's measures; clean the landmarks; compute the angles."""
    track = one.track
    used = track.tracked()
    seconds = used.sum() / track.fps
    if seconds < MIN_SECONDS[movement]:
        what = movement.replace("_", " ")
        why = f"too short: {seconds:.1f} s of the person, {what} needs at least {MIN_SECONDS[movement]:g} s"
        raise _refuse(track, "frames", why)
    view, turned = _check_view(track, movement, asked)
    near = _near(track, used)
    sides = (near,) if view == "side" else ("left", "right")
    parts = BODY + (FEET if view == "side" else [])
    _check_in_frame(track, used, [f"{s}_{p}" for s in sides for p in parts])
    points, world = angles.clean_points(track, angles.in_world(view))
    table = {a.name: angles.compute(a, points, world) for a in angles.ANGLES if a.view == view}
    legs = [
        np.linalg.norm(points[f"{s}_hip"] - points[f"{s}_knee"], axis=1)
        + np.linalg.norm(points[f"{s}_knee"] - points[f"{s}_ankle"], axis=1)
        for s in sides
    ]
    leg = float(np.nanmedian(np.concatenate(legs)))
    return Clip(track, movement, view, turned, points, world, table, used, leg, near, one.swaps, one.segments)
