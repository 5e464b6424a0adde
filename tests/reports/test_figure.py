"""Exercise figures: every exercise drawn as an articulated person with its props, start and end, the
movement's arrow and the working side, safe to embed in a page; `rebalance figures` writes them all."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise, Pose
from rebalance.reports import figure
from rebalance.reports.figure import figure_problems, pose_figure, pose_points, scenes
from rebalance.reports.figure_props import props_of

SVG = "{http://www.w3.org/2000/svg}"
BODY_PARTS = {"trunk", "head", *(f"{s}_{p}" for s in ("right", "left") for p in ("arm", "hand", "leg", "foot"))}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output


def pose(kb: KnowledgeBase, exercise_id: str) -> Pose:
    return kb.exercise[exercise_id].pose


def panels(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-panel", ""): g for g in root.iter(f"{SVG}g") if g.get("data-panel")}


def marked(element: ET.Element, attribute: str) -> set[str]:
    return {e.get(attribute, "") for e in element.iter() if e.get(attribute)}


def with_pose(kb: KnowledgeBase, exercise_id: str, **changes: Any) -> Pose:
    """The exercise's pose with some fields changed, validated as the data would be."""
    record = kb.exercise[exercise_id].model_dump(exclude_none=True)
    record["pose"] = {k: v for k, v in record["pose"].items() if k not in ("equipment", "unilateral")} | changes
    return Exercise.model_validate(record).pose


# --- every exercise ------------------------------------------------------------------------------


def test_every_exercise_draws_a_whole_person_in_each_position(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        root = parse(pose_figure(exercise.pose, title=exercise.name))
        assert root.get("role") == "img" and root.get("class") == "pose-figure"
        found = panels(root)
        held = exercise.pose.start == exercise.pose.end
        assert list(found) == (["start"] if held else ["start", "end"]), exercise.id
        title = root.find(f"{SVG}title")
        what = "the position to hold" if held else "start and end positions"
        assert title is not None and title.text == f"{exercise.name}: {what}", exercise.id
        assert root.find(f"{SVG}desc") is not None
        for name, panel in found.items():
            missing = BODY_PARTS - marked(panel, "data-part")
            assert not missing, (exercise.id, name, missing)


def test_every_figure_shows_the_props_its_exercise_needs(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        root = parse(pose_figure(exercise.pose, title=exercise.name))
        needed = {prop.kind for prop in props_of(exercise.pose)}
        for name, panel in panels(root).items():
            shown = marked(panel, "data-prop") - {"floor"}
            assert needed <= shown, (exercise.id, name, needed - shown)


def test_every_drawable_piece_of_equipment_is_drawn_where_the_exercise_lists_it(kb: KnowledgeBase) -> None:
    drawable = {"mat", "pillow", "wall", "chair", "band", "strap", "step", "foam_roller", "swiss_ball", "massage_ball"}
    drawable |= {"dumbbell", "exercise_bike", "pool"}
    for exercise in kb.exercise.values():
        shown = marked(parse(figure.exercise_figure(exercise)), "data-prop")
        missing = (set(exercise.equipment) & drawable) - shown
        # the hip thrust's chair stands against a wall the figure leaves out
        assert missing <= ({"wall"} if exercise.id == "hip_thrust" else set()), (exercise.id, missing)


def test_every_exercise_that_moves_has_an_arrow_in_its_end_panel(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        found = panels(parse(figure.exercise_figure(exercise)))
        if "end" in found:
            assert marked(found["end"], "data-arrow"), exercise.id
        assert not marked(found["start"], "data-arrow"), exercise.id


def test_every_one_sided_exercise_says_which_side_is_shown(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        root = parse(figure.exercise_figure(exercise))
        working = marked(root, "data-working")
        if not exercise.unilateral:
            assert not working, exercise.id
            continue
        assert working, exercise.id
        caption = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert "Shown for the right" in caption or "Shown for the left" in caption, exercise.id


def test_every_packaged_figure_can_be_drawn_as_its_pose_says(kb: KnowledgeBase) -> None:
    assert {e.id: figure_problems(e.pose) for e in kb.exercise.values() if figure_problems(e.pose)} == {}


# --- what the figures show -----------------------------------------------------------------------


def test_the_working_limb_is_drawn_in_the_accent_colour(kb: KnowledgeBase) -> None:
    root = parse(figure.exercise_figure(kb.exercise["clamshell"]))
    assert marked(root, "data-working") == {"right_leg"}
    end = panels(root)["end"]
    leg = next(g for g in end.iter(f"{SVG}g") if g.get("data-part") == "right_leg")
    other = next(g for g in end.iter(f"{SVG}g") if g.get("data-part") == "left_leg")
    fills = [p.get("fill") for p in leg.iter(f"{SVG}path")]
    assert figure.TONES["working_right"][0] in fills
    assert figure.TONES["working_right"][0] not in [p.get("fill") for p in other.iter(f"{SVG}path")]


def test_seen_from_the_side_the_right_side_is_nearest_and_drawn_over_the_left(kb: KnowledgeBase) -> None:
    for exercise_id in ("walking", "glute_bridge", "bird_dog", "seated_piriformis_stretch"):
        p = pose(kb, exercise_id)
        found = scenes(p)
        cam = figure.camera(p, found[0].body)
        assert cam.depth(found[0].body.points["right_hip"]) > cam.depth(found[0].body.points["left_hip"])
        order = [g.get("data-part") for g in panels(parse(pose_figure(p, title="x")))["start"].iter(f"{SVG}g")]
        assert order.index("right_leg") > order.index("left_leg"), exercise_id
        assert order.index("right_leg") > order.index("trunk"), exercise_id


def test_standing_upright_the_head_is_over_the_pelvis_over_the_feet_on_the_floor(kb: KnowledgeBase) -> None:
    points = pose_points(pose(kb, "calf_raise"), "start")
    pelvis, head, ankle = points["pelvis"], points["head"], points["right_ankle"]
    assert head[1] > pelvis[1] > ankle[1] > 0
    assert abs(head[0] - pelvis[0]) < 8 and abs(ankle[0] - pelvis[0]) < 8
    assert 150 < head[1] < 175  # a person about 175 tall, seen a little from above


def test_a_bridge_lifts_the_hips_and_keeps_the_shoulders_and_feet_down(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "glute_bridge"), "start")
    end = pose_points(pose(kb, "glute_bridge"), "end")
    assert end["pelvis"][1] > start["pelvis"][1] + 10
    assert end["neck"][1] < end["pelvis"][1]
    assert math.dist(start["right_heel"], end["right_heel"]) < 6  # the feet stay (nearly) put


def test_a_squat_sits_back_onto_the_chair_behind(kb: KnowledgeBase) -> None:
    found = scenes(pose(kb, "box_squat"))
    start, end = found[0].body.points, found[1].body.points
    assert end["pelvis"][1] < start["pelvis"][1] - 30  # the pelvis goes down ...
    assert end["pelvis"][0] < start["pelvis"][0] - 15  # ... and back
    assert end["right_knee"][0] > end["right_hip"][0]  # the knees come forward
    chair = next(p for p in found[1].props if p.kind == "chair")
    seat = chair.solids[0].faces
    seat_xs = [c[0] for face in seat for c in face]
    assert min(seat_xs) < end["pelvis"][0] < max(seat_xs)  # over the seat


def test_the_seated_piriformis_stretch_rests_the_ankle_on_the_other_knee(kb: KnowledgeBase) -> None:
    for phase in scenes(pose(kb, "seated_piriformis_stretch")):
        p = phase.body.points
        assert math.dist(p["right_ankle"], p["left_knee"]) < 16
        assert p["right_ankle"][1] > p["left_knee"][1]  # on top of it
        assert p["right_knee"][2] > p["right_hip"][2] + 10  # the knee falls out to the side


def test_the_ball_release_traps_a_ball_between_the_buttock_and_a_wall(kb: KnowledgeBase) -> None:
    for phase in scenes(pose(kb, "ball_release_piriformis")):
        kinds = {placed.kind: placed for placed in phase.props}
        piece = kinds["massage_ball"].solids[0].piece
        assert piece is not None
        ((centre, radius),) = piece.spheres
        wall_x = max(c[0] for face in kinds["wall"].solids[0].faces for c in face)
        assert abs(centre[0] - radius - wall_x) < 2  # touching the wall ...
        assert centre[0] < phase.body.points["pelvis"][0] - 8  # ... behind the buttock
        assert 70 < centre[1] < 100  # at buttock height


def test_hands_rest_where_the_pose_puts_them(kb: KnowledgeBase) -> None:
    calf = scenes(pose(kb, "standing_calf_stretch"))[0]
    wall = next(p for p in calf.props if p.kind == "wall")
    wall_x = min(c[0] for face in wall.solids[0].faces for c in face)
    for side in ("right", "left"):
        assert abs(calf.body.points[f"{side}_hand"][0] - wall_x) < 12  # on the wall in front
    quad = scenes(pose(kb, "standing_quad_stretch"))[1].body.points
    assert math.dist(quad["right_hand"], quad["right_ankle"]) < 16  # holding the ankle
    strap = scenes(pose(kb, "supine_hamstring_strap_stretch"))[1]
    assert {p.kind for p in strap.props} >= {"strap", "mat"}


def test_bird_dog_reaches_one_arm_forward_and_the_other_leg_back(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "bird_dog"), "start")
    end = pose_points(pose(kb, "bird_dog"), "end")
    assert start["right_knee"][1] < 8 and start["right_hand"][1] < 8  # on hands and knees
    assert end["right_ankle"][1] == pytest.approx(end["right_hip"][1], abs=8)  # the leg straight back
    assert end["right_ankle"][0] < end["pelvis"][0] - 60
    assert end["left_hand"][0] > end["neck"][0] + 50  # the other arm straight forward
    root = parse(figure.exercise_figure(figure_exercise(kb, "bird_dog")))
    assert marked(panels(root)["end"], "data-arrow") == {"right_leg", "left_arm"}
    assert marked(root, "data-working") == {"right_leg left_arm"}


def figure_exercise(kb: KnowledgeBase, exercise_id: str) -> Exercise:
    return kb.exercise[exercise_id]


def test_the_seated_nerve_slider_shows_the_knee_straightening_and_the_head_moving(kb: KnowledgeBase) -> None:
    end = panels(parse(figure.exercise_figure(kb.exercise["sciatic_nerve_slider_seated"])))["end"]
    assert marked(end, "data-arrow") == {"right_leg", "head"}
    assert "right_leg" in marked(end, "data-ghost")  # where the shank started, faded


def test_a_held_position_is_one_panel_without_arrows(kb: KnowledgeBase) -> None:
    root = parse(figure.exercise_figure(kb.exercise["diaphragmatic_breathing"]))
    assert list(panels(root)) == ["start"]
    assert not marked(root, "data-arrow")
    assert next(t.text for t in root.iter(f"{SVG}text")) == "Hold"
    two = parse(figure.exercise_figure(kb.exercise["glute_bridge"]))
    assert root.get("width") == two.get("width") == "100%"  # the same size person in the same box ...
    assert (root.get("viewBox") or "").split()[2] == (two.get("viewBox") or "").split()[2]  # ... in the middle


def test_the_description_names_the_position_the_view_the_props_and_the_side(kb: KnowledgeBase) -> None:
    desc = parse(figure.exercise_figure(kb.exercise["ball_release_piriformis"])).find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == (
        "Drawings of the start and end positions, standing, seen from the side, with a massage ball and a wall; "
        "shown for the right hip."
    )


# --- poses in the old format, and poses that cannot be drawn ------------------------------------


def test_a_pose_without_props_or_hands_draws_the_exercises_equipment(kb: KnowledgeBase) -> None:
    old = with_pose(kb, "seated_hip_flexor_lift", hands={})
    assert old.props is None and old.equipment == ["chair"]
    root = parse(pose_figure(old, title="Old format"))
    assert "chair" in marked(root, "data-prop")
    assert marked(root, "data-part") >= BODY_PARTS
    bare = Pose.model_validate({"orientation": "supine", "view": "side", "start": {}, "end": {"hip_flexion": 90}})
    assert "floor" in marked(parse(pose_figure(bare, title="Bare")), "data-prop")  # no exercise: no props


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"props": [{"kind": "wall", "at": "ceiling"}]}, "a wall cannot be at 'ceiling' (its places: behind, front"),
        ({"props": [{"kind": "foam_roller", "at": "right_thigh"}]}, "the figure shows a foam roller the exercise"),
        (
            {"hands": {"right": "wall"}},
            "the right hand rests on 'wall' in the start position, but the figure has no wall",
        ),
        ({"hands": {"right": "eyebrow"}}, "the right hand's place 'eyebrow' is not known (known: behind_back"),
        ({"feet": {"right": "right_knee"}}, "the right foot can rest only on the left knee ('left_knee')"),
        ({"start": {"knee_flexion": 200}}, "knee flexion 200° is beyond what a body does (-10° to 165°)"),
        (
            {"hands": {"right": "left_ankle"}, "start": {"hip_flexion": 0, "knee_flexion": 0}},
            "the right hand cannot reach",
        ),
    ],
)
def test_a_pose_that_cannot_be_drawn_says_why(kb: KnowledgeBase, changes: dict[str, Any], expected: str) -> None:
    broken = with_pose(kb, "seated_hip_flexor_lift", **changes)
    messages = [message for _, message in figure_problems(broken)]
    assert any(expected in m for m in messages), messages
    pose_figure(broken, title="still draws what it can")  # never raises: the check reports, the page shows


def test_a_roller_that_cannot_fit_under_the_body_is_a_problem(kb: KnowledgeBase) -> None:
    broken = with_pose(kb, "foam_roll_quadriceps", start={"trunk_incline": 60, "elbow_flexion": 90})
    assert any("the roller under the right thigh would be" in m for _, m in figure_problems(broken))


# --- safe to embed, and the same every time ------------------------------------------------------


def test_a_figure_needs_nothing_the_content_security_policy_forbids(kb: KnowledgeBase) -> None:
    for exercise in kb.exercise.values():
        svg = figure.exercise_figure(exercise)
        assert "style=" not in svg and "<script" not in svg and "href" not in svg and "url(" not in svg
    assert "Glute &lt;bridge&gt; &amp; co" in pose_figure(pose(kb, "glute_bridge"), title="Glute <bridge> & co")


def test_the_same_pose_gives_the_same_figure(kb: KnowledgeBase) -> None:
    assert pose_figure(pose(kb, "bird_dog"), title="Bird dog") == pose_figure(pose(kb, "bird_dog"), title="Bird dog")
    assert pose_figure(pose(kb, "bird_dog"), title="Bird dog") != pose_figure(pose(kb, "dead_bug"), title="Bird dog")


def _off_outline(point: tuple[float, float], outline: list[tuple[float, float]]) -> float:
    """How far ``point`` lies from the closed outline through ``outline``."""

    def to_edge(a: tuple[float, float], b: tuple[float, float]) -> float:
        (ax, ay), (bx, by), (px, py) = a, b, point
        length = (bx - ax) ** 2 + (by - ay) ** 2
        t = max(0.0, min(1.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length)) if length else 0.0
        return math.hypot(px - ax - t * (bx - ax), py - ay - t * (by - ay))

    return min(to_edge(a, b) for a, b in zip(outline, outline[1:] + outline[:1], strict=True))


@pytest.mark.parametrize("radius", [3.0, 6.0, 12.0, 40.0])
def test_an_outline_drawn_with_fewer_points_stays_on_its_shape(radius: float) -> None:
    # fewer points for WeasyPrint to draw (the handout's time goes with them), never a visible change
    circle = [(radius * math.cos(2 * math.pi * i / 20), radius * math.sin(2 * math.pi * i / 20)) for i in range(20)]
    thinned = figure._thin(circle)
    assert all(_off_outline(p, thinned) <= figure.THIN for p in circle)
    assert len(thinned) < 20 if radius < 12 else len(thinned) == 20
    square = [(0.0, 0.0), (5.0, 0.0), (10.0, 0.02), (10.0, 10.0), (0.0, 10.0)]
    assert figure._thin(square) == [(0.0, 0.0), (10.0, 0.02), (10.0, 10.0), (0.0, 10.0)]


@pytest.mark.parametrize(("radius", "count"), [(40.0, 60), (100.0, 200), (100.0, 400), (8.0, 300)])
def test_a_dense_arc_drawn_with_fewer_points_never_drifts_beyond_the_tolerance(radius: float, count: int) -> None:
    """Each point left out is within the tolerance of the outline drawn, however dense the arc (a greedy
    pass drifted to 0.49 on 60 points of a half-arc of radius 40, to 1.9 on 200 at radius 100)."""
    arc = [
        (radius * math.cos(math.pi * i / (count - 1)), radius * math.sin(math.pi * i / (count - 1)))
        for i in range(count)
    ]
    thinned = figure._thin(arc)
    assert max(_off_outline(p, thinned) for p in arc) <= figure.THIN
    assert thinned[0] == arc[0] and thinned[-1] == arc[-1] and len(thinned) < count / 2
    assert thinned == sorted(thinned, key=arc.index)  # in order, only points of the arc


# --- rebalance figures DIR -----------------------------------------------------------------------


def test_figures_writes_every_exercise_and_a_contact_sheet(cli: Any, tmp_path: Path, kb: KnowledgeBase) -> None:
    folder = tmp_path / "new" / "figures"
    code, out, err = cli("figures", str(folder))
    assert (code, err) == (0, "")
    assert f"{len(kb.exercise)} exercise figures" in out
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{i}.svg" for i in kb.exercise] + ["contact-sheet.svg"])
    assert (folder / "clamshell.svg").read_text(encoding="utf-8") == figure.exercise_figure(kb.exercise["clamshell"])
    sheet = parse((folder / "contact-sheet.svg").read_text(encoding="utf-8"))
    labels = {t.text for t in sheet.iter(f"{SVG}text")}
    assert set(kb.exercise) <= labels
    assert len([s for s in sheet.iter(f"{SVG}svg") if s.get("class") == "pose-figure"]) == len(kb.exercise)


def test_figures_are_the_same_in_every_run(tmp_path: Path) -> None:
    from tests.conftest import run_process

    for run in ("a", "b"):
        assert run_process("figures", str(tmp_path / run)).returncode == 0
    for file in (tmp_path / "a").iterdir():
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes(), file.name


def test_figures_png_renders_each_figure(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli("figures", str(tmp_path), "--png")
    assert (code, err) == (0, "")
    for name in ("bird_dog.png", "contact-sheet.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_into_a_file_is_refused_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "figures"
    file.write_text("keep me", encoding="utf-8")
    code, _, err = cli("figures", str(file))
    assert code == 2
    assert f"{file}: not a folder" in err and "nothing was written" in err
    assert file.read_text(encoding="utf-8") == "keep me"
    code, _, err = cli("figures", str(file / "inside"))
    assert code == 2 and f"{file / 'inside'}: cannot write there" in err


def test_figures_png_without_rsvg_convert_says_so_and_writes_nothing(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figure, "RSVG_CONVERT", "rsvg-convert-that-is-not-installed")
    code, _, err = cli("figures", str(tmp_path / "out"), "--png")
    assert code == 1 and "--png needs rsvg-convert-that-is-not-installed" in err
    assert not (tmp_path / "out").exists()


def test_a_one_sided_figure_is_drawn_for_the_side_the_program_prescribes() -> None:
    """Daniel's slider is prescribed for the left leg: his figure must not say "Shown for the right leg"."""
    from rebalance.api import analyse_file
    from rebalance.knowledge.loader import default
    from rebalance.reports.cards import exercise_card, exercise_figures
    from tests.conftest import EXAMPLES

    kb = default()
    program = analyse_file(EXAMPLES / "nerve_root_l5_s1.yaml")["program"]
    (slider,) = [i for i in program["items"] if i["intent"] == "nerve_glide"]
    assert slider["side"] == "left"
    svg = exercise_figures(kb, [exercise_card(kb, slider)])[slider["exercise_id"]]
    assert "Shown for the left leg" in svg and "right leg" not in svg
    assert svg.count('data-mirrored="true"') == 2  # both pictures; the labels "Start", "End" stay readable
    assert 'data-working="left_leg"' in svg and "shown for the left leg." in svg
    pose = kb.exercise[slider["exercise_id"]].pose
    for side in ("right", "both", None):
        drawn = pose_figure(pose, title="Slider", side=side)
        assert "Shown for the right leg" in drawn and "data-mirrored" not in drawn
    assert "data-mirrored" not in pose_figure(kb.exercise["abdominal_bracing"].pose, title="Bracing", side="left")


def test_a_clamshell_opens_the_top_knee_and_keeps_the_feet_together(kb: KnowledgeBase) -> None:
    """Side-lying on the left, the top (right) knee lifts away from the bottom one; the feet stay close."""
    start = pose_points(pose(kb, "clamshell"), "start")
    end = pose_points(pose(kb, "clamshell"), "end")
    assert end["right_knee"][1] > start["right_knee"][1] + 8  # the knee goes up, never down
    assert math.dist(end["right_ankle"], end["left_ankle"]) < math.dist(end["right_knee"], end["left_knee"])


def test_the_standing_hip_flexor_stretch_starts_in_a_long_step_the_stretched_leg_behind(kb: KnowledgeBase) -> None:
    start = pose_points(pose(kb, "standing_hip_flexor_stretch"), "start")
    stride = abs(start["right_ankle"][0] - start["left_ankle"][0])
    assert stride > 35  # a long step, not the feet side by side
    assert figure.working_parts(pose(kb, "standing_hip_flexor_stretch")) == ["right_leg"]
    assert pose(kb, "standing_hip_flexor_stretch").start["hip_flexion"].right < 0  # the back leg is the right


def test_every_one_sided_figure_colours_the_limbs_it_names(kb: KnowledgeBase) -> None:
    """ "Shown for the right side" with nothing marked would leave the reader to guess (the side plank did)."""
    accents = {figure.TONES[f"working_{side}"][0] for side in ("left", "right")}
    for exercise in kb.exercise.values():
        root = parse(figure.exercise_figure(exercise))
        if not marked(root, "data-working"):
            continue
        fills = {p.get("fill") for p in root.iter(f"{SVG}path")}
        assert fills & accents, exercise.id
