"""Movement analysis from ordinary video: overhead squat, single-leg stance, gait.

Needs the optional extra (``pip install 'rebalance[video]'``: MediaPipe, OpenCV, SciPy). The
pipeline, one module a step::

    pose.extract      decode frame by frame, BlazePose landmarks (+ second-person probes)
    person.one_person one person only: swaps corrected, another person's frames never mixed in
    clip.prepare      view, duration and in-frame checks; cleaned landmarks (signals); angles
    movements.measure repetitions / holds / steps (events) -> assessment entries with quality
    output.write      per-frame angles as CSV, key frames as PNG
    job.run / batch   one clip as plain data; many clips over processes or Celery workers
    uploads           the clinic app's clips: checked, stored, analysed in the background, recorded
    review            the notes a clinician reads beside measures from video (view, confidence, source)
"""

from __future__ import annotations

EXTRA_HINT = "video analysis needs the optional extra: pip install 'rebalance[video]'"


def missing_extra() -> str | None:
    """The module the video extra would bring that cannot be imported, or None when all are there."""
    import importlib

    for name in ("numpy", "scipy", "cv2", "mediapipe"):
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


__all__ = ["EXTRA_HINT", "missing_extra"]
