"""An exercise's figure: the person in the start and end positions, with the props, one SVG.

``pose_figure(pose, title=...)`` draws ``Exercise.pose`` (``knowledge/data/exercises/*.yaml``) as
drawings a patient can follow: an articulated person (head, neck, a shaped trunk, upper arms, forearms,
hands, thighs, shanks, feet) as filled outlines, seen a little from the front and above, the right side
dark and nearest the viewer, the left light; the props the exercise uses (a mat, a wall, a chair, a
ball ...) in their places; the start and the end side by side, or one "Hold" picture when the position
is held; in the end picture an arrow for each part that moves, from where it started, that part's
starting place faded behind it; and, for a one-sided exercise, the side shown ("Shown for the right
leg"), that limb in the accent colour.

The work is shared: ``figure_body`` poses the person in three dimensions, ``figure_props`` places the
props, ``figure_scene`` puts each position in one world and the camera on it (and says why a pose
cannot be drawn: ``figure_problems``, for ``rebalance kb check``), ``figure_motion`` finds what moves;
this module projects it all and writes the SVG. ``figure_files`` is what ``rebalance figures DIR``
writes: every figure and a contact sheet to review them on one page.

Same input, same string; no scripts, styles or external resources (the web app's
Content-Security-Policy allows none).
"""

from __future__ import annotations

import hashlib
import math
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from rebalance.knowledge.models import Exercise, Pose, SidedAngle
from rebalance.reports.figure_body import SIDES, Body, Phase, Piece, Vec, add, cross, dot, mul, parts, sub, unit
from rebalance.reports.figure_motion import Move, arrow_points, ghost_parts, moves, turns_at_middle
from rebalance.reports.figure_props import Placed, Solid, place_of, props_of
from rebalance.reports.figure_scene import Camera, Scene, camera, figure_problems, held, scenes

__all__ = [
    "contact_sheet",
    "exercise_figure",
    "figure_files",
    "figure_problems",
    "pose_figure",
    "pose_points",
    "svg_to_png",
]

Point = tuple[float, float]
RSVG_CONVERT = "rsvg-convert"

PANEL_W, PANEL_H, MIN_PANEL_H, GAP, TOP, CAPTION = 180.0, 150.0, 70.0, 12.0, 20.0, 18.0
MAX_SCALE = 0.74  # a small figure (seen from above) is not blown up
FLOOR_DEPTH = 34.0  # how far the floor drawn reaches in front of and behind the person
LINE = 1.1  # the outlines' width
THIN = 0.3  # an outline's point within this of the line between its neighbours is left out (a tenth of an outline)

# fill and outline of each tone
TONES: dict[str, tuple[str, str]] = {
    "right": ("#4b5563", "#1f2937"),
    "left": ("#d3d9df", "#7b8794"),
    "trunk": ("#7d8896", "#1f2937"),
    "working_right": ("#0f766e", "#083d39"),
    "working_left": ("#88cfc6", "#0f766e"),
    "ghost": ("#f1f3f5", "#aab3bd"),
    "floor": ("#eef1f4", "#c3cad2"),
    "mat": ("#cfe4dd", "#7fa596"),
    "wall": ("#f1f3f5", "#a9b2bc"),
    "wood": ("#d0ab84", "#7d5d3f"),
    "step": ("#ddd0bf", "#8c7a64"),
    "roller": ("#8ebad9", "#35668c"),
    "roller_end": ("#c2dcef", "#35668c"),
    "swiss": ("#abd0ec", "#4a7ea8"),
    "massage_ball": ("#f4b63f", "#8f620a"),
    "pillow": ("#f5f1e8", "#a49c8b"),
    "band": ("none", "#d9485f"),
    "strap": ("none", "#9c6b38"),
    "metal": ("none", "#6b7280"),
    "weight": ("#4b5563", "#1f2937"),
    "weight_end": ("#6b7280", "#1f2937"),
    "kettlebell": ("#8a939e", "#2f3742"),
    "saddle": ("#374151", "#111827"),
    "flywheel": ("#aeb6bf", "#4b5563"),
    "water": ("#7cc3e8", "#3b8fc2"),
}
ACCENT, ARROW, INK = "#0f766e", "#d9480f", "#1b1f24"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

ORIENTATION_WORDS = {
    "supine": "lying on the back",
    "prone": "lying face down",
    "side_lying": "lying on the side",
    "quadruped": "on hands and knees",
    "seated": "sitting",
    "kneeling": "kneeling",
    "half_kneeling": "kneeling on one knee",
    "standing": "standing",
    "swimming": "swimming",
}
LEG_ANGLES = ("hip_flexion", "hip_abduction", "hip_external_rotation", "knee_flexion", "ankle_dorsiflexion")
ARM_ANGLES = ("shoulder_flexion", "shoulder_abduction", "shoulder_rotation", "elbow_flexion")


# --- projecting solids ---------------------------------------------------------------------------


def _hull(points: list[Point]) -> list[Point]:
    """The convex hull, counter-clockwise (y up), of ``points``."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def half(seq: list[Point]) -> list[Point]:
        out: list[Point] = []
        for p in seq:
            while (
                len(out) >= 2
                and (out[-1][0] - out[-2][0]) * (p[1] - out[-2][1]) - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])
                <= 0
            ):
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(list(reversed(pts)))
    return lower[:-1] + upper[:-1]


def _circle(count: int) -> list[Point]:
    return [(math.cos(2 * math.pi * i / count), math.sin(2 * math.pi * i / count)) for i in range(count)]


CIRCLES = {count: _circle(count) for count in (10, 14, 20)}


def _around(radius: float) -> list[Point]:
    """A circle's points, fewer for a small one (each outline edge a few pixels long at most)."""
    return CIRCLES[10 if radius < 4.5 else 14 if radius < 9.0 else 20]


def _outline(piece: Piece, cam: Camera) -> list[Point]:
    points: list[Point] = []
    for centre, radius in piece.spheres:
        x, y = cam.flat(centre)
        points += [(x + radius * c, y + radius * s) for c, s in _around(radius)]
    for centre, a, b in piece.discs:
        around = _around(max(dot(a, a), dot(b, b)) ** 0.5)
        points += [cam.flat(add(centre, mul(c, a), mul(s, b))) for c, s in around]
    return _hull(points)


def _depth(piece: Piece, cam: Camera) -> float:
    centres = [c for c, _ in piece.spheres] + [c for c, _, _ in piece.discs]
    return sum(cam.depth(c) for c in centres) / len(centres)


@dataclass(frozen=True)
class Shape:
    """Something to draw, in figure coordinates (y up): outlines filled as one, or a line."""

    name: str  # data-part or data-prop
    tone: str
    polygons: tuple[tuple[Point, ...], ...] = ()
    line: tuple[Point, ...] = ()
    width: float = 0.0
    kind: Literal["part", "prop"] = "part"


def _person(body: Body, cam: Camera, tones: dict[str, str]) -> list[Shape]:
    """The body's parts as shapes, far to near (a hand resting on a part just after that part)."""
    drawn = []
    for part in parts(body):
        polygons = tuple(tuple(_outline(piece, cam)) for piece in part.pieces)
        depth = sum(_depth(piece, cam) for piece in part.pieces) / len(part.pieces)
        tone = tones.get(part.name) or (part.side if part.side else "trunk")
        drawn.append((depth, part, Shape(part.name, tone, polygons)))
    drawn.sort(key=lambda item: item[0])
    order = [item for item in drawn if item[1].on is None]
    for item in drawn:
        part = item[1]
        if part.on is None:
            continue
        target = f"{part.side}_leg" if part.on == "own_leg" else part.on
        at = next(i for i, other in enumerate(order) if other[1].name == target)
        if item[0] >= order[at][0] - 2.0:  # on the near side of the part it rests on
            order.insert(at + 1, item)
        else:
            order.insert(next((i for i, other in enumerate(order) if other[0] > item[0]), len(order)), item)
    for limb, end in (("leg", "foot"), ("arm", "hand")):  # a foot or a free hand just after its limb
        for side, _ in SIDES:
            names = [item[1].name for item in order]
            end_item = order[names.index(f"{side}_{end}")]
            if end_item[1].on is None:
                order.remove(end_item)
                names = [item[1].name for item in order]
                order.insert(names.index(f"{side}_{limb}") + 1, end_item)
    return [item[2] for item in order]


def _prop_shapes(placed: Placed, cam: Camera) -> list[tuple[str, Shape]]:
    out: list[tuple[str, Shape]] = []
    for solid in placed.solids:
        shape = _solid_shape(placed.kind, solid, cam)
        if shape is not None:
            out.append((solid.layer, shape))
    return out


def _solid_shape(kind: str, solid: Solid, cam: Camera) -> Shape | None:
    if solid.line:
        return Shape(kind, solid.tone, line=tuple(cam.flat(p) for p in solid.line), width=solid.width, kind="prop")
    if solid.faces and solid.tone == "water":
        corners = [cam.flat(p) for face in solid.faces for p in face]
        return Shape(kind, solid.tone, polygons=(tuple(_hull(corners)),), kind="prop")
    if solid.faces:
        visible = []
        for face in solid.faces:
            flat = [cam.flat(p) for p in face]
            if _area(flat) > 1e-6:
                shade = "top" if _face_up(face) else "side"
                visible.append((shade, tuple(flat)))
        polygons = tuple(poly for _, poly in sorted(visible, key=lambda v: v[0] == "top"))
        tone = solid.tone
        return Shape(kind, tone, polygons=polygons, kind="prop")
    if solid.piece is not None:
        if solid.normal is not None and dot(solid.normal, cam.toward) <= 0.05:
            return None
        return Shape(kind, solid.tone, polygons=(tuple(_outline(solid.piece, cam)),), kind="prop")
    return None


def _area(poly: list[Point]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True)) / 2


def _face_up(face: tuple[Vec, ...]) -> bool:
    normal = cross(sub(face[1], face[0]), sub(face[2], face[1]))
    return unit(normal)[1] > 0.7


# --- one panel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One position as shapes in figure coordinates: behind the person, the person, in front."""

    back: tuple[Shape, ...]
    person: tuple[Shape, ...]
    front: tuple[Shape, ...]
    joints: dict[str, Point]
    floor: bool

    def shapes(self) -> tuple[Shape, ...]:
        return (*self.back, *self.person, *self.front)


def _panel(found: Scene, cam: Camera, tones: dict[str, str]) -> Panel:
    back: list[tuple[bool, Shape]] = []
    front: list[tuple[bool, Shape]] = []
    for placed in found.props:
        for layer, shape in _prop_shapes(placed, cam):
            (front if layer == "over" else back).append((layer != "back", shape))
    back.sort(key=lambda item: item[0])  # the mat and the walls first
    joints = {name: cam.flat(p) for name, p in found.body.points.items()}
    swimming = any(placed.kind == "pool" and placed.at == "surface" for placed in found.props)
    return Panel(
        tuple(s for _, s in back),
        tuple(_person(found.body, cam, tones)),
        tuple(s for _, s in front),
        joints,
        floor=cam.grounded and not swimming and not any(placed.kind == "mat" for placed in found.props),
    )


def _bounds(panel: Panel) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for shape in panel.shapes():
        for poly in (*shape.polygons, shape.line):
            xs += [x for x, _ in poly]
            ys += [y for _, y in poly]
    return min(xs), max(xs), min(ys), max(ys)


@dataclass(frozen=True)
class Place:
    """Figure coordinates (y up) to a panel's place in the SVG (y down)."""

    left: float
    scale: float
    centre: float
    base: float  # the SVG y of figure y = 0

    def __call__(self, point: Point) -> Point:
        x, y = point
        return (self.left + PANEL_W / 2 + (x - self.centre) * self.scale, self.base - y * self.scale)


def _places(panels: list[Panel], cam: Camera) -> tuple[list[Place], float]:
    """One scale for every panel (the same size person), the panels as tall as the tallest needs, every
    panel centred on what they show together (what stays put stays in the same place); and that height."""
    boxes = [_bounds(p) for p in panels]
    x0, x1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
    low = min(*(b[2] for b in boxes), -_floor_drop(cam))  # the floor's near edge shows
    span_y = max(b[3] for b in boxes) - low if cam.grounded else max(b[3] - b[2] for b in boxes)
    scale = min((PANEL_W - 14) / (x1 - x0), (PANEL_H - 10) / span_y, MAX_SCALE)
    height = max(MIN_PANEL_H, span_y * scale + 12)
    places = []
    lefts = [0.0, PANEL_W + GAP] if len(panels) == 2 else [(PANEL_W + GAP) / 2]  # one picture in the middle
    for left, (_, _, y0, y1) in zip(lefts, boxes, strict=True):
        base = TOP + height - 5 + low * scale if cam.grounded else TOP + height / 2 + (y0 + y1) / 2 * scale
        places.append(Place(left, scale, (x0 + x1) / 2, base))
    return places, height


def _floor_drop(cam: Camera) -> float:
    """How far the floor's near edge shows below the floor line, in figure units."""
    return FLOOR_DEPTH * math.hypot(cam.up[0], cam.up[2])


# --- drawing -------------------------------------------------------------------------------------


def _c(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _d(points: Sequence[Point], closed: bool = True) -> str:
    """A path's data through ``points`` (SVG coordinates): the first absolute, the rest relative (shorter)."""
    rounded = [(round(x, 1), round(y, 1)) for x, y in points]
    steps = [f"{_c(x1 - x0)} {_c(y1 - y0)}" for (x0, y0), (x1, y1) in pairwise(rounded)]
    start = f"M{_c(rounded[0][0])} {_c(rounded[0][1])}"
    return start + ("l" + " ".join(steps) if steps else "") + ("z" if closed else "")


def _thin(points: Sequence[Point], tolerance: float = THIN) -> list[Point]:
    """``points`` with those left out that lie within ``tolerance`` of the outline drawn without them
    (Douglas–Peucker: every point left out is checked against the segment that replaces it, so the
    outline never drifts further than ``tolerance``, however dense): the drawing looks the same (a small
    round part's outline of 20 points keeps 9 to 12; over the 82 exercise figures 8% more points stay than
    the greedy pass kept, which drifted) and WeasyPrint draws a handout's figures in about a sixth
    less time, its time going with the points. The first and last points stay."""
    if len(points) < 4:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    spans = [(0, len(points) - 1)]
    while spans:
        first, last = spans.pop()
        if last - first < 2:
            continue
        far, i = max((_to_segment(points[i], points[first], points[last]), i) for i in range(first + 1, last))
        if far > tolerance:
            keep[i] = True
            spans += [(first, i), (i, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _to_segment(point: Point, a: Point, b: Point) -> float:
    """How far ``point`` lies from the segment from ``a`` to ``b``."""
    (ax, ay), (bx, by), (px, py) = a, b, point
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length)) if length else 0.0
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _path(polygon: Sequence[Point], place: Place, closed: bool = True) -> str:
    return _d(_thin([place(p) for p in polygon]), closed)


def _draw(shape: Shape, place: Place, ghost: bool = False) -> str:
    fill, stroke = TONES["ghost" if ghost else shape.tone]
    attr = "data-prop" if shape.kind == "prop" else "data-part"
    if shape.line:
        width = max(1.2, shape.width * place.scale)
        return (
            f'<path {attr}="{shape.name}" d="{_path(shape.line, place, closed=False)}" fill="none" stroke="{stroke}" '
            f'stroke-width="{_c(width)}" stroke-linecap="round" stroke-linejoin="round"/>'
        )
    if not shape.polygons:
        return ""
    if shape.tone == "water":
        return _water(shape, place)
    d = " ".join(_path(poly, place) for poly in shape.polygons if len(poly) >= 3)
    if shape.kind == "prop" and len(shape.polygons) > 1 and shape.tone not in {"roller", "swiss"}:
        faces = "".join(
            f'<path d="{_path(poly, place)}" fill="{_shade(fill, i, len(shape.polygons))}" stroke="{stroke}" '
            f'stroke-width="{_c(LINE * 0.8)}" stroke-linejoin="round"/>'
            for i, poly in enumerate(shape.polygons)
        )
        return f'<g {attr}="{shape.name}">{faces}</g>'
    width = LINE * (0.9 if ghost else 1.0)
    return (
        f'<g {attr}="{shape.name}"><path d="{d}" fill="{stroke}" stroke="{stroke}" stroke-width="{_c(2 * width)}" '
        f'stroke-linejoin="round"/><path d="{d}" fill="{fill}"/></g>'
    )


def _water(shape: Shape, place: Place) -> str:
    """Water as a band across the panel from its surface down, the surface a gentle wave."""
    fill, stroke = TONES["water"]
    ys = [place(p)[1] for poly in shape.polygons for p in poly]
    top, bottom = min(ys) + 3.0, max(ys)
    x0, x1 = place.left + 3, place.left + PANEL_W - 3
    wave = " ".join(f"Q{_c(x + 5)} {_c(top - 2.2)} {_c(x + 10)} {_c(top)}" for x in _steps(x0, x1, 10.0))
    return (
        f'<g data-prop="{shape.name}"><path d="M{_c(x0)} {_c(top)}{wave}L{_c(x1)} {_c(bottom)}L{_c(x0)} {_c(bottom)}Z" '
        f'fill="{fill}" fill-opacity="0.3"/><path d="M{_c(x0)} {_c(top)}{wave}" fill="none" stroke="{stroke}" '
        'stroke-width="1.2"/></g>'
    )


def _steps(start: float, stop: float, step: float) -> list[float]:
    count = int((stop - start) // step)
    return [start + i * step for i in range(count)]


def _shade(colour: str, index: int, count: int) -> str:
    """A box's faces: the sides darker than the top (drawn last)."""
    if index == count - 1:
        return colour
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    k = 0.94
    return f"#{int(r * k):02x}{int(g * k):02x}{int(b * k):02x}"


def _floor(place: Place, cam: Camera) -> str:
    drop = _floor_drop(cam)
    fill, stroke = TONES["floor"]
    x0, x1 = place.left + 3, place.left + PANEL_W - 3
    top, bottom = place.base - drop * place.scale, place.base + drop * place.scale
    return (
        f'<path data-prop="floor" d="{_d([(x0, top), (x1, top), (x1, bottom), (x0, bottom)])}" fill="{fill}" '
        f'stroke="none"/><path d="{_d([(x0, bottom), (x1, bottom)], closed=False)}" stroke="{stroke}" '
        'stroke-width="1"/>'
    )


def _arrow(part: str, points: list[Point], place: Place) -> str:
    """An arrow along ``points`` (figure coordinates, tail to head), on a white halo so it reads over the body."""
    if len(points) < 2:
        return ""
    svg = [place(p) for p in points]
    (x0, y0), (x1, y1) = svg[-2], svg[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    size = 6.5
    tip = (x1 + math.cos(angle) * size * 0.6, y1 + math.sin(angle) * size * 0.6)
    left = (tip[0] - size * math.cos(angle - 0.45), tip[1] - size * math.sin(angle - 0.45))
    right = (tip[0] - size * math.cos(angle + 0.45), tip[1] - size * math.sin(angle + 0.45))
    d = _d(svg, closed=False)
    head = _d([tip, left, right])
    return (
        f'<g data-arrow="{part}"><path d="{d}" fill="none" stroke="#ffffff" stroke-width="4.6" stroke-linecap="round" '
        f'stroke-linejoin="round"/><path d="{d}" fill="none" stroke="{ARROW}" stroke-width="2.2" '
        'stroke-linecap="round" '
        f'stroke-linejoin="round"/><path d="{head}" fill="{ARROW}" stroke="{ARROW}" stroke-width="1" '
        'stroke-linejoin="round"/></g>'
    )


def _ghost(move: Move, start: Panel, end: Panel, place: Place) -> str:
    """The moving part's starting place, faded, in the end picture (moved to where its pivot is now)."""
    names = ghost_parts(move)
    if not names or move.pivot is None:
        return ""
    dx, dy = (end.joints[move.pivot][i] - start.joints[move.pivot][i] for i in (0, 1))
    drawn = []
    for shape in start.person:
        if shape.name not in names:
            continue
        polygons = (
            shape.polygons[1:] if turns_at_middle(move) and shape.name.endswith(("_leg", "_arm")) else shape.polygons
        )
        moved = Shape(shape.name, shape.tone, tuple(tuple((x + dx, y + dy) for x, y in poly) for poly in polygons))
        drawn.append(_draw(moved, place, ghost=True).replace('data-part="', 'data-ghost="', 1))
    return "".join(drawn)


# --- the working side ----------------------------------------------------------------------------


def working_parts(pose: Pose) -> list[str]:
    """The limbs or sides a one-sided exercise's figure marks as working: ``Pose.working``; else the right
    leg if the legs' angles differ between the sides (the data draws the working side as the right), and
    the arm that moves if the arms' do; else the side of a sided prop; else the right side."""
    if pose.working is not None:
        return list(pose.working)
    if not pose.unilateral:
        return []
    found = []
    if pose.feet or any(_is_sided(pose, n) for n in LEG_ANGLES):
        found.append("right_leg")
    arms = [n for n in ARM_ANGLES if _is_sided(pose, n)]
    if arms:
        change = {
            side: sum(abs(_value(pose, "end", n, side) - _value(pose, "start", n, side)) for n in arms)
            for side in ("right", "left")
        }
        found.append(f"{'left' if change['left'] > change['right'] + 1 else 'right'}_arm")
    if found:
        return found
    for prop in props_of(pose):
        side, _, where = place_of(prop, pose.orientation).partition("_")
        if side in {"right", "left"} and where:
            part = "leg" if where in {"thigh", "calf", "hamstring", "inner_thigh", "foot"} else "hip"
            return [f"{side}_{'side' if where == 'low_back' else part}"]
    return ["right_side"]


def _is_sided(pose: Pose, name: str) -> bool:
    values = [{str(k): v for k, v in angles.items()}.get(name) for angles in (pose.start, pose.end)]
    return any(isinstance(v, SidedAngle) and v.left != v.right for v in values)


def _value(pose: Pose, phase: str, name: str, side: str) -> float:
    value = {str(k): v for k, v in (pose.start if phase == "start" else pose.end).items()}.get(name)
    if isinstance(value, SidedAngle):
        return value.right if side == "right" else value.left
    return float(value or 0.0)


def _tones(working: list[str]) -> dict[str, str]:
    """The accent colour for the working limbs (a hip's: its leg; a side's: its leg and arm)."""
    tones: dict[str, str] = {}
    for part in working:
        side, _, what = part.partition("_")
        limb = {
            "leg": ("leg", "foot"),
            "hip": ("leg", "foot"),
            "arm": ("arm", "hand"),
            "side": ("leg", "foot", "arm", "hand"),
        }.get(what, ())
        tones |= {f"{side}_{name}": f"working_{side}" for name in limb}
    return tones


def _working_words(working: list[str]) -> str:
    words = [w.replace("_", " ") for w in working]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


# --- the figure ----------------------------------------------------------------------------------


def _other(part: str) -> str:
    side, _, rest = part.partition("_")
    return f"{'left' if side == 'right' else 'right'}_{rest}"


def _mirrors(working: list[str], side: str | None) -> bool:
    """Whether a one-sided exercise prescribed for ``side`` is drawn mirrored: its working limbs (one side's)
    are the other side's."""
    sides = {part.partition("_")[0] for part in working}
    return side in ("left", "right") and len(sides) == 1 and sides != {side} and sides <= {"left", "right"}


def pose_figure(pose: Pose, *, title: str, side: str | None = None) -> str:
    """The start and end positions of ``pose`` as one accessible SVG (pictures "Start" and "End", or one
    "Hold" picture when they are the same position), titled ``title``. ``side``: the side the program
    prescribes it for (left, right; both or None as drawn): a figure drawn for the other side is mirrored,
    the person and props flipped left to right, and says the side it shows ("Shown for the left leg")."""
    found = scenes(pose)
    cam = camera(pose, found[0].body)
    drawn_for = working_parts(pose)
    mirror = _mirrors(drawn_for, side)
    working = [_other(part) for part in drawn_for] if mirror else drawn_for
    panels = [_panel(scene, cam, _tones(drawn_for)) for scene in found]
    places, height = _places(panels, cam)
    if len(panels) == 1:
        drawn = _picture("start", "Hold", panels[0], places[0], cam, mirror=mirror)
    else:
        resting = frozenset(side for side, _ in SIDES if side in found[0].body.hands and side in found[1].body.hands)
        moving = _on_the_working_side(moves(panels[0].joints, panels[1].joints, resting), drawn_for)
        ghosts = "".join(_ghost(m, panels[0], panels[1], places[1]) for m in moving)
        bounds = _bounds(panels[1])
        arrows = "".join(
            _arrow(m.part, arrow_points(m, panels[0].joints, panels[1].joints, bounds, cam.grounded), places[1])
            for m in moving
        )
        drawn = _picture("start", "Start", panels[0], places[0], cam, mirror=mirror)
        drawn += _picture("end", "End", panels[1], places[1], cam, behind=ghosts, over=arrows, mirror=mirror)
    width = 2 * PANEL_W + GAP  # the same for one picture: the same size person in the same box
    caption = _caption(working, TOP + height) if working else ""
    total = TOP + height + (CAPTION if working else 0.0)
    prefix = "fig-" + hashlib.sha256(repr((pose.model_dump(), title, mirror)).encode()).hexdigest()[:10]
    what = "the position to hold" if len(panels) == 1 else "start and end positions"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_c(width)} {_c(total)}" '
        f'width="100%" role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        f'class="pose-figure" font-family="{FONT}"><title id="{prefix}-title">{escape(title)}: {what}</title>'
        f'<desc id="{prefix}-desc">{escape(describe(pose, working))}</desc>{drawn}{caption}</svg>'
    )


def _on_the_working_side(moving: list[Move], working: list[str]) -> list[Move]:
    """A one-sided exercise's arrows: on the body, the working limbs, and another limb only if it moves
    most (the free leg of a one-legged hinge, not the raised leg of a one-legged bridge)."""
    if not working:
        return moving
    limbs = {f"{side}_{limb}" for side, _ in SIDES for limb in ("leg", "arm")}
    working_limbs = set(working) | {w.replace("hip", "leg") for w in working}
    return [m for i, m in enumerate(moving) if i == 0 or m.part not in limbs or m.part in working_limbs]


def _picture(
    phase: str,
    label: str,
    panel: Panel,
    place: Place,
    cam: Camera,
    behind: str = "",
    over: str = "",
    mirror: bool = False,
) -> str:
    """One position's picture: its label, the floor, ``behind`` (the ghosts), the props and the person,
    ``over`` (the arrows); all but the label flipped left to right about the picture's middle if ``mirror``."""
    floor = _floor(place, cam) if panel.floor else ""
    shapes = "".join(_draw(shape, place) for shape in panel.shapes())
    middle = place.left + PANEL_W / 2
    drawing = f"{floor}{behind}{shapes}{over}"
    if mirror:
        drawing = f'<g data-mirrored="true" transform="matrix(-1 0 0 1 {_c(2 * middle)} 0)">{drawing}</g>'
    return (
        f'<g data-panel="{phase}"><text x="{_c(middle)}" y="14" text-anchor="middle" '
        f'font-size="12" font-weight="600" fill="{INK}">{label}</text>{drawing}</g>'
    )


def _caption(working: list[str], y: float) -> str:
    return (
        f'<g data-working="{" ".join(working)}"><rect x="4" y="{_c(y + 4)}" width="9" height="9" rx="2" '
        f'fill="{ACCENT}"/><text x="17" y="{_c(y + 12)}" font-size="11" fill="{INK}">Shown for the '
        f"{escape(_working_words(working))}</text></g>"
    )


def describe(pose: Pose, working: list[str]) -> str:
    """The figure in words (its ``<desc>``)."""
    where = {"side": "from the side", "front": "from the front", "top": "from above"}[pose.view]
    what = "position held" if held(pose) else "start and end positions"
    text = f"Drawings of the {what}, {ORIENTATION_WORDS[pose.orientation]}, seen {where}"
    kinds = list(dict.fromkeys(p.kind for p in props_of(pose)))
    if kinds:
        names = [k.replace("_", " ").replace("swiss", "Swiss") for k in kinds]
        text += ", with " + " and ".join(
            [", ".join(f"a {n}" for n in names[:-1]), f"a {names[-1]}"] if len(names) > 1 else [f"a {names[0]}"]
        )
    if working:
        text += f"; shown for the {_working_words(working)}"
    return text + "."


def exercise_figure(exercise: Exercise) -> str:
    """An exercise's figure, titled with its name."""
    return pose_figure(exercise.pose, title=exercise.name)


def pose_points(pose: Pose, phase: Phase = "start") -> dict[str, Point]:
    """The joints of one position as drawn (x right, y up; the floor at y = 0 seen from the side or the
    front): ``pelvis``, ``neck``, ``head``, ``right_knee``, ``left_hand`` ..."""
    found = scenes(pose)
    cam = camera(pose, found[0].body)
    body = found[-1 if phase == "end" else 0].body
    return {name: cam.flat(p) for name, p in body.points.items()}


# --- the contact sheet ---------------------------------------------------------------------------


def contact_sheet(figures: Iterable[tuple[str, str]], columns: int = 3) -> str:
    """One SVG page of figures (name, svg) in a grid with their names, to review them together; every
    figure at the same scale."""
    cell_w, cell_h = 372.0, 236.0
    full = 2 * PANEL_W + GAP
    items = list(figures)
    cells = []
    for i, (name, svg) in enumerate(items):
        x = 10 + (i % columns) * (cell_w + 10)
        y = 10 + (i // columns) * (cell_h + 10)
        view = svg.split('viewBox="', 1)[1].split('"', 1)[0].split()
        w, h = float(view[2]) * cell_w / full, float(view[3]) * cell_w / full
        inner = svg.replace("<svg ", f'<svg x="{_c(x + (cell_w - w) / 2)}" y="{_c(y + 18)}" height="{_c(h)}" ', 1)
        inner = inner.replace('width="100%"', f'width="{_c(w)}"', 1)
        cells.append(
            f'<rect x="{_c(x - 4)}" y="{_c(y - 4)}" width="{_c(cell_w + 8)}" height="{_c(cell_h + 6)}" fill="#ffffff" '
            f'stroke="#d0d5db"/><text x="{_c(x)}" y="{_c(y + 11)}" font-size="12" font-weight="600" fill="{INK}">'
            f"{escape(name)}</text>{inner}"
        )
    rows = max(1, -(-len(items) // columns))
    width = 10 + columns * (cell_w + 10)
    height = 10 + rows * (cell_h + 10)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_c(width)} {_c(height)}" width="{_c(width)}" '
        f'height="{_c(height)}" font-family="{FONT}">'
        f'<rect width="100%" height="100%" fill="#f6f7f9"/>{"".join(cells)}</svg>'
    )


def figure_files(exercises: Iterable[Exercise]) -> dict[str, str]:
    """What ``rebalance figures`` writes: each exercise's figure as ``<id>.svg`` and every figure on one page,
    ``contact-sheet.svg``, in the order given."""
    files = {f"{exercise.id}.svg": exercise_figure(exercise) for exercise in exercises}
    names = [name.removesuffix(".svg") for name in files]
    files["contact-sheet.svg"] = contact_sheet(list(zip(names, files.values(), strict=True)))
    return files


def svg_to_png(svg: Path, png: Path, zoom: int = 2) -> None:
    """Render an SVG file to PNG with Debian's ``rsvg-convert`` (librsvg2-bin), ``zoom`` times the SVG's size."""
    command = [RSVG_CONVERT, "--zoom", str(zoom), "--output", str(png), str(svg)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603
