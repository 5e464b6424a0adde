"""An exercise's pose as a small stick figure: the start and the end position side by side, one SVG.

``pose_figure(pose, title=...)`` draws ``Exercise.pose`` (``knowledge/data/exercises/*.yaml``): a
person in the pose's orientation, seen from the pose's view, with the key angles of each position.
The figure is a sketch to recognise the exercise by, not a measurement: the steps say what to do.

The angles, as the exercises' data uses them (degrees; a missing angle takes the orientation's
resting value, e.g. 90° hip and knee flexion when seated):

    trunk_incline          the trunk against the floor: 90 upright, 0 lying, less than 90 leaning forward
    hip_flexion            the thigh against the trunk line: 0 in line, 90 at a right angle in front
    knee_flexion           the shank bending back from the thigh
    ankle_dorsiflexion     the toes toward the shin (negative: the foot pointed)
    hip_abduction          the thigh away from the midline
    hip_external_rotation  the thigh turned outward (it shows when the knee is bent)
    shoulder_flexion       the arm raised forward from hanging by the side (180 overhead)
    elbow_flexion          the forearm bent forward
    neck_flexion           the chin toward the chest (negative: looking up)
    spine_flexion          the back rounded forward (negative: arched)

A sided angle gives the working side (``right`` in the data) and the other side; the working side
is drawn dark and nearest the viewer, the other side light. Lying on the back, a trunk incline with
the hips in line with the trunk (hip flexion up to 20°) lifts the hips (a bridge); with the hips
bent it lifts the shoulders (a curl-up). Lying on the side, the person lies on their left side.

The body is posed in three dimensions and projected: ``side`` looks at the person's right side,
``front`` at their front, ``top`` down from above with the head at the top. Same input, same string;
no scripts, styles or external resources (the web app's Content-Security-Policy allows none).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from rebalance.knowledge.models import Pose, SidedAngle

__all__ = ["pose_figure", "pose_points"]

Vec = tuple[float, float, float]
Point = tuple[float, float]
Phase = Literal["start", "end"]

UP: Vec = (0.0, 1.0, 0.0)
DOWN: Vec = (0.0, -1.0, 0.0)

# segment lengths, in figure units (a person about 170 tall)
TRUNK, NECK, HEAD_R = 50.0, 7.0, 8.0
THIGH, SHANK, FOOT = 42.0, 40.0, 11.0
UPPER_ARM, FOREARM = 25.0, 21.0  # shoulder to wrist: the wrist hangs at the hip
HIP_HALF, SHOULDER_HALF = 6.0, 9.0
BRIDGE_HIP_FLEXION = 20.0  # lying on the back, hips in line with the trunk: an incline lifts the hips

UPRIGHT = {"standing", "seated", "kneeling", "half_kneeling"}
RESTING: dict[str, dict[str, float]] = {
    "seated": {"hip_flexion": 90.0, "knee_flexion": 90.0},
    "kneeling": {"knee_flexion": 90.0, "ankle_dorsiflexion": -90.0},  # the feet flat behind
    "quadruped": {"hip_flexion": 90.0, "knee_flexion": 90.0, "ankle_dorsiflexion": -90.0, "shoulder_flexion": 90.0},
}

PANEL_W, PANEL_H, GAP, TOP = 150.0, 120.0, 28.0, 22.0
MAX_SCALE = (PANEL_H - 12) / 150  # a small figure (seen from above) is not blown up
NEAR, FAR, FLOOR, PROP = "#1b1f24", "#9aa3ad", "#c9d0d8", "#c9d0d8"


# --- vectors -------------------------------------------------------------------------------------


def _add(*vectors: Vec) -> Vec:
    return (sum(v[0] for v in vectors), sum(v[1] for v in vectors), sum(v[2] for v in vectors))


def _mul(k: float, v: Vec) -> Vec:
    return (k * v[0], k * v[1], k * v[2])


def _turn(a: Vec, b: Vec, degrees: float) -> Vec:
    """``a`` turned by ``degrees`` toward ``b`` (both unit vectors, at right angles)."""
    r = math.radians(degrees)
    return _add(_mul(math.cos(r), a), _mul(math.sin(r), b))


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit(v: Vec) -> Vec:
    n = math.sqrt(_dot(v, v))
    return _mul(1 / n, v)


# --- the body ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Angles:
    """One position's angles; ``get`` gives the working side's or the other side's value."""

    values: dict[str, float | SidedAngle]
    resting: dict[str, float]

    def get(self, name: str, working: bool = True) -> float:
        value = self.values.get(name)
        if value is None:
            return self.resting.get(name, 0.0)
        if isinstance(value, SidedAngle):
            return value.right if working else value.left
        return float(value)

    def most(self, name: str) -> float:
        return max(self.get(name, True), self.get(name, False))


@dataclass(frozen=True)
class _Frame:
    """The trunk's direction (pelvis to shoulders), the way the front faces, and the person's right."""

    trunk: Vec
    front: Vec
    right: Vec


def _frame(orientation: str, angles: _Angles) -> _Frame:
    default = 90.0 if orientation in UPRIGHT else 0.0
    incline = angles.values.get("trunk_incline")
    tilt = default if not isinstance(incline, int | float) else float(incline)  # never sided in the data
    if orientation == "side_lying":  # on the left side, head to the left, front away from a front viewer
        r = math.radians(tilt)
        trunk: Vec = (-math.cos(r), math.sin(r), 0.0)
        front: Vec = (0.0, 0.0, -1.0)
        return _Frame(trunk, front, _cross(front, trunk))
    if orientation == "supine":
        bridge = angles.most("hip_flexion") <= BRIDGE_HIP_FLEXION
        tilt = 180.0 + tilt if bridge else 180.0 - tilt
    r = math.radians(tilt)
    trunk = (math.cos(r), math.sin(r), 0.0)
    front = (math.sin(r), -math.cos(r), 0.0)
    return _Frame(trunk, front, _cross(front, trunk))


def _leg(hip: Vec, frame: _Frame, sign: float, angles: _Angles, working: bool) -> list[Vec]:
    """Hip, knee, ankle and toes of one leg (``sign`` +1 for the right, -1 for the left)."""
    flexion = angles.get("hip_flexion", working)
    thigh = _turn(_mul(-1, frame.trunk), frame.front, flexion)
    thigh_front = _turn(frame.front, frame.trunk, flexion)
    outward = _mul(sign, frame.right)
    thigh = _turn(thigh, outward, angles.get("hip_abduction", working))
    thigh_front = _turn(
        thigh_front, _mul(sign, _cross(thigh, thigh_front)), angles.get("hip_external_rotation", working)
    )
    knee_flexion = angles.get("knee_flexion", working)
    shank = _turn(thigh, _mul(-1, thigh_front), knee_flexion)
    shin_front = _turn(thigh_front, thigh, knee_flexion)
    foot = _turn(shin_front, _mul(-1, shank), angles.get("ankle_dorsiflexion", working))
    knee = _add(hip, _mul(THIGH, thigh))
    ankle = _add(knee, _mul(SHANK, shank))
    return [hip, knee, ankle, _add(ankle, _mul(FOOT, foot))]


def _arm(shoulder: Vec, trunk: Vec, front: Vec, angles: _Angles, working: bool) -> list[Vec]:
    flexion = angles.get("shoulder_flexion", working)
    upper = _turn(_mul(-1, trunk), front, flexion)
    upper_front = _turn(front, trunk, flexion)
    forearm = _turn(upper, upper_front, angles.get("elbow_flexion", working))
    elbow = _add(shoulder, _mul(UPPER_ARM, upper))
    return [shoulder, elbow, _add(elbow, _mul(FOREARM, forearm))]


def _resting(orientation: str, values: dict[str, float | SidedAngle]) -> dict[str, float]:
    resting = dict(RESTING.get(orientation, {}))
    if orientation == "prone" and "elbow_flexion" in values and "shoulder_flexion" not in values:
        resting["shoulder_flexion"] = 90.0  # propped on the forearms
    return resting


def _body(orientation: str, values: dict[str, float | SidedAngle]) -> tuple[dict[str, list[Vec]], _Frame]:
    """The joints of one position in three dimensions, the pelvis at the origin."""
    angles = _Angles(values, _resting(orientation, values))
    frame = _frame(orientation, angles)
    spine = angles.get("spine_flexion")
    low_back = _turn(frame.trunk, frame.front, -spine / 2)
    upper = _turn(frame.trunk, frame.front, spine / 2)
    upper_front = _unit(_cross(upper, frame.right))
    pelvis: Vec = (0.0, 0.0, 0.0)
    waist = _mul(TRUNK / 2, low_back)
    neck = _add(waist, _mul(TRUNK / 2, upper))
    head = _turn(upper, upper_front, angles.get("neck_flexion"))
    parts = {"trunk": [pelvis, waist, neck], "neck": [neck, _add(neck, _mul(NECK + HEAD_R, head))]}
    for side, sign in (("right", 1.0), ("left", -1.0)):
        working = side == "right"
        hip = _mul(sign * HIP_HALF, frame.right)
        shoulder = _add(neck, _mul(sign * SHOULDER_HALF, frame.right))
        parts[f"{side}_leg"] = _leg(hip, frame, sign, angles, working)
        parts[f"{side}_arm"] = _arm(shoulder, upper, upper_front, angles, working)
    return parts, frame


# --- the camera ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Camera:
    right: Vec
    up: Vec
    grounded: bool  # the floor is at the bottom of the picture


def _camera(view: str, frame: _Frame) -> _Camera:
    if view == "side":
        looking = _mul(-1, frame.right)
    elif view == "front":
        looking = _mul(-1, frame.front)
    else:
        looking = DOWN
    if abs(looking[1]) > 0.9:  # looking down: the head (or, standing, the front) at the top
        flat = (frame.trunk[0], 0.0, frame.trunk[2])
        up = _unit(flat) if _dot(flat, flat) > 0.01 else _unit((frame.front[0], 0.0, frame.front[2]))
        return _Camera(_unit(_cross(looking, up)), up, grounded=False)
    return _Camera(_unit(_cross(looking, UP)), UP, grounded=True)


def _values(pose: Pose, phase: Phase) -> dict[str, float | SidedAngle]:
    return {str(name): value for name, value in (pose.start if phase == "start" else pose.end).items()}


def pose_points(pose: Pose, phase: Phase = "start") -> dict[str, list[Point]]:
    """The figure of one position as drawn: each part's points (x right, y up; the head is the last
    point of ``neck``). Seen from the side or the front, the figure stands on the floor at y = 0."""
    _, start = _body(pose.orientation, _values(pose, "start"))  # one camera for both positions
    parts, _ = _body(pose.orientation, _values(pose, phase))
    camera = _camera(pose.view, start)
    flat = {name: [(_dot(p, camera.right), _dot(p, camera.up)) for p in points] for name, points in parts.items()}
    if camera.grounded:
        head_y = flat["neck"][-1][1] - HEAD_R
        lowest = min(head_y, *(y for points in flat.values() for _, y in points))
        flat = {name: [(x, y - lowest) for x, y in points] for name, points in flat.items()}
    return flat


# --- drawing -------------------------------------------------------------------------------------


def _c(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _polyline(points: list[Point], to_svg: _Place, colour: str, width: float) -> str:
    coordinates = " ".join(f"{_c(x)},{_c(y)}" for x, y in (to_svg(p) for p in points))
    return (
        f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="{_c(width)}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


@dataclass(frozen=True)
class _Place:
    """Figure coordinates (y up) to the panel's place in the SVG (y down)."""

    left: float
    scale: float
    centre: float
    floor: float

    def __call__(self, point: Point) -> Point:
        x, y = point
        return (self.left + PANEL_W / 2 + (x - self.centre) * self.scale, self.floor - y * self.scale)


def _seat(flat: dict[str, list[Point]], place: _Place) -> str:
    """A stool under the pelvis of a seated person (seen from the side or the front)."""
    pelvis_x, pelvis_y = flat["trunk"][0]
    if pelvis_y < HEAD_R * 2:  # sitting on the floor
        return ""
    top = pelvis_y - 4
    left, right = place((pelvis_x - 10, top)), place((pelvis_x + 10, top))
    foot = place((pelvis_x, 0))
    return (
        f'<line x1="{_c(left[0])}" y1="{_c(left[1])}" x2="{_c(right[0])}" y2="{_c(right[1])}" '
        f'stroke="{PROP}" stroke-width="4" stroke-linecap="round"/>'
        f'<line x1="{_c(foot[0])}" y1="{_c(left[1])}" x2="{_c(foot[0])}" y2="{_c(foot[1])}" '
        f'stroke="{PROP}" stroke-width="3"/>'
    )


def _person(flat: dict[str, list[Point]], place: _Place, grounded: bool, seated: bool) -> str:
    parts = []
    if grounded:
        y = _c(place.floor)
        parts.append(
            f'<line x1="{_c(place.left + 4)}" y1="{y}" x2="{_c(place.left + PANEL_W - 4)}" y2="{y}" '
            f'stroke="{FLOOR}" stroke-width="2"/>'
        )
        if seated:
            parts.append(_seat(flat, place))
    width = max(2.5, 4.5 * place.scale)
    parts += [_polyline(flat[name], place, FAR, width) for name in ("left_leg", "left_arm")]
    parts.append(_polyline(flat["trunk"], place, NEAR, width * 1.3))
    parts.append(_polyline([flat["neck"][0], _toward(flat["neck"], NECK)], place, NEAR, width))
    hx, hy = place(flat["neck"][-1])
    parts.append(
        f'<circle cx="{_c(hx)}" cy="{_c(hy)}" r="{_c(HEAD_R * place.scale)}" fill="#ffffff" '
        f'stroke="{NEAR}" stroke-width="{_c(width * 0.7)}"/>'
    )
    parts += [_polyline(flat[name], place, NEAR, width) for name in ("right_leg", "right_arm")]
    return "".join(parts)


def _toward(segment: list[Point], length: float) -> Point:
    (x0, y0), (x1, y1) = segment[0], segment[-1]
    total = math.hypot(x1 - x0, y1 - y0) or 1.0
    return (x0 + (x1 - x0) * length / total, y0 + (y1 - y0) * length / total)


def _bounds(flat: dict[str, list[Point]]) -> tuple[float, float, float, float]:
    xs = [x for points in flat.values() for x, _ in points]
    ys = [y for points in flat.values() for _, y in points]
    head_x, head_y = flat["neck"][-1]
    xs += [head_x - HEAD_R, head_x + HEAD_R]
    ys += [head_y - HEAD_R, head_y + HEAD_R]
    return min(xs), max(xs), min(ys), max(ys)


def _places(figures: list[dict[str, list[Point]]], grounded: bool) -> list[_Place]:
    """One scale for both panels (the same size person), each panel centred on its figure."""
    boxes = [_bounds(f) for f in figures]
    span_x = max(b[1] - b[0] for b in boxes)
    span_y = max(b[3] - (0.0 if grounded else b[2]) for b in boxes)
    scale = min((PANEL_W - 16) / span_x, (PANEL_H - 12) / span_y, MAX_SCALE)
    places = []
    for i, (x0, x1, y0, y1) in enumerate(boxes):
        left = i * (PANEL_W + GAP)
        floor = TOP + PANEL_H - 4 if grounded else TOP + PANEL_H / 2 + (y0 + y1) / 2 * scale
        places.append(_Place(left, scale, (x0 + x1) / 2, floor))
    return places


def _arrow() -> str:
    x0, x1, y = PANEL_W + 6, PANEL_W + GAP - 6, TOP + PANEL_H / 2
    return (
        f'<line x1="{_c(x0)}" y1="{_c(y)}" x2="{_c(x1 - 2)}" y2="{_c(y)}" stroke="{FAR}" stroke-width="2"/>'
        f'<polygon points="{_c(x1)},{_c(y)} {_c(x1 - 7)},{_c(y - 4)} {_c(x1 - 7)},{_c(y + 4)}" fill="{FAR}"/>'
    )


def pose_figure(pose: Pose, *, title: str) -> str:
    """The start and end positions of ``pose`` as one accessible SVG (two panels, "Start" and "End")."""
    figures = [pose_points(pose, "start"), pose_points(pose, "end")]
    grounded = _camera(pose.view, _body(pose.orientation, _values(pose, "start"))[1]).grounded
    places = _places(figures, grounded)
    width, height = 2 * PANEL_W + GAP, TOP + PANEL_H
    prefix = "fig-" + hashlib.sha256(repr((pose.model_dump(), title)).encode()).hexdigest()[:10]
    seated = pose.orientation == "seated"
    panels = "".join(
        f'<g data-panel="{name}"><text x="{_c(place.left + PANEL_W / 2)}" y="14" text-anchor="middle" '
        f'font-size="12" font-weight="600" fill="{NEAR}">{label}</text>'
        f"{_person(flat, place, grounded, seated)}</g>"
        for name, label, flat, place in zip(("start", "end"), ("Start", "End"), figures, places, strict=True)
    )
    where = {"side": "from the side", "front": "from the front", "top": "from above"}[pose.view]
    desc = f"Stick figures of the start and end positions, {pose.orientation.replace('_', ' ')}, seen {where}."
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_c(width)} {_c(height)}" width="100%" '
        f'role="img" aria-labelledby="{prefix}-title {prefix}-desc" class="pose-figure" '
        "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">"
        f'<title id="{prefix}-title">{escape(title)}: start and end positions</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>{panels}{_arrow()}</svg>'
    )
