"""Joint and segment angles, defined as data (one row each, after Sports2D's angle table).

A row names its points (a landmark, or ``mid:a,b`` for the midpoint of two), its kind and the
plane (view) in which a single camera can measure it. All angles are in degrees, in the image
(x right, y down), from cleaned landmark series; a series is unwrapped over time.

- ``flexion``: at the middle point, 180° minus the angle between its two segments (0 straight);
- ``between``: the angle between the two segments at the middle point (0 folded, 180 in line);
- ``from_vertical``: a segment's tilt from upward vertical; ``forward`` signs it along the way
  the person faces (side view), ``lateral`` toward the person's own left (front view);
- ``to_horizontal``: a segment's angle to the horizontal, positive when its second point is
  higher (image up);
- ``valgus``: the knee's frontal-plane projection angle, positive when the knee sits medial of
  the hip-ankle line (toward the other leg);
- ``rotation``: a foot's turn-out from straight ahead, in the ground plane of BlazePose's world
  landmarks, positive outward (front view, person facing the camera).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from rebalance.video import signals
from rebalance.video.landmarks import INDEX, Array, Track

Kind = Literal["flexion", "between", "from_vertical", "to_horizontal", "valgus", "rotation"]
View = Literal["side", "front"]


@dataclass(frozen=True)
class Angle:
    name: str
    kind: Kind
    points: tuple[str, ...]
    view: View
    side: Literal["left", "right"] | None = None
    direction: Literal["forward", "lateral", "none"] = "none"


def _sided(name: str, kind: Kind, points: tuple[str, ...], view: View) -> list[Angle]:
    return [
        Angle(f"{side}_{name}", kind, tuple(p.replace("SIDE", side) for p in points), view, side)
        for side in ("left", "right")
    ]


MID_HIP, MID_SHOULDER = "mid:left_hip,right_hip", "mid:left_shoulder,right_shoulder"
ANGLES: list[Angle] = [
    *_sided("knee_flexion", "flexion", ("SIDE_hip", "SIDE_knee", "SIDE_ankle"), "side"),
    *_sided("hip_flexion", "flexion", (MID_SHOULDER, "SIDE_hip", "SIDE_knee"), "side"),
    *_sided("ankle_dorsiflexion", "flexion", ("SIDE_knee", "SIDE_ankle", "SIDE_foot_index"), "side"),
    *_sided("shoulder_flexion", "between", ("SIDE_hip", "SIDE_shoulder", "SIDE_elbow"), "side"),
    *_sided("foot_pitch", "to_horizontal", ("SIDE_foot_index", "SIDE_heel"), "side"),
    *_sided("shank_lean", "from_vertical", ("SIDE_ankle", "SIDE_knee"), "side"),
    *_sided("knee_valgus", "valgus", ("SIDE_hip", "SIDE_knee", "SIDE_ankle"), "front"),
    *_sided("foot_rotation", "rotation", ("SIDE_heel", "SIDE_foot_index"), "front"),
    Angle("trunk_lean", "from_vertical", (MID_HIP, MID_SHOULDER), "side", direction="forward"),
    Angle("trunk_side_lean", "from_vertical", (MID_HIP, MID_SHOULDER), "front", direction="lateral"),
    Angle("pelvic_obliquity", "to_horizontal", ("right_hip", "left_hip"), "front"),
]
BY_NAME = {a.name: a for a in ANGLES}


def _xy(points: dict[str, Array], name: str) -> Array:
    if name.startswith("mid:"):
        a, b = name[4:].split(",")
        return (points[a] + points[b]) / 2
    return points[name]


def _between(u: Array, v: Array) -> Array:
    """Unsigned angle between vectors, degrees, per frame: atan2(|cross|, dot)."""
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    out: Array = np.degrees(np.arctan2(np.abs(cross), np.sum(u * v, axis=1)))
    return out


def facing(points: dict[str, Array]) -> float:
    """+1 when the person faces image right (side view), -1 when left: toes ahead of heels."""
    ahead = (points["left_foot_index"] + points["right_foot_index"] - points["left_heel"] - points["right_heel"])[:, 0]
    return 1.0 if np.nanmedian(ahead) >= 0 else -1.0


def own_left(points: dict[str, Array]) -> float:
    """+1 when the person's left is image right (they face the camera), -1 from behind."""
    return 1.0 if np.nanmedian(points["left_hip"][:, 0] - points["right_hip"][:, 0]) >= 0 else -1.0


def _valgus(points: dict[str, Array], angle: Angle) -> Array:
    hip, knee, ankle = (_xy(points, p) for p in angle.points)
    bend = 180.0 - _between(hip - knee, ankle - knee)
    # the knee's horizontal offset from the hip-ankle line at the knee's height; medial = toward the other hip
    line, to_knee = ankle - hip, knee - hip
    rise = np.where(np.abs(line[:, 1]) > 1e-9, line[:, 1], np.nan)
    offset = to_knee[:, 0] - line[:, 0] * to_knee[:, 1] / rise
    other = "right_hip" if angle.side == "left" else "left_hip"
    medial = np.sign(points[other][:, 0] - hip[:, 0])
    return np.where(np.sign(offset) == medial, bend, -bend)


def _rotation(world: dict[str, Array], points: dict[str, Array], angle: Angle) -> Array:
    heel, toe = world[angle.points[0]], world[angle.points[1]]
    ahead = toe - heel
    toward_camera = own_left(points)  # facing the camera, forward is toward it (world z decreasing)
    outward = toward_camera * (1.0 if angle.side == "left" else -1.0)
    out: Array = np.degrees(np.arctan2(outward * ahead[:, 0], -toward_camera * ahead[:, 2]))
    return out


def compute(angle: Angle, points: dict[str, Array], world: dict[str, Array]) -> Array:
    """One angle's series (degrees, unwrapped) from cleaned landmark series."""
    if angle.kind == "flexion":
        a, b, c = (_xy(points, p) for p in angle.points)
        series = 180.0 - _between(a - b, c - b)
        if angle.name.endswith("ankle_dorsiflexion"):
            series = 90.0 - _between(a - b, c - b)
    elif angle.kind == "between":
        a, b, c = (_xy(points, p) for p in angle.points)
        series = _between(a - b, c - b)
    elif angle.kind == "from_vertical":
        a, b = (_xy(points, p) for p in angle.points)
        seg = b - a
        sign = facing(points) if angle.direction == "forward" else own_left(points)
        series = np.degrees(np.arctan2(sign * seg[:, 0], -seg[:, 1]))
    elif angle.kind == "to_horizontal":
        a, b = (_xy(points, p) for p in angle.points)
        seg = b - a
        series = np.degrees(np.arctan2(-seg[:, 1], np.abs(seg[:, 0])))
    elif angle.kind == "valgus":
        series = _valgus(points, angle)
    else:
        series = _rotation(world, points, angle)
    return signals.unwrap_deg(series)


def in_world(view: View) -> set[str]:
    """The landmarks whose world (depth) series the view's angles use: only the foot rotation's."""
    return {p for a in ANGLES if a.view == view and a.kind == "rotation" for p in a.points}


def clean_points(
    track: Track, world_names: set[str] | frozenset[str] = frozenset()
) -> tuple[dict[str, Array], dict[str, Array]]:
    """Each body landmark's cleaned (gap-filled, outlier-rejected, low-passed) image series, and the
    world series of ``world_names`` (cleaning is most of the time after pose, so only what is used)."""
    body = [(name, i) for name, i in INDEX.items() if i >= 11]  # the face is not used
    n, idx = track.frames, [i for _, i in body]
    xy = signals.clean(track.xy[:, idx, :].reshape(n, -1), track.fps).reshape(n, len(idx), 2)
    points = {name: xy[:, k, :] for k, (name, _) in enumerate(body)}
    deep = [(name, i) for name, i in body if name in world_names]
    xyz = signals.clean(track.world[:, [i for _, i in deep], :].reshape(n, -1), track.fps).reshape(n, len(deep), 3)
    world = {name: xyz[:, k, :] for k, (name, _) in enumerate(deep)}
    return points, world
