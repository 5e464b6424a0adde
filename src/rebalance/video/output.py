"""What ``-o DIR`` writes: the per-frame angles as CSV and key frames with the skeleton drawn.

Everything is written under temporary names and renamed at the end; on any error what was
written is removed, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from rebalance.video import pose
from rebalance.video.clip import Clip
from rebalance.video.landmarks import BONES, INDEX
from rebalance.video.movements import Measured

LEFT_BGR, RIGHT_BGR, MID_BGR = (60, 60, 230), (230, 120, 40), (80, 200, 80)


def write_csv(clip: Clip, path: Path) -> None:
    names = sorted(clip.angles)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["frame", "time_s", "tracked", *(f"{n}_deg" for n in names)])
        for i in range(clip.track.frames):
            row = [f"{clip.angles[n][i]:.1f}" if np.isfinite(clip.angles[n][i]) else "" for n in names]
            out.writerow([i, f"{i / clip.fps:.3f}", int(clip.used[i]), *row])


def _draw(frame: Any, clip: Clip, i: int, label: str) -> Any:
    import cv2

    xy = clip.track.xy[i]
    scale = max(1, round(max(frame.shape[:2]) / 600))
    for a, b in BONES:
        p, q = xy[INDEX[a]], xy[INDEX[b]]
        if np.all(np.isfinite([*p, *q])):
            colour = (
                LEFT_BGR
                if a.startswith("left") and b.startswith("left")
                else RIGHT_BGR
                if a.startswith("right") and b.startswith("right")
                else MID_BGR
            )
            cv2.line(frame, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), colour, 2 * scale, cv2.LINE_AA)
    lines = [label] + [
        f"{n.replace('_', ' ')}: {clip.angles[n][i]:.0f} deg"
        for n in sorted(clip.angles)
        if np.isfinite(clip.angles[n][i])
    ]
    for k, text in enumerate(lines):
        y = (30 + 26 * k) * scale // 2 + 10
        cv2.putText(frame, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, (0, 0, 0), 3 * scale, cv2.LINE_AA)
        cv2.putText(frame, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, (255, 255, 255), scale, cv2.LINE_AA)
    return frame


def write_key_frames(clip: Clip, measured: Measured, folder: Path) -> list[Path]:
    import cv2

    wanted = dict(measured.key_frames)
    written = []
    for i, frame in enumerate(pose.frames(clip.track.path)):
        if i in wanted:
            path = folder / f"frame-{i:05d}.png"
            if not cv2.imwrite(str(path), _draw(frame, clip, i, f"frame {i}: {wanted[i]}")):
                raise OSError(f"cannot write {path}")
            written.append(path)
        if i >= max(wanted, default=-1):
            break
    return written


def write(clip: Clip, measured: Measured, folder: Path) -> list[Path]:
    """Write the CSV and key frames into ``folder`` (created); all or nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(clip.track.path).stem
    staging = folder / f".{stem}.partial"
    staging.mkdir(exist_ok=True)
    try:
        write_csv(clip, staging / f"{stem}-angles.csv")
        (staging / "key").mkdir()
        write_key_frames(clip, measured, staging / "key")
        final = []
        for item in sorted(staging.rglob("*")):
            if item.is_file():
                name = item.name if item.parent == staging else f"{stem}-{item.name}"
                item.rename(folder / name)
                final.append(folder / name)
        return final
    finally:
        for item in sorted(staging.rglob("*"), reverse=True):
            item.unlink() if item.is_file() else item.rmdir()
        staging.rmdir()
