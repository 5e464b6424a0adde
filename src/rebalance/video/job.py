"""The job: one clip, one movement -> the assessment entries it measured (or why it was refused).

:func:`analyse` raises :class:`~rebalance.errors.InvalidInputError` for a clip it cannot use;
:func:`run` never raises for a clip (it reports), so a batch, a Celery worker or the clinic app
can run it and keep going. Both return plain data a worker can send back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebalance.errors import InvalidInputError
from rebalance.video import movements, output, person, pose
from rebalance.video.angles import View
from rebalance.video.clip import Clip, Movement, prepare
from rebalance.video.movements import Measured


@dataclass(frozen=True)
class Analysis:
    clip: Clip
    measured: Measured

    def document(self) -> dict[str, Any]:
        """The ``tests:`` section to merge into an assessment."""
        return {"tests": self.measured.tests}


def merge_into(assessment: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The assessment with the video's ``tests:`` entries added (a video's entry replaces the same test's)."""
    return {**assessment, "tests": {**(assessment.get("tests") or {}), **document["tests"]}}


def analyse(
    path: str | Path, movement: Movement, view: View | None = None, progress: pose.Progress | None = None
) -> Analysis:
    """Pose, one person, view and quality checks, then the movement's measures."""
    track = pose.extract(path, progress)
    clip = prepare(person.one_person(track), movement, view)
    return Analysis(clip, movements.measure(clip))


def run(
    path: str,
    movement: Movement,
    view: View | None = None,
    out_dir: str | None = None,
    progress: pose.Progress | None = None,
) -> dict[str, Any]:
    """One clip's result as plain data: ``{"file", "status": ok|refused, "tests" | "reasons"}``."""
    try:
        result = analyse(path, movement, view, progress)
    except InvalidInputError as exc:
        return {"file": path, "status": "refused", "reasons": [str(p) for p in exc.problems]}
    written = output.write(result.clip, result.measured, Path(out_dir)) if out_dir else []
    return {"file": path, "status": "ok", **result.document(), "written": [str(p) for p in written]}
