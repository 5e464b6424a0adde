"""Many clips: a local process pool, or Celery workers when a broker is configured.

Every clip given comes back exactly once, as ``ok`` (its entries), ``refused`` (bad input, with
the reasons) or ``failed`` (an error after any retries, with the error): nothing is lost.
Each worker process runs one clip at a time on one core (:func:`rebalance.video.pose.one_core`), so
that N workers use N cores. A worker is warmed once, when the pool starts it
(:func:`rebalance.video.pose.warm_worker`: the imports and its own ``Pose`` objects, about 1.7 s of CPU),
and keeps them for every clip it is given; each clip restarts the ``Pose`` graph (no tracking state
carried from one clip to the next).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import time
from pathlib import Path
from typing import Any

from rebalance.video import job, pose
from rebalance.video.progress import Bar

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}
POLL_S = 0.2


def clips(paths: list[str]) -> list[str]:
    """The files given, and the video files (by suffix) directly inside each folder given, in name order."""
    out: list[str] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            out += sorted(str(f) for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES)
        else:
            out.append(given)
    return out


def _failed(path: str, exc: BaseException) -> dict[str, Any]:
    return {"file": path, "status": "failed", "reasons": [f"{type(exc).__name__}: {exc}"]}


def _note(result: dict[str, Any]) -> str:
    return f"{Path(result['file']).name}: {result['status']}"


def pool(workers: int) -> cf.ProcessPoolExecutor:
    """``workers`` processes, each warmed once as it starts (:func:`rebalance.video.pose.warm_worker`)."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no MediaPipe state inherited
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=pose.warm_worker)


def run_local(
    paths: list[str],
    movement: str,
    view: str | None,
    out_dir: str | None,
    workers: int,
    executor: cf.ProcessPoolExecutor | None = None,
) -> list[dict[str, Any]]:
    """Analyse ``paths`` over ``workers`` processes (or the ``executor`` given, left open); results in order."""
    bar = Bar(len(paths))
    results: dict[str, dict[str, Any]] = {}
    with contextlib.nullcontext(executor) if executor else pool(workers) as running:
        futures = {running.submit(job.run, p, movement, view, out_dir): p for p in paths}  # type: ignore[arg-type]
        for future in cf.as_completed(futures):
            path = futures[future]
            try:
                results[path] = future.result()
            except Exception as exc:  # a crash in one clip is that clip's result, not the batch's end
                results[path] = _failed(path, exc)
            bar.step(_note(results[path]))
    return [results[p] for p in paths]


def run_celery(
    paths: list[str],
    movement: str,
    view: str | None,
    out_dir: str | None,
    broker_url: str,
    queue: str,
    timeout_s: float,
) -> list[dict[str, Any]]:
    """Send one task a clip to the workers on ``broker_url``; wait for every one of them."""
    from rebalance.video.tasks import make_app

    app = make_app(broker_url, queue)
    task = app.tasks["rebalance.video.analyse_clip"]
    pending = {task.apply_async((p, movement, view, out_dir), queue=queue): p for p in paths}
    bar = Bar(len(paths))
    results: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for handle in [h for h in pending if h.ready()]:
            path = pending.pop(handle)
            value = handle.get(propagate=False)
            results[path] = value if handle.successful() else _failed(path, value)
            handle.forget()
            bar.step(_note(results[path]))
        time.sleep(POLL_S)
    for path in pending.values():
        results[path] = _failed(path, TimeoutError(f"no worker finished it within {timeout_s:g} s"))
        bar.step(_note(results[path]))
    return [results[p] for p in paths]
