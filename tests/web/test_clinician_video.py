"""A clip uploaded on the assessment form: stored, analysed in the background by the command line's job,
its progress shown, its measures filling the form's tests (with their quality) for the clinician to review.

Most tests stub the analysis at the job boundary (``rebalance.video.job.run``) and run the app's own
runner in a thread; one runs the real clip through the real worker process.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import copy
import datetime as dt
import html
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rebalance.assessment.form import form_values, to_document, with_measures
from rebalance.config import Settings
from rebalance.knowledge.loader import default
from rebalance.storage.db import session_scope
from rebalance.storage.repos import patients
from rebalance.storage.schemas import PatientCreate
from rebalance.storage.tables import Assessment, AuditEvent, VideoJob
from rebalance.storage.types import AuditAction, JobStatus
from rebalance.video import uploads
from tests.web.clinician_story import as_anna, example, post
from tests.web.conftest import FAST_HASHING, PUBLIC_URL, Cast, email, web
from tests.web.helpers import sign_in
from tests.web.test_clinician_assessment_form import stored

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
CAM02 = VIDEOS / "pose2sim-single-leg-balance-cam02.mp4"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"
MAX_BYTES = 1_048_576
MEASURED = {  # what the job gave for cam02 (single-leg stance), trimmed
    "single_leg_stance": {
        "left": {"time_held_s": 1.0, "pelvic_drop_deg": -20.6},
        "quality": {
            "pelvic_drop_deg": {
                "left": {
                    "view": "front",
                    "plane": "frontal",
                    "visibility": 0.98,
                    "frames_used": 60,
                    "frames": 100,
                    "confidence": 0.34,
                    "accuracy": "Angles seen from the front agree only weakly with 3D capture.",
                    "source": "schurr_2017",
                }
            },
        },
    },
    "trendelenburg": {"left": {"positive": False}},
}


REDIS_URL = "redis://127.0.0.1:6379/13"
QUEUE = f"rebalance-video-web-{os.getpid()}"


@pytest.fixture
def settings(web_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    broker = {"broker_url": REDIS_URL, "video_queue": QUEUE} if "celery_worker" in request.fixturenames else {}
    return Settings(
        database_url=web_url,
        public_url=PUBLIC_URL,
        data_dir=str(tmp_path / "data"),
        video_max_bytes=MAX_BYTES,
        **FAST_HASHING,
        **broker,
    )


class Stub:
    """``job.run`` replaced: reports progress, waits to be released, then gives ``result(path)``."""

    def __init__(self, result: Callable[[str], dict[str, Any]]) -> None:
        self.result, self.release, self.started = result, threading.Event(), threading.Event()

    def __call__(self, path: str, movement: str, view: Any, out_dir: Any, progress: Any) -> dict[str, Any]:
        progress(40, 100)
        self.started.set()
        self.release.wait(10)
        return self.result(path)


def _ok(path: str) -> dict[str, Any]:
    return {"file": path, "status": "ok", "tests": MEASURED, "written": []}


@pytest.fixture
def stub(app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    pytest.importorskip("mediapipe")  # rebalance.video.job imports the extra
    from rebalance.video import job

    fake = Stub(_ok)
    monkeypatch.setattr(job, "run", fake)
    app.state.video = uploads.Runner(settings, ThreadPoolExecutor(max_workers=1))
    yield fake
    fake.release.set()
    app.state.video.close()


def upload(
    client: TestClient,
    patient: int,
    token: str,
    content: bytes,
    name: str = "stance.mp4",
    htmx: bool = True,
    **form: str,
) -> Any:
    """The clip posted with the form: by the form's HTMX button (the answer: the clip's status), or as a plain
    form without JavaScript (``htmx=False``: the answer, 303 to the new form showing the clip)."""
    data = {"csrf_token": token, "video_movement": "single_leg_stance", "video_view": "", **form}
    headers = {"HX-Request": "true"} if htmx else {}
    files = {"video_file": (name, content, "video/mp4")}
    return client.post(f"/patients/{patient}/assessments/video", data=data, files=files, headers=headers)


def job_id(page: str) -> int:
    found = re.search(r'hx-get="/videos/(\d+)"', page)
    assert found, "the page does not poll the clip's progress"
    return int(found.group(1))


def wait_until(client: TestClient, job: int, done: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fragment = client.get(f"/videos/{job}")
        assert fragment.status_code == 200
        if done in fragment.text:
            return fragment.text
        time.sleep(0.2)
    raise AssertionError(f"the clip's status never said {done!r}: {fragment.text}")


@pytest.fixture
def measured(client: TestClient, cast: Cast, stub: Stub) -> tuple[str, int]:
    """Anna signed in and a clip of hers analysed: her CSRF token and the job, measured."""
    stub.release.set()
    token = as_anna(client)
    job = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    wait_until(client, job, "Fill in these tests")
    return token, job


def saved_files(settings: Settings) -> list[Path]:
    folder = Path(settings.data_dir) / "videos"
    return sorted(folder.iterdir()) if folder.exists() else []


def jobs(app: FastAPI) -> list[VideoJob]:
    with session_scope(web(app).session_factory) as db:
        rows = db.scalars(select(VideoJob)).all()
        db.expunge_all()
        return list(rows)


def test_the_form_offers_a_video_upload(client: TestClient, cast: Cast) -> None:
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    assert 'name="video_file" type="file" accept="video/*"' in page
    assert 'formenctype="multipart/form-data"' in page
    for movement in ("Overhead squat", "Single-leg stance", "Gait (walking)"):
        assert movement in page


def test_an_upload_shows_its_progress_and_its_measures_fill_the_tests_unsaved(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    page = upload(client, cast.patient_a1, token, MP4_HEAD + b"\0" * 2000, **{"client.age": "47"})
    assert page.status_code == 200
    assert "<form" not in page.text and 'name="client.age"' not in page.text  # the status alone: the form stays
    job = job_id(page.text)
    assert len(saved_files(settings)) == 1 and saved_files(settings)[0].read_bytes().startswith(MP4_HEAD)

    assert stub.started.wait(10)
    running = client.get(f"/videos/{job}").text
    assert "Analysing <strong>stance.mp4</strong>" in running and 'value="40"' in running
    assert f'hx-get="/videos/{job}"' in running  # still polling
    stub.release.set()
    done = wait_until(client, job, "Fill in these tests")
    assert "Single-leg stance" in done and "Trendelenburg" in done
    assert "hx-get" not in done  # polling stops

    filled = client.post(
        f"/patients/{cast.patient_a1}/assessments/video/{job}",
        data={"csrf_token": token, "client.age": "47", "tests.trendelenburg.right.positive": "true"},
    )
    assert filled.status_code == 200
    text = filled.text
    assert 'name="tests.single_leg_stance.left.pelvic_drop_deg"' in text and 'value="-20.6"' in text
    assert 'value="47"' in text
    assert "tests.trendelenburg.right.positive" not in re.findall(r'name="([^"]+)"[^>]*value="true"', text)
    assert "Measured from video, from the front" in text and "confidence\n        0.34" in text
    notes = re.findall(r'<p class="video-note">(.*?)</p>', text, re.S)
    assert notes and all("Schurr" in n and "schurr_2017" not in n and "frontal" not in n for n in notes)
    assert "nothing is saved until you press" in text
    assert stored(app) == (0, 0)  # nothing saved before the clinician saves
    hidden = re.search(r'name="tests.single_leg_stance.quality" value="([^"]+)"', text)
    assert hidden and json.loads(html.unescape(hidden.group(1))) == MEASURED["single_leg_stance"]["quality"]

    with session_scope(web(app).session_factory) as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "video_job")).all()
        actions = [(e.action, e.detail.get("status")) for e in events]
    assert (AuditAction.CREATE, None) in actions and (AuditAction.UPDATE, "done") in actions

    # saved as the clinician saves it: the clip's entries, their quality records with them
    document = example("piriformis_right")
    values = with_measures(default(), form_values(default(), document), MEASURED)
    saved = post(client, f"/patients/{cast.patient_a1}/assessments", token, {**values, "minutes": "20"})
    assert saved.status_code == 303, saved.text[:500]
    with session_scope(web(app).session_factory) as db:
        stored_tests = db.scalars(select(Assessment)).one().document["tests"]
    assert stored_tests == {**document["tests"], **MEASURED}


def test_an_htmx_upload_answers_the_clips_status_in_place_and_its_poll_shows_the_progress(
    client: TestClient, app: FastAPI, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    answer = upload(client, cast.patient_a1, token, MP4_HEAD)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="video-status"')
    assert "<html" not in answer.text and "<form" not in answer.text  # a fragment, not the form again
    assert "is waiting to be analysed" in answer.text or "Analysing" in answer.text
    job = job_id(answer.text)  # it polls by itself: no second upload to see the progress
    assert stub.started.wait(10)
    assert 'value="40"' in client.get(f"/videos/{job}").text
    stub.release.set()
    wait_until(client, job, "Fill in these tests")
    assert [row.id for row in jobs(app)] == [job]


def test_an_htmx_upload_refused_answers_the_reason_in_place(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    refused = upload(client, cast.patient_a1, token, b"Patient notes, not a video.", name="notes.mp4")
    assert refused.status_code == 422 and "<html" not in refused.text
    assert "<strong>Video file:</strong> This file is not a video." in refused.text and 'role="alert"' in refused.text
    too_big = upload(client, cast.patient_a1, token, MP4_HEAD + b"\0" * MAX_BYTES)
    assert too_big.status_code == 413 and "<html" not in too_big.text and "at most 1,048,576 bytes" in too_big.text
    assert saved_files(settings) == [] and jobs(app) == []
    form = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    assert '<div id="video-upload" data-swap-errors>' in form  # where the answer goes, refusals too
    assert 'src="/static/swap-errors.js"' in form and client.get("/static/swap-errors.js").status_code == 200


def test_a_plain_upload_is_answered_303_to_a_page_a_refresh_does_not_upload_again(
    client: TestClient, app: FastAPI, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    answer = upload(client, cast.patient_a1, token, MP4_HEAD, htmx=False)
    assert answer.status_code == 303 and answer.text == ""
    (row,) = jobs(app)
    assert answer.headers["location"] == f"/patients/{cast.patient_a1}/assessments/new?video={row.id}"
    for _ in range(3):  # the page and its refreshes: GETs
        page = client.get(answer.headers["location"])
        assert page.status_code == 200 and '<form id="assessment-form"' in page.text
        assert job_id(page.text) == row.id and "stance.mp4" in page.text
    assert len(jobs(app)) == 1
    stub.release.set()


def test_the_form_shows_no_clip_of_another_patient_or_clinician(
    client: TestClient, app: FastAPI, cast: Cast, measured: tuple[str, int]
) -> None:
    token, job = measured
    with session_scope(web(app).session_factory) as db:
        other = patients.create_patient(db, cast.anna, PatientCreate(display_name="Olga Other")).id
    assert client.get(f"/patients/{other}/assessments/new?video={job}").status_code == 404
    assert client.get(f"/patients/{cast.patient_a1}/assessments/new?video=0").status_code == 422
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, email("ben"))
    assert client.get(f"/patients/{cast.patient_b1}/assessments/new?video={job}").status_code == 404


def test_the_upload_needs_no_inline_script(client: TestClient, cast: Cast, stub: Stub) -> None:
    as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/static/' in attributes and not body.strip() for attributes, body in scripts)
    assert not re.search(r"\son\w+=", page.text)  # no inline handler either


def test_the_filled_form_saves_the_measures_with_their_quality(app: FastAPI) -> None:
    kb = default()
    values = with_measures(kb, {"date": ["2026-12-07"], "tests.trendelenburg.left.positive": ["true"]}, MEASURED)
    assert to_document(kb, values).document["tests"] == MEASURED  # the clip's entry replaces the form's


SQUAT_QUALITY = {"view": "front", "plane": "frontal", "confidence": 0.4, "accuracy": "weak", "source": "schurr_2017"}
SQUAT = {  # a front-view squat as the job gives it: a sided number and compensations with their confidence
    "overhead_squat": {
        "repetitions": 3,
        "knee_valgus_deg": {"left": 14.2, "right": 3.1},
        "compensations": [{"id": "knees_move_inward", "side": "left", "confidence": 0.3}],
        "quality": {k: SQUAT_QUALITY for k in ("repetitions", "knee_valgus_deg", "compensations")},
    }
}


def test_a_value_the_clinician_changes_loses_the_clips_quality_record_the_others_keep_theirs() -> None:
    kb = default()
    both_sides = copy.deepcopy(MEASURED["single_leg_stance"])
    both_sides["right"] = {"time_held_s": 4.0, "pelvic_drop_deg": 2.5}
    both_sides["quality"]["pelvic_drop_deg"]["right"] = both_sides["quality"]["pelvic_drop_deg"]["left"]
    values = with_measures(kb, {"date": ["2026-12-07"]}, {"single_leg_stance": both_sides, **SQUAT})
    assert to_document(kb, values).document["tests"] == {"single_leg_stance": both_sides, **_form_squat()}

    values["tests.single_leg_stance.left.pelvic_drop_deg"] = ["-12"]  # the clinician's own reading
    values["tests.overhead_squat.knee_valgus_deg.right"] = ["8"]
    values["tests.overhead_squat.repetitions"] = [""]  # cleared
    tests = to_document(kb, values).document["tests"]
    assert tests["single_leg_stance"]["left"]["pelvic_drop_deg"] == -12
    assert tests["single_leg_stance"]["quality"] == {"pelvic_drop_deg": {"right": _left_record()}}
    assert tests["overhead_squat"]["quality"] == {"compensations": SQUAT_QUALITY}  # unchanged, in any order

    values["tests.overhead_squat.compensations.knees_move_inward"] = ["right"]
    values["tests.single_leg_stance.right.pelvic_drop_deg"] = ["2.50"]  # the same number, written otherwise
    tests = to_document(kb, values).document["tests"]
    assert "quality" not in tests["overhead_squat"]
    assert set(tests["single_leg_stance"]["quality"]["pelvic_drop_deg"]) == {"right"}


def _left_record() -> dict[str, Any]:
    return dict(MEASURED["single_leg_stance"]["quality"]["pelvic_drop_deg"]["left"])


def _form_squat() -> dict[str, Any]:
    """SQUAT as the form gives it back: the form keeps no compensation's confidence."""
    entry = copy.deepcopy(SQUAT["overhead_squat"])
    entry["compensations"] = [{"id": "knees_move_inward", "side": "left"}]
    return {"overhead_squat": entry}


def test_an_edited_prefilled_value_is_saved_without_the_clips_quality_and_its_note_goes(
    client: TestClient, app: FastAPI, cast: Cast, measured: tuple[str, int]
) -> None:
    token, job = measured
    document = example("piriformis_right")
    values = form_values(default(), document) | {"minutes": ["20"], "csrf_token": [token]}
    filled = client.post(f"/patients/{cast.patient_a1}/assessments/video/{job}", data=values).text
    assert "Measured from video, from the front" in filled
    inputs = dict(re.findall(r'<input type="hidden" name="(tests\.[^"]+)" value="([^"]*)"', filled))
    assert json.loads(html.unescape(inputs["tests.single_leg_stance.measured"])) == {
        k: v for k, v in MEASURED["single_leg_stance"].items() if k != "quality"
    }
    edited = with_measures(default(), values, MEASURED) | {"tests.single_leg_stance.left.pelvic_drop_deg": ["-9"]}
    edited |= {k: [html.unescape(v)] for k, v in inputs.items()}
    checked = client.post(f"/patients/{cast.patient_a1}/assessments", data=edited | {"date": ["not a date"]})
    assert checked.status_code == 422 and "Measured from video" not in checked.text  # the note claimed -20.6
    saved = client.post(f"/patients/{cast.patient_a1}/assessments", data=edited)
    assert saved.status_code == 303, saved.text[:500]
    with session_scope(web(app).session_factory) as db:
        stored_tests = db.scalars(select(Assessment)).one().document["tests"]
    assert stored_tests["single_leg_stance"] == {"left": {"time_held_s": 1.0, "pelvic_drop_deg": -9}}
    assert stored_tests["trendelenburg"] == MEASURED["trendelenburg"]


def test_a_clip_is_deleted_once_analysed_its_measures_kept_and_audited(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    assert settings.video_keep_days == 0  # the default: no patient video kept past its analysis
    token = as_anna(client)
    job = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    assert stub.started.wait(10) and len(saved_files(settings)) == 1  # kept while it is analysed
    stub.release.set()
    wait_until(client, job, "Fill in these tests")
    assert _until(lambda: saved_files(settings) == [])
    row = jobs(app)[0]
    assert row.clip_deleted_at is not None and row.result == {"tests": MEASURED}
    filled = client.post(f"/patients/{cast.patient_a1}/assessments/video/{job}", data={"csrf_token": token})
    assert 'value="-20.6"' in filled.text  # the measures outlive the clip
    with session_scope(web(app).session_factory) as db:
        deleted = db.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.DELETE)).all()
    assert [(e.entity_type, e.entity_id, e.detail) for e in deleted] == [("video_job", job, {"clip": "deleted"})]


def test_with_days_to_keep_a_clip_goes_that_many_days_after_its_upload_never_while_analysed(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    app.state.video.close()
    app.state.video = uploads.Runner(settings.model_copy(update={"video_keep_days": 2}), ThreadPoolExecutor(1))
    stub.release.set()
    token = as_anna(client)
    done = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    wait_until(client, done, "Fill in these tests")
    stub.release.clear()
    stub.started.clear()
    waiting = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    assert stub.started.wait(10)
    _age(app, 3)  # both uploaded three days ago: the analysed one goes, the one being analysed stays
    assert len(saved_files(settings)) == 2
    app.state.video.recover()  # as when the app starts (or the next clip comes in)
    kept = {row.id: row.clip_deleted_at is None for row in jobs(app)}
    assert kept == {done: False, waiting: True} and len(saved_files(settings)) == 1
    stub.release.set()
    wait_until(client, waiting, "Fill in these tests")
    assert _until(lambda: saved_files(settings) == [])  # ended, and older than two days


def _age(app: FastAPI, days: int) -> None:
    with session_scope(web(app).session_factory) as db:
        for row in db.scalars(select(VideoJob)):
            row.created_at -= dt.timedelta(days=days)


def _until(condition: Callable[[], bool], timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _job(app: FastAPI, cast: Cast, path: Path, **fields: Any) -> int:
    """A job of Anna's patient recorded as it stands (its clip at ``path``)."""
    with session_scope(web(app).session_factory) as db:
        row = VideoJob(patient_id=cast.patient_a1, created_by=cast.anna, filename="old.mp4", path=str(path), **fields)
        db.add(row)
        db.flush()
        return row.id


def _undeletable(app: FastAPI, cast: Cast, tmp_path: Path) -> tuple[int, Path]:
    """An ended job whose clip cannot be deleted: a folder with a file in it (unlink raises an OSError)."""
    stuck = tmp_path / "stuck.mp4"
    stuck.mkdir()
    (stuck / "inside").write_bytes(b"")
    return _job(app, cast, stuck, movement="gait", status=JobStatus.FAILED, progress=100, error="old"), stuck


def test_a_clip_that_cannot_be_deleted_is_logged_and_stops_no_upload_poll_end_or_start(
    client: TestClient,
    app: FastAPI,
    settings: Settings,
    cast: Cast,
    stub: Stub,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stuck_job, stuck = _undeletable(app, cast, tmp_path)
    token = as_anna(client)
    page = upload(client, cast.patient_a1, token, MP4_HEAD)
    assert page.status_code == 200  # before: 500, the clip stored with no job naming it
    stub.release.set()
    measured = job_id(page.text)
    wait_until(client, measured, "Fill in these tests")

    clip = Path(settings.data_dir) / "videos" / "left.mp4"
    clip.write_bytes(MP4_HEAD)
    interrupted = _job(app, cast, clip, movement="gait")  # no process recorded: gone
    assert uploads.INTERRUPTED in client.get(f"/videos/{interrupted}").text  # before: every poll 500

    crashed = _job(app, cast, clip, movement="gait", status=JobStatus.RUNNING)
    broken: Any = concurrent.futures.Future()
    broken.set_exception(concurrent.futures.process.BrokenProcessPool("a worker died"))
    app.state.video._ended(crashed, broken, None)  # before: its failure rolled back with the retention
    app.state.video.recover()  # before: the app could not start

    rows = {row.id: row for row in jobs(app)}
    assert rows[crashed].status is JobStatus.FAILED and "BrokenProcessPool" in str(rows[crashed].error)
    assert [i for i, row in rows.items() if row.clip_deleted_at is None] == [stuck_job]
    assert stuck.is_dir() and saved_files(settings) == []
    assert f"video job {stuck_job}: its clip could not be deleted" in caplog.text


def test_an_upload_that_fails_after_its_clip_is_stored_leaves_no_clip(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app.state.video, "remove_clips", broken)
    assert upload(client, cast.patient_a1, as_anna(client), MP4_HEAD).status_code == 500
    assert saved_files(settings) == [] and jobs(app) == []


@pytest.mark.skipif(not CAM02.exists(), reason="the shared clips are not beside the repository")
def test_a_worker_process_dying_mid_clip_fails_its_job_with_the_reason_and_the_next_clip_is_analysed(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast
) -> None:
    pytest.importorskip("mediapipe")
    app.state.video = runner = uploads.Runner(settings)  # the app's own: a real worker process
    try:
        token = as_anna(client)
        job = job_id(upload(client, cast.patient_a1, token, CAM02.read_bytes(), name=CAM02.name).text)
        assert _until(lambda: jobs(app)[0].status is JobStatus.RUNNING, 120)
        for pid in list(runner.executor._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        failed = wait_until(client, job, "could not be analysed", timeout_s=60)
        assert "the analysis stopped: BrokenProcessPool" in failed
        assert _until(lambda: saved_files(settings) == [])
        again = job_id(upload(client, cast.patient_a1, token, CAM02.read_bytes(), name=CAM02.name).text)
        assert "Single-leg stance" in wait_until(client, again, "Fill in these tests", timeout_s=180)
    finally:
        runner.close()


def test_a_worker_that_died_while_idle_is_replaced_and_the_next_clip_is_analysed(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast
) -> None:
    pytest.importorskip("mediapipe")
    app.state.video = runner = uploads.Runner(settings)  # the app's own: a real worker process
    try:
        os.kill(runner.executor.submit(os.getpid).result(timeout=60), signal.SIGKILL)  # idle, then killed
        assert _until(lambda: bool(runner.executor._broken), 30)  # type: ignore[attr-defined]
        job = job_id(upload(client, cast.patient_a1, as_anna(client), MP4_HEAD).text)
        refused = wait_until(client, job, "could not be analysed", timeout_s=120)
        assert "BrokenProcessPool" not in refused  # before: the broken pool refused the clip
        assert "could not be analysed: " in refused  # the new worker's job read it: a header, no video
    finally:
        runner.close()


def test_a_refused_clip_shows_the_reason_and_is_deleted(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    stub.result = lambda path: {"file": path, "status": "refused", "reasons": [f"{path}: no person found in the video"]}
    stub.release.set()
    token = as_anna(client)
    job = job_id(upload(client, cast.patient_a1, token, MP4_HEAD + b"\0" * 100).text)
    failed = wait_until(client, job, "could not be analysed")
    assert 'role="alert"' in failed and "could not be analysed: no person found in the video" in failed
    assert "/videos/" not in failed.split("could not be analysed")[1]  # not the server's path
    assert jobs(app)[0].status is JobStatus.FAILED
    assert _until(lambda: saved_files(settings) == [])  # a refused clip is kept no longer than a measured one


def test_a_crash_in_the_analysis_is_reported_not_lost(client: TestClient, app: FastAPI, cast: Cast, stub: Stub) -> None:
    def crash(path: str) -> dict[str, Any]:
        raise RuntimeError("decoder fell over")

    stub.result = crash
    stub.release.set()
    job = job_id(upload(client, cast.patient_a1, as_anna(client), MP4_HEAD).text)
    assert "could not be analysed: the analysis stopped: RuntimeError: decoder fell over" in wait_until(
        client, job, "could not be analysed"
    )


def test_a_file_that_is_not_a_video_is_refused_naming_the_field(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    page = upload(client, cast.patient_a1, token, b"Patient notes, not a video.", name="notes.mp4", htmx=False)
    assert page.status_code == 422
    assert "<strong>Video file:</strong> This file is not a video." in page.text
    assert 'id="video-file" name="video_file" type="file" accept="video/*" aria-invalid="true"' in page.text
    assert saved_files(settings) == [] and jobs(app) == []
    no_movement = upload(client, cast.patient_a1, token, MP4_HEAD, video_movement="cartwheel")
    assert no_movement.status_code == 422 and "Choose the movement the clip shows." in no_movement.text
    assert saved_files(settings) == [] and jobs(app) == []


def test_a_clip_over_the_size_limit_is_refused_with_413(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    too_big = upload(client, cast.patient_a1, token, MP4_HEAD + b"\0" * MAX_BYTES, htmx=False)
    assert too_big.status_code == 413 and "<html" in too_big.text
    assert "at most 1,048,576 bytes" in too_big.text
    assert saved_files(settings) == [] and jobs(app) == []
    # the form's own posts keep the usual 1 MiB limit; the clip's route alone takes more
    assert upload(client, cast.patient_a1, token, MP4_HEAD + b"\0" * 500_000).status_code == 200


def test_another_clinician_cannot_see_upload_or_use_the_clip(
    client: TestClient, app: FastAPI, cast: Cast, measured: tuple[str, int]
) -> None:
    token, job = measured
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, email("ben"))
    ben = client.get("/api/me").json()["csrf_token"]
    assert client.get(f"/videos/{job}").status_code == 404
    own_patient = client.post(f"/patients/{cast.patient_b1}/assessments/video/{job}", data={"csrf_token": ben})
    assert own_patient.status_code == 404
    assert upload(client, cast.patient_a1, ben, MP4_HEAD).status_code == 403
    assert len(jobs(app)) == 1


def test_without_the_video_extra_the_form_says_how_to_add_it(client: TestClient, app: FastAPI, cast: Cast) -> None:
    app.state.video = None  # as create_app leaves it when the extra's modules cannot be found
    token = as_anna(client)
    page = client.get(f"/patients/{cast.patient_a1}/assessments/new").text
    assert "pip install 'rebalance[video]'" in page and 'type="file"' not in page
    refused = upload(client, cast.patient_a1, token, MP4_HEAD)
    assert refused.status_code == 422 and "rebalance[video]" in refused.text


@pytest.mark.skipif(not CAM02.exists(), reason="the shared clips are not beside the repository")
def test_a_real_clip_is_analysed_by_the_worker_process_and_fills_what_the_command_line_measures(
    client: TestClient, app: FastAPI, cast: Cast, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe")
    command_line = subprocess.Popen(  # the CLI on the same clip, meanwhile
        [sys.executable, "-m", "rebalance.cli", "video", str(CAM02), "--movement", "single_leg_stance", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    token = as_anna(client)
    before = []
    for _ in range(5):
        started = time.monotonic()
        client.get(f"/patients/{cast.patient_a1}/assessments/new")
        before.append(time.monotonic() - started)
    page = upload(client, cast.patient_a1, token, CAM02.read_bytes(), name=CAM02.name)
    job = job_id(page.text)
    answered = []
    while "Fill in these tests" not in (fragment := client.get(f"/videos/{job}").text):
        assert "could not be analysed" not in fragment, fragment
        started = time.monotonic()
        assert client.get(f"/patients/{cast.patient_a1}/assessments/new").status_code == 200
        answered.append(time.monotonic() - started)
        assert len(answered) < 600, "the analysis did not finish in time"
    print(  # the figures the README quotes
        f"\nthe form page: median {statistics.median(before):.2f} s before the upload; while the clip was analysed "
        f"{len(answered)} requests, median {statistics.median(answered):.2f} s, slowest {max(answered):.2f} s"
    )
    assert answered and max(answered) < 5.0, answered  # the server answers pages while the clip is analysed
    filled = client.post(f"/patients/{cast.patient_a1}/assessments/video/{job}", data={"csrf_token": token}).text
    cli_tests = json.loads(command_line.communicate(timeout=300)[0])["tests"]
    for test_id, entry in cli_tests.items():
        for side, fields in entry.items():
            if side == "quality":
                hidden = re.search(rf'name="tests.{test_id}.quality" value="([^"]+)"', filled)
                assert hidden and json.loads(html.unescape(hidden.group(1))) == fields
                continue
            for name, value in fields.items():
                shown = re.search(rf'name="tests.{test_id}.{side}.{name}"[^>]*value="([^"]*)"', filled)
                if isinstance(value, bool):
                    chosen = rf'name="tests.{test_id}.{side}.{name}".*?value="{str(value).lower()}" selected'
                    assert re.search(chosen, filled, re.S), (test_id, side, name)
                else:
                    assert shown and float(shown.group(1)) == value, (test_id, side, name, value)


CELERY_WORKER = """
import json
import sys
from rebalance.video import job
from rebalance.video.tasks import make_app

job.run = lambda path, movement, view, out_dir: {"file": path, "status": "ok", "tests": json.loads(sys.argv[3])}
app = make_app(sys.argv[1], sys.argv[2])
app.worker_main(["worker", "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING", "-Q", sys.argv[2],
                 "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def celery_worker(tmp_path: Path) -> Iterator[None]:
    """A real Celery worker on :data:`QUEUE` whose job gives :data:`MEASURED` (the app's settings send to it)."""
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    pytest.importorskip("celery")
    script = tmp_path / "worker.py"
    script.write_text(CELERY_WORKER)
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [sys.executable, str(script), REDIS_URL, QUEUE, json.dumps(MEASURED)],
        env={**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield
    worker.terminate()
    worker.wait(timeout=30)


def test_with_a_broker_the_clip_goes_to_a_celery_worker_its_result_fills_the_form_and_the_clip_goes(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, celery_worker: None
) -> None:
    token = as_anna(client)
    job = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    assert jobs(app)[0].task_id  # sent as a Celery task, not to the app's own process
    wait_until(client, job, "Fill in these tests", timeout_s=120)  # the poll records the result
    assert saved_files(settings) == [] and jobs(app)[0].clip_deleted_at is not None  # and deletes the clip
    filled = client.post(f"/patients/{cast.patient_a1}/assessments/video/{job}", data={"csrf_token": token})
    assert 'value="-20.6"' in filled.text


def test_with_a_broker_a_clip_nobody_polls_is_recorded_and_deleted_when_the_app_starts(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, celery_worker: None
) -> None:
    upload(client, cast.patient_a1, as_anna(client), MP4_HEAD)  # and the page closed: no poll
    (row,) = jobs(app)
    runner = app.state.video
    assert _until(lambda: runner.celery.AsyncResult(row.task_id).ready(), 120)
    assert jobs(app)[0].status is JobStatus.QUEUED and len(saved_files(settings)) == 1
    runner.recover()  # as the app starts again; an upload's sweep does the same
    (row,) = jobs(app)
    assert (row.status, row.result) == (JobStatus.DONE, {"tests": MEASURED}) and row.clip_deleted_at is not None
    assert saved_files(settings) == []


def test_a_job_a_poll_finds_interrupted_has_its_clip_deleted(
    client: TestClient, app: FastAPI, settings: Settings, cast: Cast, stub: Stub
) -> None:
    token = as_anna(client)
    job = job_id(upload(client, cast.patient_a1, token, MP4_HEAD).text)
    with session_scope(web(app).session_factory) as db:
        db.get(VideoJob, job).analysed_by = f"{socket.gethostname()}/999999999/1"  # type: ignore[union-attr]
    assert uploads.INTERRUPTED in client.get(f"/videos/{job}").text
    assert saved_files(settings) == [] and jobs(app)[0].clip_deleted_at is not None
    stub.release.set()
