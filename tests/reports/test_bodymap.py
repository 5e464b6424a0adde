"""The body map a clinician reads: the right muscle, on the right side, in the right colour."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reports.assessment_view import doubtful
from rebalance.reports.bodymap import REGIONS, SHAPES, body_map

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"

FRONT = "iliopsoas rectus_femoris vastus_lateralis vastus_medialis tensor_fasciae_latae hip_adductors".split()
FRONT += "rectus_abdominis obliques tibialis_anterior pectoralis_major".split()
BACK = "gluteus_maximus gluteus_medius piriformis biceps_femoris medial_hamstrings erector_spinae".split()
BACK += "quadratus_lumborum latissimus_dorsi gastrocnemius soleus".split()


def finding(kind: str, target: str, side: str | None = None, severity: str = "moderate") -> dict[str, Any]:
    return {
        "id": ":".join(p for p in (kind, target, side) if p),
        "kind": kind,
        "target": target,
        "side": side,
        "severity": severity,
        "confidence": 0.8,
        "evidence": [{"test": "mmt"}],  # a direct test: a finding the map draws
    }


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output


def render(kb: KnowledgeBase, *findings: dict[str, Any], title: str = "Body map") -> ET.Element:
    return parse(body_map(list(findings), kb, title=title))


def regions(root: ET.Element, **wanted: str) -> list[ET.Element]:
    def matches(el: ET.Element) -> bool:
        return all(el.get(f"data-{k.replace('_', '-')}") == v for k, v in wanted.items())

    return [el for el in root.iter(f"{SVG}path") if el.get("data-muscle") and matches(el)]


def region(root: ET.Element, muscle: str, side: str) -> ET.Element:
    [found] = regions(root, muscle=muscle, side=side)
    return found


def mean_x(el: ET.Element) -> float:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", el.get("d", ""))]
    xs = numbers[0::2]  # every command is M/C with x,y pairs
    return sum(xs) / len(xs)


def view_center(root: ET.Element, view: str) -> float:
    [group] = [g for g in root.iter(f"{SVG}g") if g.get("data-view") == view]
    return float(group.get("data-center-x", "nan"))


def states(root: ET.Element) -> dict[tuple[str, str], str]:
    return {(el.get("data-muscle", ""), el.get("data-side", "")): el.get("data-state", "") for el in regions(root)}


def test_right_piriformis_tight_is_coloured_on_the_viewers_right_of_the_back_view(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "piriformis", "right"))
    piriformis = region(root, "piriformis", "right")
    assert piriformis.get("data-view") == "back"
    assert piriformis.get("data-state") == "tight"
    assert mean_x(piriformis) > view_center(root, "back")
    assert region(root, "piriformis", "left").get("data-state") == "none"


def test_front_view_shows_the_persons_right_on_the_viewers_left(kb: KnowledgeBase) -> None:
    root = render(kb)
    front, back = view_center(root, "front"), view_center(root, "back")
    for muscle in FRONT:
        assert mean_x(region(root, muscle, "right")) < front < mean_x(region(root, muscle, "left")), muscle
    for muscle in BACK:
        assert mean_x(region(root, muscle, "left")) < back < mean_x(region(root, muscle, "right")), muscle


def test_each_view_carries_r_and_l_badges_on_the_correct_side(kb: KnowledgeBase) -> None:
    root = render(kb)
    for view, right_is_left_of_center in (("front", True), ("back", False)):
        [group] = [g for g in root.iter(f"{SVG}g") if g.get("data-view") == view]
        badges = {b.get("data-side"): b for b in group.iter(f"{SVG}g") if b.get("data-label") == "side"}
        letters = {side: "".join(b.itertext()).strip()[0] for side, b in badges.items()}
        assert letters == {"right": "R", "left": "L"}
        right_x = float(badges["right"].find("svg:circle", NS).get("cx", "nan"))  # type: ignore[union-attr]
        assert (right_x < view_center(root, view)) is right_is_left_of_center


def test_the_major_muscles_are_drawn_on_their_view(kb: KnowledgeBase) -> None:
    root = render(kb)
    for view, muscles in (("front", FRONT), ("back", BACK)):
        for muscle in muscles:
            for side in ("right", "left"):
                assert region(root, muscle, side).get("data-view") == view


def test_every_muscle_in_the_knowledge_base_can_be_shown(kb: KnowledgeBase) -> None:
    """A muscle is drawn, or is a unit whose parts are drawn: no finding falls off the map."""
    parts = {m.part_of for m in kb.muscle.values() if m.part_of}
    for muscle_id in kb.muscle:
        drawn = muscle_id in REGIONS or any(m.part_of == muscle_id and m.id in REGIONS for m in kb.muscle.values())
        assert drawn or muscle_id in parts, muscle_id
    assert {s.muscle for s in SHAPES} <= set(kb.muscle), "every drawn region is a knowledge-base muscle"


def test_a_finding_on_hamstrings_colours_both_of_its_parts(kb: KnowledgeBase) -> None:
    root = render(kb, finding("weak", "hamstrings", "left"))
    marked = {key: state for key, state in states(root).items() if state != "none"}
    assert marked == {("biceps_femoris", "left"): "weak", ("medial_hamstrings", "left"): "weak"}


def test_a_finding_on_a_part_colours_only_that_part(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "biceps_femoris", "right"))
    marked = {key: state for key, state in states(root).items() if state != "none"}
    assert marked == {("biceps_femoris", "right"): "tight"}


def test_a_finding_on_the_hip_external_rotators_colours_the_piriformis(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "hip_external_rotators", "right", "mild"))
    assert region(root, "piriformis", "right").get("data-state") == "tight"
    assert region(root, "piriformis", "left").get("data-state") == "none"


def test_tight_and_weak_on_one_region_is_both_and_striped(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "abdominals", None, "mild"), finding("weak", "abdominals", None, "moderate"))
    rectus = region(root, "rectus_abdominis", "right")
    assert rectus.get("data-state") == "both"
    assert (rectus.get("data-tight"), rectus.get("data-weak")) == ("mild", "moderate")
    fill = rectus.get("fill", "")
    pattern_id = re.fullmatch(r"url\(#(.+)\)", fill)
    assert pattern_id, fill
    assert [p for p in root.iter(f"{SVG}pattern") if p.get("id") == pattern_id.group(1)]


def test_each_severity_has_its_own_fill(kb: KnowledgeBase) -> None:
    fills = {}
    for kind in ("tight", "weak"):
        for severity in ("mild", "moderate", "severe"):
            root = render(kb, finding(kind, "gluteus_medius", "right", severity))
            fills[kind, severity] = region(root, "gluteus_medius", "right").get("fill")
    none = region(render(kb), "gluteus_medius", "right").get("fill")
    assert len(set(fills.values())) == 6
    assert none not in fills.values()


def test_the_worse_severity_wins_when_two_findings_meet_on_one_region(kb: KnowledgeBase) -> None:
    worse = render(kb, finding("tight", "piriformis", "right", "severe"))
    both = render(
        kb,
        finding("tight", "hip_external_rotators", "right", "mild"),
        finding("tight", "piriformis", "right", "severe"),
    )
    assert region(both, "piriformis", "right").get("fill") == region(worse, "piriformis", "right").get("fill")
    assert region(both, "piriformis", "right").get("data-tight") == "severe"


def test_a_sideless_finding_colours_both_sides(kb: KnowledgeBase) -> None:
    root = render(kb, finding("weak", "erector_spinae"))
    assert region(root, "erector_spinae", "right").get("data-state") == "weak"
    assert region(root, "erector_spinae", "left").get("data-state") == "weak"


def test_the_description_lists_the_findings_in_words(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "piriformis", "right"), finding("weak", "gluteus_medius", "right"))
    desc = root.findtext("svg:desc", namespaces=NS) or ""
    assert "Tight: right piriformis (moderate). Weak: right gluteus medius (moderate)." in desc
    assert "Front view: the person's right is on the viewer's left." in desc
    assert root.get("role") == "img"
    assert root.findtext("svg:title", namespaces=NS) == "Body map"


def test_each_region_names_its_muscle_side_and_finding(kb: KnowledgeBase) -> None:
    root = render(kb, finding("tight", "piriformis", "right"))
    title = region(root, "piriformis", "right").findtext("svg:title", namespaces=NS) or ""
    assert title.startswith("Piriformis, right (deep muscle): tight (moderate).")
    assert region(root, "piriformis", "left").findtext("svg:title", namespaces=NS) == (
        "Piriformis, left (deep muscle): no finding"
    )
    assert all(el.find("svg:title", NS) is not None for el in regions(root))


def test_other_kinds_of_finding_colour_no_muscle(kb: KnowledgeBase) -> None:
    root = render(
        kb,
        finding("asymmetry", "hip_internal_rotation", "right"),
        finding("ratio", "hamstring_quadriceps", "left"),
        finding("posture", "anterior_pelvic_tilt"),
        finding("movement", "knees_cave_in", "right"),
    )
    assert set(states(root).values()) == {"none"}
    assert "No tight or weak muscles found." in (root.findtext("svg:desc", namespaces=NS) or "")


def test_a_right_sciatic_nerve_sign_is_drawn_on_the_right_only(kb: KnowledgeBase) -> None:
    root = render(kb, finding("neural", "sciatic_nerve", "right"))
    nerves = [g for g in root.iter(f"{SVG}g") if g.get("data-structure") == "sciatic_nerve"]
    assert [g.get("data-side") for g in nerves] == ["right"]
    [nerve] = nerves
    assert nerve.findtext("svg:title", namespaces=NS) == "Sciatic nerve, right: neural sign (moderate)"
    assert all(mean_x(p) > view_center(root, "back") for p in nerve.iter(f"{SVG}path"))
    assert set(states(root).values()) == {"none"}


def test_a_sacroiliac_joint_sign_rings_both_joints(kb: KnowledgeBase) -> None:
    root = render(kb, finding("joint", "sacroiliac_joint", severity="mild"))
    joints = [c for c in root.iter(f"{SVG}circle") if c.get("data-structure") == "sacroiliac_joint"]
    assert sorted(c.get("data-side", "") for c in joints) == ["left", "right"]
    assert not [g for g in root.iter(f"{SVG}g") if g.get("data-structure") == "sciatic_nerve"]


def test_odd_text_is_escaped(kb: KnowledgeBase) -> None:
    odd = "Body map <script>alert('x')</script> & \"quotes\""
    root = render(kb, finding("tight", "<b>mystery & muscle</b>", "right"), title=odd)
    assert root.findtext("svg:title", namespaces=NS) == odd
    assert "<b>mystery & muscle</b>" in (root.findtext("svg:desc", namespaces=NS) or "")
    assert not list(root.iter(f"{SVG}script"))


def test_the_svg_is_self_contained(kb: KnowledgeBase) -> None:
    text = body_map([finding("tight", "piriformis", "right")], kb)
    assert "<script" not in text
    assert "href" not in text
    assert re.findall(r"https?://[^\"]+", text) == ["http://www.w3.org/2000/svg"]
    root = parse(text)
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"


def test_the_same_findings_give_the_same_svg(kb: KnowledgeBase) -> None:
    findings = [finding("tight", "piriformis", "right"), finding("weak", "deep_core")]
    assert body_map(findings, kb) == body_map([dict(f) for f in findings], kb)
    assert body_map(findings, kb) != body_map(findings[:1], kb)


def test_the_legend_explains_colours_and_symbols(kb: KnowledgeBase) -> None:
    root = render(kb)
    [legend] = [g for g in root.iter(f"{SVG}g") if g.get("data-label") == "legend"]
    words = " ".join(legend.itertext())
    for word in ("Tight", "Weak", "mild", "moderate", "severe", "tight and weak", "sciatic nerve", "sacroiliac"):
        assert word in words


@pytest.mark.parametrize("example", ["piriformis_right.yaml"])
def test_the_example_body_map_is_written_for_people_to_look_at(kb: KnowledgeBase, example: str) -> None:
    doc = analyse_file(ROOT / "examples" / example, kb=kb)
    svg = body_map(doc["findings"], kb, title="Body map: piriformis, right")
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / "bodymap_piriformis.svg").write_text(svg, encoding="utf-8")
    root = parse(svg)
    assert region(root, "piriformis", "right").get("data-state") == "tight"
    assert region(root, "gluteus_medius", "right").get("data-state") == "weak"


def squat_guess(kind: str, target: str, side: str | None = None) -> dict[str, Any]:
    """A muscle read from the overhead squat alone, at the engine's 30 %: only to confirm."""
    return {**finding(kind, target, side, "mild"), "confidence": 0.3, "evidence": [{"test": "overhead_squat"}]}


def description(root: ET.Element) -> str:
    [desc] = root.iter(f"{SVG}desc")
    return desc.text or ""


def test_a_finding_only_to_confirm_is_not_drawn_but_named_as_to_confirm(kb: KnowledgeBase) -> None:
    root = render(kb, squat_guess("tight", "latissimus_dorsi", "left"), finding("tight", "piriformis", "right"))
    assert region(root, "latissimus_dorsi", "left").get("data-state") == "none"
    assert region(root, "piriformis", "right").get("data-state") == "tight"
    desc = description(root)
    assert "To confirm (not drawn): tight left latissimus dorsi (mild)." in desc
    assert "Tight: right piriformis" in desc and "latissimus" not in desc.split("To confirm")[0]
    [legend] = [g for g in root.iter(f"{SVG}g") if g.get("data-label") == "legend"]
    assert "only to confirm" in " ".join(legend.itertext()) and "not drawn" in " ".join(legend.itertext())


def test_a_low_confidence_finding_is_not_drawn_even_from_a_direct_test(kb: KnowledgeBase) -> None:
    unsure = {**finding("weak", "gluteus_medius", "right"), "confidence": 0.4}
    root = render(kb, unsure)
    assert region(root, "gluteus_medius", "right").get("data-state") == "none"
    assert "To confirm (not drawn): weak right gluteus medius" in description(root)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_no_example_draws_a_finding_only_to_confirm(kb: KnowledgeBase, path: Path) -> None:
    """Every example's map is the map of its established findings alone; each to-confirm finding is
    named in the accessible text as to confirm, and never under Tight or Weak."""
    doc = analyse_file(path, kb=kb)
    sure = [f for f in doc["findings"] if not doubtful(f)]
    unsure = [f for f in doc["findings"] if doubtful(f) and f["kind"] in ("tight", "weak")]
    root = render(kb, *doc["findings"])
    assert states(root) == states(render(kb, *sure))
    desc = description(root)
    _, _, confirm = desc.partition("To confirm (not drawn): ")
    for f in unsure:
        words = " ".join(x for x in (f["kind"], f.get("side") or "") if x)
        assert words in confirm and kb.muscle[f["target"]].name.lower() in confirm.lower()


def test_the_examples_hold_findings_to_confirm(kb: KnowledgeBase) -> None:
    """The test above has something to check: some example has squat-only guesses on the map's muscles."""
    docs = [analyse_file(p, kb=kb) for p in EXAMPLES]
    assert any(doubtful(f) and f["kind"] in ("tight", "weak") for d in docs for f in d["findings"])
