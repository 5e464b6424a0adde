"""The body map: a person's tight and weak muscles on a simple figure, front and back, as one SVG.

``body_map(findings, kb)`` returns a self-contained, accessible SVG string (no scripts, no external
resources) for the clinic web app to embed. Every muscle the knowledge base knows is a drawn region
on one view; its colour says what the findings say of that muscle on that side:

    tight  warm (orange → dark red), weak  blue (light → dark), by severity mild → severe
    both   stripes of the two colours,  none  neutral grey;  a deep muscle has a dashed outline

A finding on a unit colours its parts (``hamstrings`` → biceps femoris and the medial hamstrings,
``deep_core`` → transversus abdominis, diaphragm, pelvic floor, multifidus), through
``Muscle.part_of``; a finding on a part colours only that part. A finding without a side (the
midline muscles) colours both sides. ``neural:sciatic_nerve`` draws the nerve down the back of the
thigh of its side, ``joint:sacroiliac_joint`` rings the sacroiliac joints; other kinds are not
drawn on muscles.

The mirror: on the FRONT view the person's right is on the viewer's LEFT; on the BACK view the
person's right is on the viewer's RIGHT. Both views carry R and L badges.

A finding only "to confirm" (:func:`rebalance.reasoning.findings.to_confirm`: under 50 % confidence, or
a muscle read from the overhead squat alone) is not drawn: the map shows what the assessment found, the
legend says so, and the accessible text lists them under "To confirm (not drawn)". The assessment page
and the clinician's report list them in their "To confirm" group.

Geometry is data: ``SHAPES`` holds each muscle's outline once per view, for one half of the body,
in figure coordinates (``lateral``: distance from the midline towards the person's own side;
``y``: down from the top of the head). ``REGIONS`` mirrors it into muscle → view → side → path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import MUSCLE_KINDS
from rebalance.reasoning.findings import to_confirm

__all__ = ["REGIONS", "SHAPES", "MuscleShape", "Region", "body_map"]

View = Literal["front", "back"]
Side = Literal["right", "left"]
Point = tuple[float, float]

SIDES: tuple[Side, Side] = ("right", "left")
SEVERITIES = ("mild", "moderate", "severe")


# --- geometry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MuscleShape:
    """A muscle's outline on one view, for one half of the body (mirrored for the other)."""

    muscle: str
    view: View
    outline: tuple[Point, ...]  # (lateral, y) in figure coordinates, a closed smooth curve
    deep: bool = False  # lies under another drawn muscle: dashed outline, see-through when unmarked


@dataclass(frozen=True)
class Region:
    """One drawn region: a muscle on one view and side, as an SVG path in page coordinates."""

    muscle: str
    view: View
    side: Side
    d: str
    deep: bool
    center_x: float  # page x of the outline's centre, for placing and for tests


@dataclass(frozen=True)
class Layout:
    width: float = 520
    height: float = 630
    top: float = 78  # page y of the top of the head
    center: Mapping[View, float] = field(default_factory=lambda: {"front": 135.0, "back": 385.0})
    badge_offset: float = 98  # R/L badges this far either side of a figure's midline


LAYOUT = Layout()

# Which way "lateral" points on the page for each view and side: the mirror rule, in one place.
DIRECTION: Mapping[tuple[View, Side], int] = {
    ("front", "right"): -1,  # facing the viewer: the person's right is on the viewer's left
    ("front", "left"): 1,
    ("back", "right"): 1,  # seen from behind: the person's right is on the viewer's right
    ("back", "left"): -1,
}

# The figure (one half; mirrored). A plain outline: head, neck, trunk, arms, legs.
HEAD = (0.0, 27.0, 16.0, 21.0)  # cx, cy, rx, ry
NECK: tuple[Point, ...] = ((0, 40), (8, 40), (9, 60), (0, 60))
TRUNK: tuple[Point, ...] = (
    (0, 54), (10, 55), (24, 61), (40, 66), (48, 74), (49, 88), (44, 102), (41, 124), (37, 148),
    (35, 166), (39, 184), (45, 200), (48, 214), (46, 226), (24, 232), (0, 236),
)  # fmt: skip
ARM: tuple[Point, ...] = (
    (42, 66), (51, 71), (57, 84), (59, 104), (61, 130), (63, 152), (66, 176), (70, 204), (73, 226),
    (77, 240), (77, 252), (71, 259), (66, 251), (63, 234), (60, 206), (54, 178), (50, 156),
    (48, 130), (45, 106), (43, 90),
)  # fmt: skip
LEG: tuple[Point, ...] = (
    (3, 222), (26, 210), (46, 210), (49, 228), (47, 256), (43, 284), (39, 306), (38, 320), (40, 340),
    (39, 360), (34, 384), (28, 400), (28, 410), (31, 418), (24, 423), (12, 423), (9, 415), (10, 400),
    (11, 380), (9, 356), (9, 336), (12, 318), (10, 300), (6, 270), (3, 242),
)  # fmt: skip


def _shape(muscle: str, view: View, points: str, deep: bool = False) -> MuscleShape:
    """A table row: the outline written as SVG-style "lateral,y" pairs."""
    outline = tuple((float(x), float(y)) for x, y in (pair.split(",") for pair in points.split()))
    return MuscleShape(muscle, view, outline, deep)


SHAPES: tuple[MuscleShape, ...] = (
    # front: chest and abdomen
    _shape("pectoralis_major", "front", "3,76 20,71 38,71 46,81 44,97 32,107 16,109 4,105"),
    _shape("pectoralis_minor", "front", "37,78 41,84 29,99 19,103 18,95 28,86", deep=True),
    _shape("rectus_abdominis", "front", "2,114 14,114 16,140 16,172 14,198 9,210 2,212"),
    _shape("obliques", "front", "18,116 33,111 39,128 36,152 38,172 34,184 21,180 18,150"),
    _shape("diaphragm", "front", "1,110 16,107 30,112 39,122 36,125 27,117 13,113 1,114", deep=True),
    _shape("transversus_abdominis", "front", "18,188 34,188 42,196 36,203 19,203", deep=True),
    _shape("pelvic_floor", "front", "1,213 8,212 12,216 7,220 1,221", deep=True),
    # front: hip and thigh
    _shape("iliopsoas", "front", "14,208 26,206 31,212 27,226 19,230 13,220"),
    _shape("tensor_fasciae_latae", "front", "37,205 45,208 48,222 46,244 41,246 38,226"),
    _shape("hip_adductors", "front", "6,229 12,225 19,231 25,237 20,256 15,274 11,280 8,264 7,246"),
    _shape("gracilis", "front", "2.5,236 5.5,235 7,262 10,290 11,302 9,304 6,284 3,258"),
    _shape("rectus_femoris", "front", "30,216 36,220 38,240 36,262 32,284 27,300 23,298 23,280 25,258 28,236"),
    _shape("vastus_lateralis", "front", "40,236 46,236 48,252 45,274 40,294 35,308 30,306 34,288 38,266 39,250"),
    _shape("vastus_medialis", "front", "20,280 24,290 25,302 21,312 15,310 13,298 16,286"),
    _shape("sartorius", "front", "34,206 38,208 32,230 24,258 17,290 14,306 11,304 13,288 20,256 28,228"),
    # front: shin
    _shape("tibialis_anterior", "front", "22,326 30,326 32,348 28,376 24,394 22,394 22,370 21,346"),
    # back: shoulder girdle and trunk
    _shape("rhomboids", "back", "3,64 13,66 17,78 14,91 3,86"),
    _shape("rotator_cuff", "back", "20,72 36,70 42,80 34,94 22,96 18,84"),
    _shape("lower_trapezius", "back", "3,92 16,93 21,98 10,110 3,120"),
    _shape("teres_major", "back", "34,97 42,91 47,98 42,106 34,103"),
    _shape("latissimus_dorsi", "back", "15,116 24,106 40,106 44,112 40,134 36,158 27,170 15,166"),
    _shape("erector_spinae", "back", "2,124 12,122 14,150 14,188 12,204 4,208 2,190"),
    _shape("multifidus", "back", "2,166 7,166 8,196 6,208 2,208", deep=True),
    _shape("quadratus_lumborum", "back", "15,160 24,162 29,178 22,188 15,186", deep=True),
    # back: buttock
    _shape("gluteus_medius", "back", "20,186 40,186 47,202 44,212 30,206 19,197"),
    _shape("gluteus_minimus", "back", "30,193 41,193 45,204 38,207 30,201", deep=True),
    _shape("gluteus_maximus", "back", "6,202 22,198 40,207 48,220 46,236 34,246 16,246 6,240 4,220"),
    _shape("piriformis", "back", "7,199 13,198 30,205 45,211 45,215 30,213 12,214 7,211", deep=True),
    _shape("obturator_internus", "back", "13,219 28,217 44,218 44,222 28,223 13,224", deep=True),
    _shape("quadratus_femoris", "back", "16,228 30,227 43,226 43,232 30,234 16,234", deep=True),
    # back: thigh and calf
    _shape("biceps_femoris", "back", "25,248 36,246 44,260 40,288 34,312 28,312 26,290 24,266"),
    _shape("medial_hamstrings", "back", "7,248 22,248 22,270 24,296 22,314 16,314 10,292 6,266"),
    _shape("soleus", "back", "10,352 14,364 24,370 34,362 37,366 31,388 20,393 12,386"),
    _shape("gastrocnemius", "back", "11,322 24,318 38,322 40,340 34,362 24,369 14,365 9,344"),
    _shape("popliteus", "back", "14,318 27,313 30,319 18,326", deep=True),
)

# The sciatic nerve (back view): from the greater sciatic notch, under the piriformis, down the
# back of the thigh to where it divides above the knee.
SCIATIC_NERVE: tuple[Point, ...] = ((14, 208), (20, 220), (23, 240), (24, 270), (24, 296), (23, 314))
SACROILIAC_JOINT: Point = (9, 203)  # back view, either side of the sacrum


def _page_point(view: View, side: Side, p: Point) -> Point:
    return LAYOUT.center[view] + DIRECTION[(view, side)] * p[0], LAYOUT.top + p[1]


def _num(v: float) -> str:
    text = f"{v:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _smooth_path(points: Sequence[Point], closed: bool = True) -> str:
    """A Catmull-Rom curve through the points, as cubic Béziers."""
    n = len(points)

    def at(i: int) -> Point:
        return points[i % n] if closed else points[min(max(i, 0), n - 1)]

    parts = [f"M{_num(points[0][0])} {_num(points[0][1])}"]
    for i in range(n if closed else n - 1):
        p0, p1, p2, p3 = at(i - 1), at(i), at(i + 1), at(i + 2)
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        parts.append("C" + " ".join(_num(v) for v in (*c1, *c2, *p2)))
    return "".join(parts) + ("Z" if closed else "")


def _mirror(shape: MuscleShape, side: Side) -> Region:
    points = [_page_point(shape.view, side, p) for p in shape.outline]
    xs = [p[0] for p in points]
    return Region(shape.muscle, shape.view, side, _smooth_path(points), shape.deep, (min(xs) + max(xs)) / 2)


def _regions(shapes: Iterable[MuscleShape]) -> dict[str, dict[View, dict[Side, Region]]]:
    table: dict[str, dict[View, dict[Side, Region]]] = {}
    for shape in shapes:
        table.setdefault(shape.muscle, {})[shape.view] = {side: _mirror(shape, side) for side in SIDES}
    return table


REGIONS: Mapping[str, Mapping[View, Mapping[Side, Region]]] = _regions(SHAPES)


# --- what the findings say of each region --------------------------------------------------------

TIGHT_FILL = {"mild": "#fdae6b", "moderate": "#e6550d", "severe": "#a63603"}
WEAK_FILL = {"mild": "#9ecae1", "moderate": "#3182bd", "severe": "#08306b"}
NONE_FILL = "#e8e3de"
BODY_FILL, BODY_STROKE = "#faf8f5", "#8c8279"
REGION_STROKE = "#9d938a"
NERVE_FILL, NERVE_EDGE = "#ffd21f", "#7a6200"
JOINT_FILL, JOINT_EDGE = "#f2e6f7", "#6a3d9a"


@dataclass
class Mark:
    """What the findings say of one muscle on one side."""

    tight: str | None = None
    weak: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.tight and self.weak:
            return "both"
        return "tight" if self.tight else "weak" if self.weak else "none"


def _worse(a: str | None, b: str) -> str:
    return b if a is None or SEVERITIES.index(b) > SEVERITIES.index(a) else a


def _sides(finding: Mapping[str, Any]) -> tuple[Side, ...]:
    side = finding.get("side")
    return (side,) if side in SIDES else SIDES


def _severity(finding: Mapping[str, Any]) -> str:
    severity = finding.get("severity")
    return severity if severity in SEVERITIES else "mild"


def _covered(kb: KnowledgeBase, target: str) -> list[str]:
    """The muscle and, recursively, its parts, in knowledge-base order."""
    covered = {target}
    grew = True
    while grew:
        more = {mid for mid, m in kb.muscle.items() if m.part_of in covered} - covered
        covered |= more
        grew = bool(more)
    return [mid for mid in kb.muscle if mid in covered] or [target]


def _name(kb: KnowledgeBase, muscle_id: str) -> str:
    m = kb.muscle.get(muscle_id)
    return m.name if m else muscle_id.replace("_", " ")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _finding_words(kb: KnowledgeBase, finding: Mapping[str, Any]) -> str:
    side = finding.get("side")
    where = f"{side} " if side in SIDES else ""
    return f"{where}{_lower(_name(kb, str(finding.get('target'))))} ({_severity(finding)})"


def _reason(kb: KnowledgeBase, finding: Mapping[str, Any]) -> str:
    side = finding.get("side")
    where = side if side in SIDES else "both sides"
    conf = finding.get("confidence")
    conf_text = f", confidence {conf:.2f}" if isinstance(conf, int | float) else ""
    name = _lower(_name(kb, str(finding.get("target"))))
    return f"{finding['kind']} {name}, {where} ({_severity(finding)}{conf_text})"


def _marks(kb: KnowledgeBase, findings: Iterable[Mapping[str, Any]]) -> dict[tuple[str, Side], Mark]:
    marks: dict[tuple[str, Side], Mark] = {}
    for f in findings:
        if f.get("kind") not in MUSCLE_KINDS:
            continue
        for muscle in _covered(kb, str(f.get("target"))):
            for side in _sides(f):
                mark = marks.setdefault((muscle, side), Mark())
                if f["kind"] == "tight":
                    mark.tight = _worse(mark.tight, _severity(f))
                else:
                    mark.weak = _worse(mark.weak, _severity(f))
                mark.reasons.append(_reason(kb, f))
    return marks


def doubtful(finding: Mapping[str, Any]) -> bool:
    """Only to confirm (:func:`rebalance.reasoning.findings.to_confirm`): left off the map."""
    tests = (str(e.get("test")) for e in finding.get("evidence") or ())
    return to_confirm(str(finding.get("kind")), float(finding.get("confidence", 1.0)), tests)


def _drawable(finding: Mapping[str, Any]) -> bool:
    """A kind of finding the map draws: on a muscle, or on a structure it knows."""
    return finding.get("kind") in MUSCLE_KINDS or (str(finding.get("kind")), str(finding.get("target"))) in STRUCTURES


def _by_kind(findings: Iterable[Mapping[str, Any]], kind: str, target: str | None = None) -> list[Mapping[str, Any]]:
    return [f for f in findings if f.get("kind") == kind and (target is None or f.get("target") == target)]


# --- drawing -------------------------------------------------------------------------------------


def _attrs(**values: object) -> str:
    return "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for k, v in values.items())


def _pattern_id(prefix: str, tight: str, weak: str) -> str:
    return f"{prefix}-both-{tight}-{weak}"


def _pattern(prefix: str, tight: str, weak: str) -> str:
    return (
        f'<pattern id="{_pattern_id(prefix, tight, weak)}" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{TIGHT_FILL[tight]}"/>'
        f'<rect width="3" height="6" fill="{WEAK_FILL[weak]}"/></pattern>'
    )


def _fill(prefix: str, mark: Mark | None, deep: bool) -> str:
    if mark is None or mark.state == "none":
        return "none" if deep else NONE_FILL
    if mark.tight and mark.weak:
        return f"url(#{_pattern_id(prefix, mark.tight, mark.weak)})"
    return TIGHT_FILL[mark.tight] if mark.tight else WEAK_FILL[str(mark.weak)]


def _region_title(kb: KnowledgeBase, region: Region, mark: Mark | None) -> str:
    head = f"{_name(kb, region.muscle)}, {region.side}"
    deep = " (deep muscle)" if region.deep else ""
    if mark is None or mark.state == "none":
        return f"{head}{deep}: no finding"
    said = " and ".join(
        f"{kind} ({sev})" for kind, sev in (("tight", mark.tight), ("weak", mark.weak)) if sev is not None
    )
    return f"{head}{deep}: {said}. From: {'; '.join(mark.reasons)}"


def _region(kb: KnowledgeBase, prefix: str, region: Region, mark: Mark | None) -> str:
    state = mark.state if mark else "none"
    extra: dict[str, str] = {}
    if mark and mark.tight:
        extra["data_tight"] = mark.tight
    if mark and mark.weak:
        extra["data_weak"] = mark.weak
    stroke = {"stroke": "#5b524b", "stroke_dasharray": "2.5 1.5"} if region.deep else {"stroke": REGION_STROKE}
    attrs = _attrs(
        d=region.d,
        fill=_fill(prefix, mark, region.deep),
        **stroke,
        stroke_width="0.7",
        data_muscle=region.muscle,
        data_side=region.side,
        data_view=region.view,
        data_state=state,
        **extra,
    )
    return f"<path{attrs}><title>{escape(_region_title(kb, region, mark))}</title></path>"


def _figure_parts(view: View) -> list[str]:
    """The silhouette as paths: head, neck, trunk, both arms and legs (in page coordinates)."""
    cx, cy, rx, ry = HEAD
    head = f'<ellipse cx="{_num(LAYOUT.center[view] + cx)}" cy="{_num(LAYOUT.top + cy)}" rx="{rx:g}" ry="{ry:g}"/>'
    whole = [*NECK, *[(-x, y) for x, y in reversed(NECK[1:-1])]]
    trunk = [*TRUNK, *[(-x, y) for x, y in reversed(TRUNK[1:-1])]]
    paths = [head]
    for outline, smooth in ((whole, False), (trunk, True)):
        points = [_page_point(view, "left", p) for p in outline]  # whole-body outlines: symmetric
        paths.append(f'<path d="{_smooth_path(points) if smooth else _polygon(points)}"/>')
    for side in SIDES:
        for limb in (ARM, LEG):
            paths.append(f'<path d="{_smooth_path([_page_point(view, side, p) for p in limb])}"/>')
    return paths


def _polygon(points: Sequence[Point]) -> str:
    return "M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in points) + "Z"


def _figure(view: View) -> str:
    """Drawn twice: a thick outline underneath, then the fill on top, so the parts merge cleanly."""
    parts = "".join(_figure_parts(view))
    return (
        f'<g fill="none" stroke="{BODY_STROKE}" stroke-width="3" stroke-linejoin="round">{parts}</g>'
        f'<g fill="{BODY_FILL}" stroke="none">{parts}</g>'
    )


def _badge(x: float, y: float, letter: str, side: Side) -> str:
    return (
        f'<g data-label="side" data-side="{side}"><circle cx="{_num(x)}" cy="{_num(y)}" r="11" fill="#fff" '
        f'stroke="#4a433d" stroke-width="1.2"/><text x="{_num(x)}" y="{_num(y + 4.5)}" text-anchor="middle" '
        f'font-size="13" font-weight="700" fill="#2b2622">{letter}</text>'
        f"<title>The person's {side} side</title></g>"
    )


def _heading(view: View) -> str:
    cx = LAYOUT.center[view]
    name, note = ("Front", "facing you") if view == "front" else ("Back", "seen from behind")
    badges = "".join(
        _badge(cx + DIRECTION[(view, side)] * LAYOUT.badge_offset, LAYOUT.top + 40, side[0].upper(), side)
        for side in SIDES
    )
    return (
        f'<text x="{_num(cx)}" y="52" text-anchor="middle" font-size="14" font-weight="700" '
        f'fill="#2b2622">{name}</text><text x="{_num(cx)}" y="67" text-anchor="middle" font-size="11" '
        f'fill="#5b524b">{note}</text>{badges}'
    )


def _nerve(finding: Mapping[str, Any], side: Side) -> str:
    points = [_page_point("back", side, p) for p in SCIATIC_NERVE]
    d = _smooth_path(points, closed=False)
    words = f"Sciatic nerve, {side}: neural sign ({_severity(finding)})"
    return (
        f'<g data-structure="sciatic_nerve" data-side="{side}"><title>{escape(words)}</title>'
        f'<path d="{d}" fill="none" stroke="{NERVE_EDGE}" stroke-width="4.2" stroke-linecap="round"/>'
        f'<path d="{d}" fill="none" stroke="{NERVE_FILL}" stroke-width="2.4" stroke-linecap="round"/></g>'
    )


def _joint(finding: Mapping[str, Any], side: Side) -> str:
    x, y = _page_point("back", side, SACROILIAC_JOINT)
    words = f"Sacroiliac joint, {side}: joint sign ({_severity(finding)})"
    return (
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{JOINT_FILL}" stroke="{JOINT_EDGE}" '
        f'stroke-width="1.8" data-structure="sacroiliac_joint" data-side="{side}"><title>{escape(words)}</title>'
        "</circle>"
    )


# The structures a finding draws on the back view: (kind, target) → how to draw one side.
STRUCTURES: Mapping[tuple[str, str], Callable[[Mapping[str, Any], Side], str]] = {
    ("neural", "sciatic_nerve"): _nerve,
    ("joint", "sacroiliac_joint"): _joint,
}


def _structures(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each structure and side drawn once, by the first (most important) finding on it."""
    out: list[str] = []
    drawn: set[tuple[str, str, Side]] = set()
    for f in findings:
        key = (str(f.get("kind")), str(f.get("target")))
        draw = STRUCTURES.get(key)
        for side in _sides(f) if draw else ():
            if (*key, side) not in drawn:
                drawn.add((*key, side))
                out.append(draw(f, side))  # type: ignore[misc]  # draw is set when sides are iterated
    return out


# --- legend and words ----------------------------------------------------------------------------


def _swatch(x: float, y: float, fill: str, label: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="2.5 1.5" stroke="#5b524b"' if dashed else f' stroke="{REGION_STROKE}"'
    return (
        f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="16" height="11" rx="2" fill="{fill}"{dash} '
        f'stroke-width="0.8"/><text x="{_num(x + 21)}" y="{_num(y)}" font-size="11" '
        f'fill="#2b2622">{escape(label)}</text>'
    )


def _legend(prefix: str) -> str:
    y0 = LAYOUT.top + 440
    rows = [f'<text x="16" y="{_num(y0)}" font-size="11" font-weight="700" fill="#2b2622">Key</text>']
    for i, (label, fills) in enumerate((("Tight", TIGHT_FILL), ("Weak", WEAK_FILL))):
        y = y0 + 20 + 20 * i
        rows.append(f'<text x="16" y="{_num(y)}" font-size="11" fill="#2b2622">{label}</text>')
        rows += [_swatch(58 + 92 * j, y, fills[sev], sev) for j, sev in enumerate(SEVERITIES)]
    y = y0 + 60
    rows.append(_swatch(16, y, f"url(#{_pattern_id(prefix, 'moderate', 'moderate')})", "tight and weak"))
    rows.append(_swatch(150, y, NONE_FILL, "no finding"))
    rows.append(_swatch(242, y, "none", "deep muscle", dashed=True))
    rows.append(
        f'<text x="16" y="{_num(y + 22)}" font-size="11" fill="#2b2622" data-label="to-confirm">'
        "Findings only to confirm (a guess from the squat, or under 50 % confidence) are not drawn.</text>"
    )
    x = 360
    rows.append(
        f'<path d="M{x} {_num(y0 + 16)}h16" stroke="{NERVE_EDGE}" stroke-width="4.2" stroke-linecap="round"/>'
        f'<path d="M{x} {_num(y0 + 16)}h16" stroke="{NERVE_FILL}" stroke-width="2.4" stroke-linecap="round"/>'
        f'<text x="{x + 21}" y="{_num(y0 + 20)}" font-size="11" fill="#2b2622">sciatic nerve sign</text>'
        f'<circle cx="{x + 8}" cy="{_num(y0 + 36)}" r="4" fill="{JOINT_FILL}" stroke="{JOINT_EDGE}" '
        f'stroke-width="1.8"/><text x="{x + 21}" y="{_num(y0 + 40)}" font-size="11" '
        'fill="#2b2622">sacroiliac joint sign</text>'
    )
    return f'<g data-label="legend">{"".join(rows)}</g>'


def _summary(
    kb: KnowledgeBase, findings: Sequence[Mapping[str, Any]], undrawn: list[str], unsure: Sequence[Mapping[str, Any]]
) -> str:
    parts = []
    for kind, label in (("tight", "Tight"), ("weak", "Weak")):
        words = [_finding_words(kb, f) for f in _by_kind(findings, kind)]
        if words:
            parts.append(f"{label}: {', '.join(words)}.")
    if not parts:
        parts.append("No tight or weak muscles found.")
    nerve = [_finding_words(kb, f) for f in _by_kind(findings, "neural", "sciatic_nerve")]
    joint = [_finding_words(kb, f) for f in _by_kind(findings, "joint", "sacroiliac_joint")]
    if nerve:
        parts.append(f"Nerve sign: {', '.join(nerve)}.")
    if joint:
        parts.append(f"Joint sign: {', '.join(joint)}.")
    if undrawn:
        parts.append(f"Not drawn: {', '.join(undrawn)}.")
    if unsure:
        words = [f"{f.get('kind')} {_finding_words(kb, f)}" for f in unsure]
        parts.append(f"To confirm (not drawn): {', '.join(words)}.")
    parts.append("Front view: the person's right is on the viewer's left.")
    parts.append("Back view: the person's right is on the viewer's right.")
    return " ".join(parts)


def _undrawn(kb: KnowledgeBase, findings: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        _finding_words(kb, f)
        for f in findings
        if f.get("kind") in MUSCLE_KINDS and not any(m in REGIONS for m in _covered(kb, str(f.get("target"))))
    ]


def _prefix(findings: Sequence[Mapping[str, Any]], title: str) -> str:
    """Ids unique to this content, so several maps can share one page."""
    key = json.dumps([title, list(findings)], sort_keys=True, default=str)
    return "bm-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def body_map(findings: list[dict[str, Any]], kb: KnowledgeBase, *, title: str = "Body map") -> str:
    """The findings as an accessible SVG body map, front and back views side by side; those only to
    confirm (:func:`doubtful`) are not drawn, only named in the accessible text."""
    prefix = _prefix(findings, title)
    unsure = [f for f in findings if doubtful(f) and _drawable(f)]
    findings = [f for f in findings if not doubtful(f)]
    marks = _marks(kb, findings)
    undrawn = _undrawn(kb, findings)
    pairs = sorted({(m.tight, m.weak) for m in marks.values() if m.tight and m.weak} | {("moderate", "moderate")})
    defs = "".join(_pattern(prefix, str(t), str(w)) for t, w in pairs)
    body: list[str] = []
    for view in ("front", "back"):
        shapes = sorted((s for s in SHAPES if s.view == view), key=lambda s: s.deep)  # deep ones on top
        regions = [REGIONS[s.muscle][view][side] for s in shapes for side in SIDES]
        drawn = "".join(_region(kb, prefix, r, marks.get((r.muscle, r.side))) for r in regions)
        extra = "".join(_structures(findings)) if view == "back" else ""
        body.append(
            f'<g data-view="{view}" data-center-x="{_num(LAYOUT.center[view])}">'
            f"{_heading(view)}{_figure(view)}{drawn}{extra}</g>"
        )
    note = ""
    if undrawn:
        note = (
            f'<text x="16" y="{_num(LAYOUT.height - 8)}" font-size="10.5" fill="#5b524b">'
            f"Not drawn: {escape(', '.join(undrawn))}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(LAYOUT.width)} {_num(LAYOUT.height)}" '
        f'width="100%" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">"
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(_summary(kb, findings, undrawn, unsure))}</desc>'
        f"<defs>{defs}</defs>"
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="16" y="24" font-size="16" font-weight="700" fill="#2b2622">{escape(title)}</text>'
        f"{''.join(body)}{_legend(prefix)}{note}</svg>"
    )
