"""Pose extraction: decode a clip frame by frame and run BlazePose on each frame.

Frames are streamed (one decoded frame in memory at a time); what is kept is the landmarks.
One tracking ``Pose`` per thread of a process (:func:`kept`), made once and kept for the clips that
thread analyses, its graph started afresh (``reset()``) for each clip: it follows one person across
frames and is not safe to share between threads. Without the reset the first frames of a clip follow
the last clip's person; with it the landmarks are bit-identical to a new ``Pose``'s (measured on the
cam02 clip, and tested), and a worker's second clip skips the graph's set-up (first frame 0.39 s CPU
with a new ``Pose``, 0.14 s after a reset).

On a few sampled frames a second, static ``Pose`` (kept the same way, not reset: it carries nothing
from frame to frame; reused after cam01's frames it gives cam02 the landmarks a new one gives) looks
at the frame with the tracked person blacked out: a person of comparable size found there is a second
person in the clip (the tracker itself never says so; OpenCV's HOG people detector, measured on the
project's clips, found nobody in two of four clips, so it is not used).

MediaPipe 0.10.21 carries the full landmark model in its wheel, so ``model_complexity=1`` runs
with no network; complexity 0 and 2 would try to download theirs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rebalance.errors import InvalidInputError, Problem
from rebalance.video.landmarks import COUNT, Array, Track

MODEL_COMPLEXITY = 1  # the only BlazePose model shipped inside the mediapipe wheel
PROBE_EVERY_S = 2.0  # one second-person probe per this much video ...
PROBES_MIN, PROBES_MAX = 2, 6  # ... within these bounds
PROBE_PAD = 0.15  # the tracked person's box grows by this share of its height before it is blacked out
MIN_FRAMES_DECODED = 0.9  # a file that decodes fewer of the frames it declares is truncated

Progress = Callable[[int, int], None]

# fewer of MediaPipe's and TensorFlow Lite's start-up lines on stderr (read when mediapipe is imported)
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _open(path: Path) -> Any:
    import cv2

    if not path.is_file():
        raise InvalidInputError([Problem(str(path), "", "no such file")])
    # the decoder gets as many threads as OpenCV has (one after one_core)
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, cv2.getNumThreads()])
    if not capture.isOpened():
        capture.release()
        raise InvalidInputError([Problem(str(path), "", "not a video, or a video that cannot be read")])
    return capture


def one_core() -> None:
    """Keep this process to about one core, for a worker process: N workers then use N cores.

    OpenCV's threads are what spread one process over two cores: its parallel loops (colour
    conversion) and the decoder's threads (:func:`_open` gives it OpenCV's thread count).
    BlazePose's TensorFlow Lite (XNNPACK) runs single-threaded on Linux. Sampled during
    ``process()`` on this 2-core machine: two threads runnable at once 82 % of the time
    without this, one thread 90 % of the time with it. The results are the same.
    """
    import cv2

    cv2.setNumThreads(1)


def warm_worker() -> None:
    """A pool worker's initializer: one core, then the pipeline's imports and this process's ``Pose`` objects
    made once, so that the start-up is paid when the pool starts and never again per clip."""
    one_core()
    import rebalance.video.job  # noqa: F401  (SciPy's signal module: about 1 s of CPU)

    kept("tracker")
    kept("detector")


def frames(path: str | Path) -> Iterator[Any]:
    """Decode ``path`` one BGR frame at a time (nothing held beyond the current frame)."""
    capture = _open(Path(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()


def _tracker() -> Any:
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=MODEL_COMPLEXITY,
        smooth_landmarks=True,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


def _detector() -> Any:
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=True, model_complexity=MODEL_COMPLEXITY, min_detection_confidence=0.5
    )


_KEPT = threading.local()
MAKERS = {"tracker": _tracker, "detector": _detector}


def kept(kind: str) -> Any:
    """This thread's ``Pose`` of ``kind`` (``tracker`` or ``detector``), made on first use and kept."""
    made = _KEPT.__dict__
    if kind not in made:
        made[kind] = MAKERS[kind]()
    return made[kind]


def fresh(kind: str) -> Any:
    """This thread's kept ``Pose`` with its graph started afresh: no state from an earlier clip."""
    pose = kept(kind)
    pose.reset()
    return pose


def probe_frames(declared: int, fps: float) -> set[int]:
    """Which frames to check for a second person: evenly spaced, about one each PROBE_EVERY_S."""
    if declared <= 0:
        return set()
    count = int(np.clip(round(declared / fps / PROBE_EVERY_S), PROBES_MIN, PROBES_MAX))
    return {int((k + 0.5) * declared / count) for k in range(count)}


def _rows(result: Any, width: int, height: int) -> tuple[Array, Array, Array] | None:
    if result.pose_landmarks is None:
        return None
    image = np.array([(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark])
    world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
    return image[:, :2], image[:, 2], world


def other_person(detector: Any, rgb: Any, xy: Array) -> float:
    """Height of a person found outside the tracked one's box, relative to the tracked one (0: none)."""
    height, width = rgb.shape[:2]
    (x0, y0), (x1, y1) = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    tall = max(y1 - y0, 1.0)
    pad = PROBE_PAD * tall
    masked = rgb.copy()
    masked[max(0, int(y0 - pad)) : max(0, int(y1 + pad)), max(0, int(x0 - pad)) : max(0, int(x1 + pad))] = 0
    rows = _rows(detector.process(masked), width, height)
    if rows is None:
        return 0.0
    points, visibility, _ = rows
    seen = points[visibility > 0.5]
    if len(seen) < 2:
        return 0.0
    return float((seen[:, 1].max() - seen[:, 1].min()) / tall)


def extract(path: str | Path, progress: Progress | None = None) -> Track:
    """Run BlazePose over every frame of ``path``; refuse a file that is not a readable video."""
    import cv2

    path = Path(path)
    capture = _open(path)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    if fps <= 0 or width <= 0 or height <= 0:
        raise InvalidInputError([Problem(str(path), "", "not a video: no frame rate or frame size")])
    probes = probe_frames(declared, fps)
    xy: list[Array] = []
    vis: list[Array] = []
    world: list[Array] = []
    found: list[tuple[int, float]] = []
    nothing = (np.full((COUNT, 2), np.nan), np.zeros(COUNT), np.full((COUNT, 3), np.nan))
    tracker, detector = fresh("tracker"), None
    for i, frame in enumerate(frames(path)):
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rows = _rows(tracker.process(rgb), width, height) or nothing
        xy.append(rows[0])
        vis.append(rows[1])
        world.append(rows[2])
        if i in probes and np.isfinite(rows[0][0, 0]):
            detector = detector or kept("detector")
            found.append((i, other_person(detector, rgb, rows[0])))
        if progress is not None:
            progress(i + 1, declared)
    if not xy:
        raise InvalidInputError([Problem(str(path), "", "not a video, or no frame could be decoded")])
    if declared and len(xy) < MIN_FRAMES_DECODED * declared:
        why = f"truncated or damaged: it declares {declared} frames but only {len(xy)} could be decoded"
        raise InvalidInputError([Problem(str(path), "", why)])
    return Track(str(path), fps, width, height, np.array(xy), np.array(vis), np.array(world), found, declared)
