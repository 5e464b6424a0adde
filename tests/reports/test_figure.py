"""Exercise figures: every exercise's pose drawn as start and end stick figures, safe to embed in a page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Pose
from rebalance.reports.figure import pose_figure, pose_points

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output


def pose(kb: KnowledgeBase, exercise_id: str) -> Pose:
    return kb.exercise[exercise_id].pose


def test_every_exercise_gets_a_start_and_an_end_figure(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        svg = pose_figure(exercise.pose, title=exercise.name)
        root = parse(svg)
        assert root.get("role") == "img"
        panels = [g.get("data-panel") for g in root.iter(f"{SVG}g") if g.get("data-panel")]
        assert panels == ["start", "end"], exercise.id
        title = root.find(f"{SVG}title")
        assert title is not None and title.text == f"{exercise.name}: start and end positions"
        assert root.find(f"{SVG}desc") is not None
        figures = [len(list(g.iter(f"{SVG}polyline"))) for g in root.iter(f"{SVG}g") if g.get("data-panel")]
        assert figures == [6, 6], exercise.id  # trunk, neck, two arms, two legs in each panel


def test_a_figure_needs_nothing_the_content_security_policy_forbids(kb: KnowledgeBase) -> None:
    svg = pose_figure(pose(kb, "glute_bridge"), title="Glute <bridge> & co")
    assert "style=" not in svg
    assert "<script" not in svg
    assert "href" not in svg
    assert "Glute &lt;bridge&gt; &amp; co" in svg


def test_the_same_pose_gives_the_same_figure(kb: KnowledgeBase) -> None:
    assert pose_figure(pose(kb, "bird_dog"), title="Bird dog") == pose_figure(pose(kb, "bird_dog"), title="Bird dog")
    assert pose_figure(pose(kb, "bird_dog"), title="Bird dog") != pose_figure(pose(kb, "dead_bug"), title="Bird dog")


def test_standing_upright_the_head_is_over_the_pelvis_over_the_feet_on_the_floor(kb: KnowledgeBase) -> None:
    points = pose_points(pose(kb, "calf_raise"), "start")
    pelvis, head = points["trunk"][0], points["neck"][-1]
    ankle = points["right_leg"][2]
    assert head[1] > pelvis[1] > ankle[1]
    assert abs(head[0] - pelvis[0]) < 1 and abs(ankle[0] - pelvis[0]) < 1
    assert min(y for part in points.values() for _, y in part) == pytest.approx(0)


def test_a_bridge_lifts_the_hips_off_the_floor(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "glute_bridge"), "start")
    end = pose_points(pose(kb, "glute_bridge"), "end")
    assert end["trunk"][0][1] > start["trunk"][0][1] + 10
    assert end["neck"][0][1] < end["trunk"][0][1]  # the shoulders stay down


def test_a_squat_bends_hips_and_knees_and_the_knees_come_forward(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "box_squat"), "start")
    end = pose_points(pose(kb, "box_squat"), "end")
    assert end["trunk"][0][1] < start["trunk"][0][1] - 20  # the pelvis goes down
    hip, knee, ankle = end["right_leg"][:3]
    assert knee[0] > hip[0] and knee[0] > ankle[0]


def test_the_quadriceps_stretch_brings_the_heel_up_behind(kb: KnowledgeBase) -> None:
    end = pose_points(pose(kb, "standing_quad_stretch"), "end")
    _, knee, ankle, _ = end["right_leg"]
    assert ankle[1] > knee[1]  # the stretched side's heel is above its knee
    assert end["left_leg"][2][1] < 1  # the standing foot stays on the floor


def test_bird_dog_reaches_one_arm_forward_and_the_other_leg_back(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "bird_dog"), "start")
    end = pose_points(pose(kb, "bird_dog"), "end")
    hip_y = end["trunk"][0][1]
    assert start["right_leg"][1][1] < 5  # on hands and knees
    assert end["right_leg"][2][1] == pytest.approx(hip_y, abs=1)  # the leg straight back at hip height
    assert end["right_leg"][2][0] < end["trunk"][0][0]
    assert end["left_arm"][2][0] > end["neck"][0][0] + 40  # the other arm straight forward
