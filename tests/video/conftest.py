"""The real clips (../shared/data/videos, BSD-3, read in place) run through BlazePose once a session."""

from __future__ import annotations

from pathlib import Path

import pytest

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
WALK = VIDEOS / "sports2d-demo-walk-and-jumping-jacks.mp4"
CAM01 = VIDEOS / "pose2sim-single-leg-balance-cam01.mp4"
CAM02 = VIDEOS / "pose2sim-single-leg-balance-cam02.mp4"
TWO = VIDEOS / "pose2sim-two-people-cam01.mp4"


def _track(path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("mediapipe")
    if not path.exists():
        pytest.skip(f"the shared clips are not beside the repository ({path})")
    from rebalance.video import pose

    return pose.extract(path)


@pytest.fixture(scope="session")
def walk_track():  # type: ignore[no-untyped-def]
    return _track(WALK)


@pytest.fixture(scope="session")
def cam01_track():  # type: ignore[no-untyped-def]
    return _track(CAM01)


@pytest.fixture(scope="session")
def cam02_track():  # type: ignore[no-untyped-def]
    return _track(CAM02)


@pytest.fixture(scope="session")
def two_people_track():  # type: ignore[no-untyped-def]
    return _track(TWO)
