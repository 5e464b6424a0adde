"""Video analysis speed and memory (rebalance video), one run, printed beside the targets.

1. frames a second of the whole pipeline (rebalance.video.job.analyse) against the bare loop of
   decode + BlazePose process() over the same clip (the ceiling): target at least 0.9 of it;
2. a batch of clips on two worker processes against one: target at least 1.7x (two cores);
3. peak memory (max RSS, measured in a fresh process) for a clip and the same clip looped 4x:
   target flat (frames are streamed, never held).

The clip: the Pose2Sim single-leg clip cam02 (../shared/data/videos), looped 4x for 1 and 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"
CLIP = VIDEOS / "pose2sim-single-leg-balance-cam02.mp4"
MOVEMENT = "single_leg_stance"


def looped(times: int, folder: Path) -> Path:
    import cv2

    from rebalance.video.pose import frames

    out = folder / f"cam02-x{times}.mp4"
    capture = cv2.VideoCapture(str(CLIP))
    fps, w, h = capture.get(cv2.CAP_PROP_FPS), int(capture.get(3)), int(capture.get(4))
    capture.release()
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for _ in range(times):
        for f in frames(CLIP):
            writer.write(f)
    writer.release()
    return out


def ceiling_fps(path: Path) -> float:
    import contextlib

    import cv2

    from rebalance.video.pose import _tracker, frames

    start, n = time.perf_counter(), 0
    with contextlib.closing(_tracker()) as pose:
        for frame in frames(path):
            pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            n += 1
    return n / (time.perf_counter() - start)


def pipeline_fps(path: Path) -> float:
    from rebalance.video.job import analyse

    start = time.perf_counter()
    result = analyse(path, MOVEMENT)
    return result.clip.track.frames / (time.perf_counter() - start)


def batch_seconds(paths: list[str], workers: int) -> float:
    from rebalance.video.batch import run_local

    start = time.perf_counter()
    results = run_local(paths, MOVEMENT, None, None, workers)
    assert all(r["status"] == "ok" for r in results), results
    return time.perf_counter() - start


PEAK = """
import resource, sys
from rebalance.video.job import analyse
analyse(sys.argv[1], "single_leg_stance")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_mb(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"machine: {os.cpu_count()} cores; clip {CLIP.name}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        x4 = looped(4, folder)
        pipeline_fps(CLIP)  # warm: imports, model load
        ceiling = ceiling_fps(x4)
        whole = pipeline_fps(x4)
        ratio = whole / ceiling
        print(f"pipeline {whole:.1f} fps, ceiling (decode + process) {ceiling:.1f} fps: {ratio:.2f} (target >= 0.90)")
        paths = []
        for i in range(4):
            link = folder / f"clip{i}.mp4"
            link.symlink_to(CLIP)
            paths.append(str(link))
        one, two = batch_seconds(paths, 1), batch_seconds(paths, 2)
        print(f"batch of 4 clips: 1 worker {one:.1f} s, 2 workers {two:.1f} s: {one / two:.2f}x (target >= 1.70)")
        short, long_ = peak_mb(CLIP), peak_mb(x4)
        print(f"peak memory: clip {short} MB, clip looped 4x {long_} MB: {long_ / short:.2f} (target flat, about 1.0)")


if __name__ == "__main__":
    main()
