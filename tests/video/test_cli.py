"""rebalance video from the command line: output that merges into an assessment, bad input refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rebalance.cli import main
from tests.video.conftest import CAM02, TWO

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

REPO = Path(__file__).resolve().parents[2]


def _write_video(path: Path, frames, fps: float = 30.0) -> Path:
    frames = list(frames)
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        out.write(f)
    out.release()
    return path


def _cam02_frames(stop: int | None = None):
    from rebalance.video.pose import frames

    for i, f in enumerate(frames(CAM02)):
        if stop is not None and i >= stop:
            return
        yield f


def _refused(capsys, tmp_path, argv, *why):
    out_dir = tmp_path / "out"
    assert main(["video", *argv, "-o", str(out_dir)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    for part in why:
        assert part in captured.err
    assert "nothing was written" in captured.err
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_not_a_video_is_refused(capsys, tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video at all")
    _refused(capsys, tmp_path, [str(fake), "--movement", "gait"], "clip.mp4", "not a video")


def test_a_truncated_video_is_refused(capsys, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(CAM02.read_bytes()[:120_000])
    assert main(["video", str(cut), "--movement", "single_leg_stance"]) == 2
    err = capsys.readouterr().err
    assert "truncated" in err or "cannot be read" in err or "not a video" in err


def test_a_video_with_no_person_is_refused(capsys, tmp_path):
    blank = _write_video(tmp_path / "empty-room.mp4", [cv2.UMat(240, 320, cv2.CV_8UC3, (90, 90, 90)).get()] * 45)
    _refused(capsys, tmp_path, [str(blank), "--movement", "overhead_squat"], "no person")


def test_two_people_are_refused(capsys, tmp_path):
    _refused(capsys, tmp_path, [str(TWO), "--movement", "single_leg_stance"], "two people")


def test_a_clip_too_short_is_refused(capsys, tmp_path):
    short = _write_video(tmp_path / "short.mp4", _cam02_frames(30), fps=60.0)
    _refused(capsys, tmp_path, [str(short), "--movement", "single_leg_stance"], "too short")


def test_a_person_partly_out_of_frame_is_refused(capsys, tmp_path):
    top = _write_video(tmp_path / "legs-cut.mp4", (f[:1000].copy() for f in _cam02_frames()), fps=60.0)
    _refused(capsys, tmp_path, [str(top), "--movement", "single_leg_stance"], "partly out of the frame")


def test_the_wrong_view_is_refused(capsys, tmp_path):
    _refused(capsys, tmp_path, [str(CAM02), "--movement", "single_leg_stance", "--view", "side"], "not the side")


def test_single_leg_stance_output_merges_into_an_assessment_that_validates_and_analyses(capsys, tmp_path):
    out_dir = tmp_path / "out"
    assert main(["video", str(CAM02), "--movement", "single_leg_stance", "--json", "-o", str(out_dir)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"tests"}
    assert set(document["tests"]) == {"single_leg_stance"}  # the trunk leans over the stance leg: no Trendelenburg
    written = sorted(p.name for p in out_dir.iterdir())
    assert "pose2sim-single-leg-balance-cam02-angles.csv" in written
    assert any(n.endswith(".png") for n in written)
    header = (out_dir / "pose2sim-single-leg-balance-cam02-angles.csv").read_text().splitlines()[0]
    assert "pelvic_obliquity_deg" in header and "left_knee_valgus_deg" in header
    from rebalance.video.job import merge_into

    case = yaml.safe_load((REPO / "examples" / "healthy_no_findings.yaml").read_text())
    merged = tmp_path / "merged.yaml"
    merged.write_text(yaml.safe_dump(merge_into(case, document)))
    assert main(["validate", str(merged)]) == 0
    assert main(["assess", str(merged), "--json"]) == 0
    assert "single_leg_stance" not in capsys.readouterr().err


def test_a_squat_with_a_knee_moving_inward_becomes_a_finding_with_the_views_lower_confidence(tmp_path):
    from rebalance.api import analyse_document
    from rebalance.video.clip import prepare
    from rebalance.video.movements import overhead_squat
    from rebalance.video.person import OnePerson
    from tests.video.kinematics import Squat, front_view

    track = front_view(Squat(valgus_deg=(0.0, 20.0)))
    one = OnePerson(track, [], [(0, track.frames - 1)], (0, track.frames - 1))
    document = {"tests": overhead_squat(prepare(one, "overhead_squat", "front")).tests}
    document = json.loads(json.dumps(document))  # as printed and read back
    from rebalance.video.job import merge_into

    case = yaml.safe_load((REPO / "examples" / "healthy_no_findings.yaml").read_text())
    doc = analyse_document(merge_into(case, document))
    finding = next(f for f in doc["findings"] if f["id"] == "movement:knees_move_inward:right")
    assert finding["confidence"] < 0.5  # an eye-observed compensation would carry 0.5; one camera's frontal view less
    assert not any(f["id"] == "movement:knees_move_inward:left" for f in doc["findings"])


def test_a_bad_quality_record_is_refused_naming_the_field(tmp_path):
    case = yaml.safe_load((REPO / "examples" / "healthy_no_findings.yaml").read_text())
    case["tests"]["gait"] = {"stance_time_s": {"left": 0.6, "right": 0.6}, "quality": {"stance_time_s": {"view": "up"}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(case))
    proc = subprocess.run(
        [sys.executable, "-m", "rebalance.cli", "validate", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "tests.gait.quality.stance_time_s.view" in proc.stderr


def test_without_the_video_extra_the_command_says_how_to_add_it(tmp_path):
    # a sitecustomize that makes mediapipe and OpenCV impossible to import, as on an install without the extra
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('mediapipe', 'cv2'):\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "rebalance.cli", "video", str(CAM02), "--movement", "gait"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "pip install 'rebalance[video]'" in proc.stderr
    assert proc.stdout == ""
    core = subprocess.run(
        [sys.executable, "-m", "rebalance.cli", "validate", str(REPO / "examples" / "healthy_no_findings.yaml")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert core.returncode == 0, core.stderr  # the core runs without it
