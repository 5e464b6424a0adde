"""Many clips: a local process pool, and Celery workers over this machine's Redis (a real worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from rebalance.video import batch
from tests.video.conftest import CAM02

pytest.importorskip("mediapipe")
REDIS_URL = "redis://127.0.0.1:6379/13"


def _clips(tmp_path: Path) -> list[str]:
    good = tmp_path / "a-cam02.mp4"
    good.symlink_to(CAM02)
    bad = tmp_path / "b-not-a-video.mp4"
    bad.write_text("text")
    return [str(good), str(bad)]


def test_a_folder_goes_through_the_process_pool_every_clip_reported(tmp_path, capsys):
    paths = batch.clips([str(tmp_path)]) if _clips(tmp_path) else []
    results = batch.run_local(paths, "single_leg_stance", None, None, workers=2)
    assert [r["file"] for r in results] == paths
    assert [r["status"] for r in results] == ["ok", "refused"]
    assert "single_leg_stance" in results[0]["tests"]
    assert "not a video" in results[1]["reasons"][0]
    assert "2/2 clips" in capsys.readouterr().err  # the progress bar


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


WORKER = """
import sys
from pathlib import Path
from rebalance.video import job
from rebalance.video.tasks import make_app

real_run = job.run
marks = Path(sys.argv[3])

def flaky_run(path, movement, view, out_dir):
    name = Path(path).name
    if name.startswith("c-"):
        raise RuntimeError("this clip always breaks the worker")
    if not (marks / name).exists():  # the first attempt at each clip meets a storage hiccup
        (marks / name).touch()
        raise OSError("storage not ready")
    return real_run(path, movement, view, out_dir)

job.run = flaky_run
app = make_app(sys.argv[1], sys.argv[2])
app.worker_main(["worker", "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING", "-Q", sys.argv[2],
                 "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_celery_workers_retry_a_transient_failure_report_a_failed_clip_and_lose_nothing(tmp_path, capsys):
    clips = _clips(tmp_path)
    broken = tmp_path / "c-breaks.mp4"
    broken.write_text("x")
    clips.append(str(broken))
    queue = f"rebalance-video-test-{uuid.uuid4().hex[:8]}"
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    worker = subprocess.Popen(
        [sys.executable, str(script), REDIS_URL, queue, str(marks)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        results = batch.run_celery(clips, "single_leg_stance", None, None, REDIS_URL, queue, timeout_s=240)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert [r["file"] for r in results] == clips  # every clip back, in order
    assert [r["status"] for r in results] == ["ok", "refused", "failed"]
    assert "single_leg_stance" in results[0]["tests"]  # analysed after the retry
    assert {p.name for p in marks.iterdir()} == {"a-cam02.mp4", "b-not-a-video.mp4"}  # each met the hiccup once
    assert "always breaks" in results[2]["reasons"][0]
    assert "3/3 clips" in capsys.readouterr().err


ONE_CORE = """
import sys
from pathlib import Path
import cv2
from rebalance.video import pose
if sys.argv[1] == "worker":
    pose.one_core()
capture = pose._open(Path(sys.argv[2]))
print(cv2.getNumThreads(), int(capture.get(cv2.CAP_PROP_N_THREADS)))
"""


def _threads(kind: str) -> list[int]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run(
        [sys.executable, "-c", ONE_CORE, kind, str(CAM02)], capture_output=True, text=True, env=env, check=True
    )
    return [int(n) for n in out.stdout.split()]


def test_a_worker_process_keeps_opencv_and_its_decoder_to_one_thread_so_two_workers_use_two_cores():
    assert _threads("worker") == [1, 1]
    threads, decoder = _threads("single")  # one clip on its own: the decoder gets OpenCV's threads
    assert decoder == threads >= 1


def _kept_here() -> tuple[int, dict[str, int]]:
    from rebalance.video import pose

    return os.getpid(), {kind: id(pose.kept(kind)) for kind in pose.MAKERS}


def test_a_pool_worker_is_warmed_once_and_keeps_its_pose_for_every_clip(tmp_path):
    paths = [str(tmp_path / f"{n}.mp4") for n in "ab"]
    for p in paths:
        Path(p).symlink_to(CAM02)
    with batch.pool(1) as warm:
        started = warm.submit(_kept_here).result()
        results = batch.run_local(paths, "single_leg_stance", None, None, workers=1, executor=warm)
        assert warm.submit(_kept_here).result() == started  # the same process, the same Pose objects
    assert results[0]["tests"] == results[1]["tests"]  # the second clip gets no state from the first
