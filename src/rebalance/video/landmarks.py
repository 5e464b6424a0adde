"""BlazePose's 33 landmarks by name, and the track of one clip's landmarks frame by frame.

Left and right are the person's own (odd indices are left). A :class:`Track` holds numbers only
(a few kilobytes a frame), never the frames themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]

NAMES = (
    "nose left_eye_inner left_eye left_eye_outer right_eye_inner right_eye right_eye_outer left_ear right_ear "
    "mouth_left mouth_right left_shoulder right_shoulder left_elbow right_elbow left_wrist right_wrist left_pinky "
    "right_pinky left_index right_index left_thumb right_thumb left_hip right_hip left_knee right_knee left_ankle "
    "right_ankle left_heel right_heel left_foot_index right_foot_index"
).split()
INDEX = {name: i for i, name in enumerate(NAMES)}
COUNT = len(NAMES)

# left/right pairs, by body part: a label swap is checked and corrected per group
LEG_PAIRS = [(INDEX[f"left_{p}"], INDEX[f"right_{p}"]) for p in ("hip", "knee", "ankle", "heel", "foot_index")]
UPPER_PAIRS = [
    (INDEX[f"left_{p}"], INDEX[f"right_{p}"])
    for p in ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "eye_inner", "eye", "eye_outer", "ear")
] + [(INDEX["mouth_left"], INDEX["mouth_right"])]

# the skeleton drawn on key frames
BONES = [
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
]  # fmt: skip


@dataclass
class Track:
    """The landmarks of one clip: one row per decoded frame, NaN where no person was tracked.

    ``xy`` is in pixels (x right, y down), ``visibility`` 0-1, ``world`` in metres with its origin
    between the hips (BlazePose's own estimate of depth). ``probes`` are the frames checked for a
    second person and the height of the other person found there, relative to the tracked one
    (0 when none was found).
    """

    path: str
    fps: float
    width: int
    height: int
    xy: Array
    visibility: Array
    world: Array
    probes: list[tuple[int, float]] = field(default_factory=list)
    frames_declared: int = 0

    @property
    def frames(self) -> int:
        return int(self.xy.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def point(self, name: str) -> Array:
        """(frames, 2) pixel positions of one landmark."""
        return self.xy[:, INDEX[name], :]

    def mid(self, a: str, b: str) -> Array:
        return (self.point(a) + self.point(b)) / 2

    def tracked(self) -> Mask:
        out: Mask = np.isfinite(self.xy[:, INDEX["left_hip"], 0]) & np.isfinite(self.xy[:, INDEX["right_hip"], 0])
        return out

    def keep(self, mask: Mask) -> Track:
        """The same track with the frames outside ``mask`` blanked (NaN): never used, never mixed in."""
        xy, vis, world = self.xy.copy(), self.visibility.copy(), self.world.copy()
        xy[~mask], vis[~mask], world[~mask] = np.nan, 0.0, np.nan
        return Track(self.path, self.fps, self.width, self.height, xy, vis, world, self.probes, self.frames_declared)


def empty(frames: int) -> tuple[Array, Array, Array]:
    """NaN arrays for ``frames`` frames: (xy, visibility, world)."""
    return (
        np.full((frames, COUNT, 2), np.nan),
        np.zeros((frames, COUNT)),
        np.full((frames, COUNT, 3), np.nan),
    )
