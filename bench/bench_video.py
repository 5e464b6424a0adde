"""Video analysis speed and memory (rebalance video), one run, each figure printed beside its target.

1. ``ratio``: frames a second of the whole pipeline (rebalance.video.job.analyse) against the bare
   loop of decode + BlazePose process() over the same clip (the ceiling), both in this process with
   the same thread settings: target at least 0.9. They run alternately, ROUNDS times each; the
   best of each is compared (the run least disturbed by other work), and so is the CPU time a frame
   (not moved by other processes' load);
2. ``memory``: peak memory (max RSS, in a fresh process) for a clip and the same clip looped 4x:
   target flat (frames are streamed, never held);
3. ``batch``: a batch of clips on two worker processes against one (each worker keeps to one core,
   rebalance.video.pose.one_core): target at least 1.7x. Both runs are accounted alike: the pool is
   started and every worker warmed (rebalance.video.pose.warm_worker) before the clock for the batch
   starts, and the start-up is printed apart; the "cold" ratio adds each run's start-up back. Beside the
   wall-clock figures, which need two idle cores (run it last, on a quiet machine), it prints what load
   does not move: each worker's CPU seconds (start-up, clips), the cores one worker keeps busy, the
   serial fraction (the start-up each worker repeats, over one worker's whole run) and the ratio the
   CPU figures predict on two idle cores.

The clip: the Pose2Sim single-leg clip cam02 (../shared/data/videos), looped 4x for 1 and 2.
``python bench/bench_video.py [ratio] [memory] [batch]`` runs the parts named (default: all three,
in that order). The load average is printed at the start and the end: on a loaded machine the
batch figure is not the machine's.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"
CLIP = VIDEOS / "pose2sim-single-leg-balance-cam02.mp4"
MOVEMENT = "single_leg_stance"
ROUNDS = 3
BATCH = 6  # clips in the batch: an even split over two workers; more clips spread each worker's start-up
PARTS = ("ratio", "memory", "batch")


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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


def ceiling(path: Path) -> int:
    """The bare loop: decode, colour conversion BlazePose needs, process(); frames done."""
    import cv2

    from rebalance.video.pose import frames, fresh

    n = 0
    pose = fresh("tracker")  # the pipeline's own kept Pose, restarted: the same warm-up accounting
    for frame in frames(path):
        pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        n += 1
    return n


def pipeline(path: Path) -> int:
    from rebalance.video.job import analyse

    return analyse(path, MOVEMENT).clip.track.frames


def timed(run: Callable[[Path], int], path: Path) -> tuple[float, float]:
    """(frames a second, CPU seconds a frame) of one run."""
    wall, cpu = time.perf_counter(), cpu_s()
    n = run(path)
    return n / (time.perf_counter() - wall), (cpu_s() - cpu) / n


def ratio(x4: Path) -> None:
    pipeline(CLIP)  # warm: imports, model load
    bare: list[tuple[float, float]] = []
    whole: list[tuple[float, float]] = []
    for _ in range(ROUNDS):
        bare.append(timed(ceiling, x4))
        whole.append(timed(pipeline, x4))
    fps, top = max(f for f, _ in whole), max(f for f, _ in bare)
    best_cpu, best_top_cpu = min(c for _, c in whole), min(c for _, c in bare)
    print(
        f"pipeline {fps:.1f} fps against the ceiling (decode + process) {top:.1f} fps, best of {ROUNDS} each "
        f"(all: {', '.join(f'{f:.1f}' for f, _ in whole)} / {', '.join(f'{f:.1f}' for f, _ in bare)}): "
        f"{fps / top:.2f}   target >= 0.90"
    )
    print(
        f"  by CPU time a frame: pipeline {best_cpu * 1000:.1f} ms, ceiling {best_top_cpu * 1000:.1f} ms: "
        f"{best_top_cpu / best_cpu:.2f}   target >= 0.90"
    )


PEAK = """
import resource, sys
from rebalance.video.job import analyse
analyse(sys.argv[1], "single_leg_stance")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_mb(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def memory(x4: Path) -> None:
    short, long_ = peak_mb(CLIP), peak_mb(x4)
    print(f"peak memory: clip {short} MB, clip looped 4x {long_} MB: {long_ / short:.2f}   target flat (about 1.00)")


def worker_cpu_s(seconds: float = 0.3) -> tuple[int, float]:
    """(pid, CPU seconds so far) of the worker that runs it; it holds the worker a moment so that the
    next call goes to another one."""
    time.sleep(seconds)
    return os.getpid(), cpu_s()


def per_worker(pool: Any, workers: int) -> dict[int, float]:
    """Every worker's CPU seconds so far (asked until each of the ``workers`` processes has answered)."""
    seen: dict[int, float] = {}
    while len(seen) < workers:
        seen |= dict(f.result() for f in [pool.submit(worker_cpu_s) for _ in range(workers)])
    return seen


@dataclass
class Run:
    workers: int
    startup_wall: float  # the pool started and every worker warmed
    startup_cpu: dict[int, float]  # per worker
    batch_wall: float  # the clips, on warm workers
    clips_cpu: dict[int, float]  # per worker

    def cold_wall(self) -> float:
        return self.startup_wall + self.batch_wall

    def busiest_s(self) -> float:
        """The longest a worker works, start-up and clips, if each had a core of its own."""
        return max(self.startup_cpu[p] + self.clips_cpu[p] for p in self.clips_cpu)


def batch_run(paths: list[str], workers: int) -> Run:
    from rebalance.video.batch import pool, run_local

    start = time.perf_counter()
    with pool(workers) as warm:
        startup = per_worker(warm, workers)
        ready = time.perf_counter()
        results = run_local(paths, MOVEMENT, None, None, workers, executor=warm)
        done = time.perf_counter()
        after = per_worker(warm, workers)
    assert all(r["status"] == "ok" for r in results), results
    clips = {p: after[p] - startup[p] for p in startup}
    return Run(workers, ready - start, startup, done - ready, clips)


def describe(run: Run) -> str:
    each = ", ".join(f"{run.startup_cpu[p]:.1f} + {run.clips_cpu[p]:.1f}" for p in sorted(run.clips_cpu))
    cores = sum(run.clips_cpu.values()) / run.batch_wall
    return (
        f"  {run.workers} worker(s): start-up {run.startup_wall:.1f} s, batch {run.batch_wall:.1f} s on warm workers; "
        f"CPU s a worker (start-up + clips): {each}; {cores:.2f} cores busy during the batch"
    )


def batch(folder: Path) -> None:
    paths = []
    for i in range(BATCH):
        link = folder / f"clip{i}.mp4"
        link.symlink_to(CLIP)
        paths.append(str(link))
    print(f"  ({load()} before the batch)")
    one, two = batch_run(paths, 1), batch_run(paths, 2)
    print(describe(one))
    print(describe(two))
    startup = statistics.mean(one.startup_cpu.values())
    serial = startup / one.busiest_s()
    bound = 1 / (serial + (1 - serial) / 2)
    print(
        f"  serial fraction: a worker's start-up {startup:.1f} s CPU over one worker's whole run "
        f"{one.busiest_s():.1f} s = {serial:.2f} (Amdahl's bound for two workers: {bound:.2f}x)"
    )
    alone, together = sum(one.clips_cpu.values()) / BATCH, sum(two.clips_cpu.values()) / BATCH
    print(
        f"  CPU s a clip: {alone:.2f} on one worker, {together:.2f} with two at once ({together / alone - 1:+.0%}: "
        "beyond a few per cent, the two cores slow each other - shared caches, or SMT siblings on the host)"
    )
    cold, warm = one.busiest_s() / two.busiest_s(), max(one.clips_cpu.values()) / max(two.clips_cpu.values())
    print(
        f"batch of {BATCH} clips, predicted from CPU seconds on two idle cores: {cold:.2f}x with start-up, "
        f"{warm:.2f}x on warm workers   target >= 1.70"
    )
    print(
        f"batch of {BATCH} clips, wall clock (needs two idle cores): 1 worker {one.cold_wall():.1f} s, "
        f"2 workers {two.cold_wall():.1f} s: {one.cold_wall() / two.cold_wall():.2f}x with start-up; "
        f"on warm workers {one.batch_wall:.1f} s / {two.batch_wall:.1f} s: {one.batch_wall / two.batch_wall:.2f}x   "
        "target >= 1.70"
    )


def main(parts: list[str]) -> None:
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown part {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    print(f"machine: {os.cpu_count()} cores; clip {CLIP.name}; {load()} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        x4 = looped(4, folder)
        for part in [p for p in PARTS if p in (parts or PARTS)]:
            if part == "batch":
                batch(folder)
            else:
                {"ratio": ratio, "memory": memory}[part](x4)
    print(f"{load()} at the end")


if __name__ == "__main__":
    main(sys.argv[1:])
