"""A clip being analysed when the clinic app is killed (no broker): the real server, its real worker process,
killed together as a restart would, then started again on the same database.

Before, the job stayed "running" for ever (its worker was gone, nobody would finish it). Now the app
that starts again finds the process that had it gone, fails the job with a reason the clinician reads,
and deletes the clip (nothing left of the patient's video but what was measured: here nothing).
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from rebalance.storage.db import session_scope
from rebalance.storage.tables import AuditEvent, VideoJob
from rebalance.storage.types import AuditAction, JobStatus
from rebalance.video import uploads
from tests.storage.conftest import empty_db_url
from tests.web.test_serve import _database, signed_in, start_server

__all__ = ["empty_db_url"]

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
WALK = VIDEOS / "sports2d-demo-walk-and-jumping-jacks.mp4"  # 230 frames: several seconds of analysis


def _status(client: httpx.Client, job: int) -> str:
    fragment = client.get(f"/videos/{job}")
    assert fragment.status_code == 200, fragment.text
    return fragment.text


@pytest.mark.skipif(not WALK.exists(), reason="the shared clips are not beside the repository")
def test_a_clip_analysed_when_the_app_is_killed_fails_with_a_reason_once_it_starts_again(
    empty_db_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe")
    data_dir = str(tmp_path / "data")
    first = start_server(empty_db_url, own_group=True, data_dir=data_dir)
    try:
        with signed_in(first) as client:
            patient = client.get("/api/patients").json()[0]["id"]
            form = {"video_movement": "gait", "video_view": ""}
            files = {"video_file": (WALK.name, WALK.read_bytes(), "video/mp4")}
            headers = {"HX-Request": "true"}  # as the form's button sends it: the clip's status comes back
            page = client.post(f"/patients/{patient}/assessments/video", data=form, files=files, headers=headers)
            found = re.search(r'hx-get="/videos/(\d+)"', page.text)
            assert page.status_code == 200 and found, page.text[:500]
            job = int(found.group(1))
            deadline = time.monotonic() + 120
            while "Analysing" not in _status(client, job):
                assert time.monotonic() < deadline, "the clip never started to be analysed"
                time.sleep(0.1)
    finally:
        os.killpg(first.process.pid, signal.SIGKILL)  # the server and its worker process, mid-clip
        first.process.wait(timeout=30)
    engine, factory = _database(first)
    with session_scope(factory) as db:
        row = db.get(VideoJob, job)
        assert row is not None and row.status is JobStatus.RUNNING, "the clip finished before the kill"
        clip = Path(row.path)
    engine.dispose()
    assert clip.is_file()  # what used to stay for ever: a running job nobody runs, and its clip

    second = start_server(empty_db_url, data_dir=data_dir)
    try:
        with signed_in(second) as client:
            fragment = _status(client, job)
    finally:
        second.stop()
    assert "could not be analysed: " + uploads.INTERRUPTED in fragment and 'role="alert"' in fragment
    assert "hx-get" not in fragment  # no longer polled
    engine, factory = _database(second)
    with session_scope(factory) as db:
        row = db.get(VideoJob, job)
        assert row is not None and (row.status, row.error) == (JobStatus.FAILED, uploads.INTERRUPTED)
        assert row.clip_deleted_at is not None
        events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "video_job")).all()
        assert (AuditAction.DELETE, {"clip": "deleted"}) in [(e.action, e.detail) for e in events]
    engine.dispose()
    assert not clip.exists()  # the patient's video is gone with the job
