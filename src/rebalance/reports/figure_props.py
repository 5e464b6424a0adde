"""What an exercise figure draws besides the person: mat, wall, chair, ball, roller, band, strap ...

``place_props(pose, body)`` places each of the pose's props (``Pose.props``; none given: the exercise's
equipment, each in its usual place) around one position of the person, standing on the floor at
y = 0, and returns its solid pieces for ``reports.figure`` to draw, the places it offers a hand (a
wall, the back of a chair, a strap's end ...) and what cannot be drawn. Each kind's places (``at``;
the first is the usual one, some depending on the orientation):

    mat            floor
    pillow         head, stomach, hips, knees (under the knees on the floor), behind_knees (lying on the back)
    wall           behind, front, left, right (the person's sides; in a side view only the far, left one)
    chair          seat (sitting), behind (to sit back onto), support (a hand on its back), back (under the
                   upper back, lying back against it)
    band           knees, thighs, ankles (around both legs)
    strap          right_foot, left_foot (around the foot, the ends in the hands)
    step           right_foot, left_foot (under that foot), feet (standing on it)
    foam_roller    right_thigh, right_calf, right_hamstring, right_inner_thigh, right_hip (and left_...),
                   upper_back
    swiss_ball     feet (under the heels), back (under the upper back)
    massage_ball   right_buttock, right_hip, right_low_back (and left_...): between the body and the wall
    dumbbell       hands (in each hand, or one in both), chest (held upright at the chest), floor (a
                   kettlebell between the feet), hips (across them)
    exercise_bike  seat
    pool           chest (standing in the water), surface (swimming)
    doorway        right, left (the door frame at that side)

A place may differ between the positions (``at: {start: right_foot, end: feet}``). A wall stays where
it is in both positions, as far out as the body reaches in either. A roller, ball or pillow under a
body part fits the gap between the part and the floor; one that cannot (the part too high or too low
for it) is a problem for ``kb check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from rebalance.knowledge.models import PhasePlace, Pose, Prop
from rebalance.reports.figure_body import (
    SIDES,
    UP,
    Body,
    Piece,
    Station,
    Target,
    across,
    add,
    cross,
    dot,
    lerp,
    lowest,
    mul,
    norm,
    parts,
    sub,
    unit,
)

Vec = tuple[float, float, float]
Layer = Literal["back", "under", "over"]

# drawable kinds of equipment (the others, e.g. a pool bought as "pool" access, are drawn as listed)
PLACES: dict[str, tuple[str, ...]] = {
    "mat": ("floor",),
    "pillow": ("head", "stomach", "hips", "knees", "behind_knees"),
    "wall": ("behind", "front", "left", "right"),
    "chair": ("seat", "behind", "support", "back"),
    "band": ("knees", "thighs", "ankles"),
    "strap": ("right_foot", "left_foot"),
    "step": ("right_foot", "left_foot", "feet"),
    "foam_roller": (
        *(f"{side}_{part}" for side, _ in SIDES for part in ("thigh", "calf", "hamstring", "inner_thigh", "hip")),
        "upper_back",
    ),
    "swiss_ball": ("feet", "back"),
    "massage_ball": tuple(f"{side}_{part}" for side, _ in SIDES for part in ("buttock", "hip", "low_back")),
    "dumbbell": ("hands", "chest", "floor", "hips"),
    "exercise_bike": ("seat",),
    "pool": ("chest", "surface"),
    "doorway": ("right", "left"),
}
USUAL: dict[str, dict[str, str]] = {  # a kind's usual place by orientation, where it is not the first
    "pillow": {"prone": "stomach", "quadruped": "knees", "kneeling": "knees", "half_kneeling": "knees"},
    "chair": {"standing": "support", "supine": "back"},
    "foam_roller": {"supine": "upper_back", "seated": "right_hamstring", "side_lying": "left_hip"},
    "massage_ball": {},
    "pool": {"swimming": "surface"},
}
STEP_HEIGHT = 20.0
CHAIR_HEIGHT = 44.0  # a chair's seat, for leaning back against
CRANK_HEIGHT = 30.0  # an exercise bike's crank above the floor
ROLLER_RADIUS = (5.0, 9.0)
SWISS_BALL_RADIUS = (22.0, 36.0)
MASSAGE_BALL = 3.6


@dataclass(frozen=True)
class Solid:
    """A drawable piece of a prop: a convex hull (``piece``), flat faces, or a line ``width`` wide."""

    tone: str
    layer: Layer
    piece: Piece | None = None
    faces: tuple[tuple[Vec, ...], ...] = ()
    line: tuple[Vec, ...] = ()
    width: float = 0.0
    normal: Vec | None = None  # a flat piece seen from one side only (a cylinder's end)


@dataclass(frozen=True)
class Placed:
    """One prop around one position: its pieces, the hand places it offers (by place and side), and what
    could not be drawn."""

    kind: str
    at: str
    solids: tuple[Solid, ...] = ()
    anchors: dict[tuple[str, str], Target] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    distance: float | None = None  # a wall's: how far out along ``toward`` it stands
    toward: Vec | None = None  # a wall's direction from the person


def props_of(pose: Pose) -> list[Prop]:
    """The props a figure draws: the pose's, or the exercise's drawable equipment in its usual places."""
    if pose.props is not None:
        return list(pose.props)
    return [Prop.model_validate({"kind": kind}) for kind in pose.equipment if kind in PLACES]


def place_of(prop: Prop, orientation: str, phase: str = "start") -> str:
    """Where ``prop`` is in one position: as the pose says, else the kind's usual place."""
    at = prop.at
    if isinstance(at, PhasePlace):
        at = at.start if phase == "start" else at.end
    return at or USUAL.get(prop.kind, {}).get(orientation) or _first_usual(prop.kind, orientation)


def _first_usual(kind: str, orientation: str) -> str:
    if kind == "massage_ball":
        return "right_hip" if orientation == "side_lying" else "right_buttock"
    return PLACES[kind][0]


# --- measuring the body --------------------------------------------------------------------------


def flat(v: Vec) -> Vec:
    """``v`` along the floor (a unit vector; straight ahead if ``v`` is vertical)."""
    return unit((v[0], 0.0, v[2]), fallback=(1.0, 0.0, 0.0))


def facing(body: Body) -> Vec:
    """The way the person faces along the floor (lying: the way the head points)."""
    front = body.directions["pelvis_front"]
    return flat(front) if math.hypot(front[0], front[2]) > 0.5 else flat(body.directions["pelvis_trunk"])


def extent(body: Body, direction: Vec, arms: bool = False) -> float:
    """How far the body reaches along ``direction`` (a unit vector), its surface included."""
    reach = -math.inf
    for part in parts(body):
        if not arms and part.name.endswith(("_arm", "_hand")):
            continue
        for piece in part.pieces:
            for centre, radius in piece.spheres:
                reach = max(reach, dot(centre, direction) + radius)
            for centre, a, b in piece.discs:
                reach = max(reach, dot(centre, direction) + math.hypot(dot(a, direction), dot(b, direction)))
    return reach


def _station(body: Body, index: int) -> tuple[Vec, Vec, Vec, Station]:
    return body.stations[index]


def surface(body: Body, joint_a: str, joint_b: str, t: float, radius_a: float, radius_b: float, toward: Vec) -> Vec:
    """The point of a limb's surface, ``t`` of the way from ``joint_a`` to ``joint_b``, on the side
    facing ``toward``."""
    a, b = body.points[joint_a], body.points[joint_b]
    axis = unit(sub(b, a))
    return add(lerp(a, b, t), mul(radius_a + (radius_b - radius_a) * t, across(toward, axis)))


# --- solids --------------------------------------------------------------------------------------


def box(centre: Vec, x: Vec, y: Vec, z: Vec, tone: str, layer: Layer = "under") -> Solid:
    """A box from its centre and three half-edges (vectors at right angles); its six faces face out."""
    corners = {
        (i, j, k): add(centre, mul(i, x), mul(j, y), mul(k, z)) for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)
    }
    faces = []
    for axis in range(3):
        for sign in (-1, 1):
            quad = [c for c in ((-1, -1), (-1, 1), (1, 1), (1, -1))]
            keys = []
            for u, v in quad:
                key = [0, 0, 0]
                key[axis], key[(axis + 1) % 3], key[(axis + 2) % 3] = sign, u, v
                keys.append(tuple(key))
            face = tuple(corners[k] for k in keys)  # type: ignore[index]
            normal = mul(sign, (x, y, z)[axis])
            faces.append(_outward(face, normal))
    return Solid(tone, layer, faces=tuple(faces))


def _outward(face: tuple[Vec, ...], normal: Vec) -> tuple[Vec, ...]:
    """The face's corners ordered counter-clockwise seen from outside (its normal toward the viewer)."""
    turning = cross(sub(face[1], face[0]), sub(face[2], face[1]))
    return face if dot(turning, normal) > 0 else tuple(reversed(face))


def floor_box(
    centre: Vec, along: Vec, half_length: float, half_width: float, height: float, tone: str, layer: Layer = "under"
) -> Solid:
    """A box standing on the floor: ``along`` (on the floor) is its length, ``height`` its top."""
    side = cross(UP, along)
    return box(
        (centre[0], height / 2, centre[2]),
        mul(half_length, along),
        mul(height / 2, UP),
        mul(half_width, side),
        tone,
        layer,
    )


def cylinder(a: Vec, b: Vec, radius: float, tone: str, end_tone: str, layer: Layer = "under") -> list[Solid]:
    """A cylinder from ``a`` to ``b``: its body and its round ends (each drawn when it faces the viewer)."""
    axis = unit(sub(b, a))
    u = across(UP, axis)
    v = unit(cross(axis, u))
    discs = ((a, mul(radius, u), mul(radius, v)), (b, mul(radius, u), mul(radius, v)))
    return [
        Solid(tone, layer, piece=Piece(discs=discs)),
        Solid(end_tone, layer, piece=Piece(discs=(discs[0],)), normal=mul(-1, axis)),
        Solid(end_tone, layer, piece=Piece(discs=(discs[1],)), normal=axis),
    ]


def ball(centre: Vec, radius: float, tone: str, layer: Layer = "under") -> Solid:
    return Solid(tone, layer, piece=Piece(spheres=((centre, radius),)))


def rod(points: list[Vec], width: float, tone: str, layer: Layer = "under") -> Solid:
    return Solid(tone, layer, line=tuple(points), width=width)


# --- each kind -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    pose: Pose
    body: Body
    others: dict[str, Placed]  # props placed before this one, by kind
    wall_distance: float | None  # where the wall stands when both positions have been measured


Placer = Callable[[_Context, str], Placed]


def _mat(ctx: _Context, at: str) -> Placed:
    """A mat under the body's footprint, at least as long as someone lying down."""
    points = list(ctx.body.points.values())
    upright = ctx.pose.orientation in {"standing", "seated"}
    along = facing(ctx.body) if upright else flat(ctx.body.directions["pelvis_trunk"])
    side = cross(UP, along)
    spread = [dot(p, along) for p in points]
    length = max(max(spread) - min(spread) + 20.0, 90.0 if upright else 185.0)
    centre = mul((min(spread) + max(spread)) / 2, along)
    middle = sum(dot(p, side) for p in points) / len(points)
    mat = box(
        add(centre, mul(middle, side), (0.0, -0.8, 0.0)),
        mul(length / 2, along),
        (0.0, 0.8, 0.0),
        mul(30.0, side),
        "mat",
        "back",
    )
    return Placed("mat", at, (mat,))


def _pillow(ctx: _Context, at: str) -> Placed:
    p, d = ctx.body.points, ctx.body.directions
    along = flat(d["pelvis_trunk"])
    if at == "head":
        under = add(p["head"], mul(-9.0, UP))
        centre, half_length = under, 16.0
    elif at == "stomach":
        centre, half_length = lerp(p["pelvis"], p["waist"], 0.5), 16.0
    elif at == "hips":
        centre, half_length = p["pelvis"], 14.0
    elif at == "knees":
        lowest_knee = min(p[f"{s}_knee"][1] for s, _ in SIDES)
        knees = [p[f"{s}_knee"] for s, _ in SIDES if p[f"{s}_knee"][1] < min(lowest_knee + 4.0, 24.0)]
        if not knees:
            return Placed("pillow", at, problems=("a pillow under the knees needs a knee on the floor",))
        centre = mul(1 / len(knees), add(*knees))
        half_length = 13.0
        along = flat(sub(p["right_knee"], p["right_ankle"])) if len(knees) == 1 else along
    elif at == "behind_knees":
        centre, half_length = lerp(p["right_knee"], p["right_hip"], 0.25), 14.0
    else:
        return _unknown_place("pillow", at)
    height = max(5.0, min(_lowest_near(ctx.body, centre) + 2.0, 12.0 if at in {"stomach", "hips"} else 24.0))
    side = cross(UP, along)
    centre = (centre[0], 0.0, 0.0 if at != "knees" else centre[2])
    pillow = Piece(
        spheres=tuple(
            (
                add(centre, mul(i * (half_length - height / 2), along), mul(j * 14.0, side), (0.0, height / 2, 0.0)),
                height / 2,
            )
            for i in (-1, 1)
            for j in (-1, 1)
        )
    )
    return Placed("pillow", at, (Solid("pillow", "under", piece=pillow),))


def _lowest_near(body: Body, point: Vec, reach: float = 14.0) -> float:
    """The height of the body's underside near ``point`` (along the floor)."""
    heights = []
    for part in parts(body):
        if part.name.endswith(("_arm", "_hand")):
            continue
        for piece in part.pieces:
            for centre, radius in piece.spheres:
                if math.hypot(centre[0] - point[0], centre[2] - point[2]) < reach:
                    heights.append(centre[1] - radius)
            for centre, a, b in piece.discs:
                if math.hypot(centre[0] - point[0], centre[2] - point[2]) < reach:
                    heights.append(centre[1] - math.hypot(a[1], b[1]))
    return min(heights) if heights else point[1]


def _wall(ctx: _Context, at: str) -> Placed:
    body = ctx.body
    ahead = facing(body)
    right = (
        flat(body.directions["pelvis_right"])
        if ctx.pose.orientation in {"standing", "seated", "kneeling", "half_kneeling"}
        else cross(ahead, UP)
    )
    toward = {"behind": mul(-1, ahead), "front": ahead, "left": mul(-1, right), "right": right}.get(at)
    if toward is None:
        return _unknown_place("wall", at)
    if at == "right" and ctx.pose.view == "side":
        return Placed(
            "wall", at, problems=("a wall at the right would hide the person seen from the side: put it at the left",)
        )
    distance = extent(body, toward) + 0.5
    ball = ctx.others.get("massage_ball")
    if ball is not None and ball.solids and ball.solids[0].piece is not None:
        centre, radius = ball.solids[0].piece.spheres[0]
        distance = max(distance, dot(centre, toward) + radius)
    if any(place == "wall" for place in body.hands.values()):
        shoulders = max(dot(body.points[f"{s}_shoulder"], toward) for s, _ in SIDES)
        distance = max(distance, shoulders + (0.55 if at in {"front", "behind"} else 0.45) * 63.0)
    need = distance
    if ctx.wall_distance is not None:
        distance = max(distance, ctx.wall_distance)
    top = max(p[1] for p in body.points.values()) + 18.0
    height = max(top, 110.0)
    plane = mul(distance, toward)
    across_wall = cross(UP, toward)
    middle = dot(body.points["pelvis"], across_wall)
    centre = add(plane, mul(3.0, toward), mul(middle, across_wall), (0.0, height / 2, 0.0))
    wide = 34.0 if at in {"behind", "front"} and ctx.pose.view == "side" else 60.0
    wall = box(centre, mul(3.0, toward), (0.0, height / 2, 0.0), mul(wide, across_wall), "wall", "back")
    anchors = {}
    for side, _ in SIDES:
        shoulder = body.points[f"{side}_shoulder"]
        height_at = shoulder[1] - 12.0 if at == "front" else shoulder[1] - 4.0
        point = add(sub(shoulder, mul(dot(shoulder, toward) - distance, toward)), (0.0, height_at - shoulder[1], 0.0))
        anchors[("wall", side)] = Target(point, fingers=UP, elbow=add(mul(-1.0, UP), mul(0.4, mul(-1, toward))))
    return Placed("wall", at, (wall,), anchors, distance=need, toward=toward)


def _chair(ctx: _Context, at: str) -> Placed:
    body = ctx.body
    p = body.points
    ahead = facing(body)
    if at == "seat":
        if ctx.pose.orientation != "seated":
            return Placed("chair", at, problems=("a chair seat needs a seated person",))
        seat_top = _lowest_near(body, p["pelvis"], 10.0)
        if seat_top < 15.0:
            return Placed("chair", at, problems=("a chair seat under someone sitting on the floor",))
        front_edge = dot(p["pelvis"], ahead) + 20.0
        return _chair_solids(ahead, front_edge, seat_top, dot(p["pelvis"], cross(ahead, UP)), anchors_for_seat=body)
    if at == "behind":
        heels = min(dot(p[f"{s}_heel"], ahead) for s, _ in SIDES)
        return _chair_solids(ahead, heels - 6.0, CHAIR_HEIGHT, 0.0, anchors_for_seat=body)
    if at == "support":
        side = "left" if ctx.pose.view == "side" else "right"
        sign = 1.0 if side == "right" else -1.0
        outward = mul(sign, flat(body.directions["pelvis_right"]))
        shoulder = p[f"{side}_shoulder"]
        post = add(shoulder, mul(28.0, outward))
        chair_ahead = outward
        chair = _chair_solids(chair_ahead, dot(post, chair_ahead) + 40.0, 46.0, dot(post, cross(chair_ahead, UP)), None)
        back_top = add((post[0], 88.0, post[2]), mul(2.0, outward))
        anchors = {("chair", s): Target(add(back_top, (0.0, 2.5, 0.0)), fingers=mul(1.0, ahead)) for s, _ in SIDES}
        return Placed("chair", at, chair.solids, anchors)
    if at == "back":  # the upper back against (or on) the front edge of a seat at a chair's height
        chest_centre, _, front, shape = _station(body, 3)
        contact = add(chest_centre, mul(-shape.back, front))
        toward_feet = flat(sub(p["pelvis"], contact))
        return _chair_solids(toward_feet, dot(contact, toward_feet) + 2.0, CHAIR_HEIGHT, 0.0, None, backrest=False)
    return _unknown_place("chair", at)


def _chair_solids(
    ahead: Vec, front_edge: float, seat_top: float, middle: float, anchors_for_seat: Body | None, backrest: bool = True
) -> Placed:
    """A chair facing ``ahead``: the seat's front edge that far along it, its top that high."""
    side = cross(ahead, UP)
    depth, half_width = 40.0, 20.0
    centre = add(mul(front_edge - depth / 2, ahead), mul(middle, side))
    solids = [
        box(
            add(centre, (0.0, seat_top - 2.0, 0.0)),
            mul(depth / 2, ahead),
            (0.0, 2.0, 0.0),
            mul(half_width, side),
            "wood",
        )
    ]
    for i in (-1, 1):
        for j in (-1, 1):
            leg = add(centre, mul(i * (depth / 2 - 2), ahead), mul(j * (half_width - 2), side))
            solids.append(
                box(
                    add(leg, (0.0, (seat_top - 4) / 2, 0.0)),
                    mul(1.4, ahead),
                    (0.0, (seat_top - 4) / 2, 0.0),
                    mul(1.4, side),
                    "wood",
                )
            )
    if backrest:
        back = add(centre, mul(-depth / 2 + 2, ahead), (0.0, seat_top + 22.0, 0.0))
        solids.append(box(back, mul(1.6, ahead), (0.0, 20.0, 0.0), mul(half_width, side), "wood"))
    anchors = {}
    if anchors_for_seat is not None:
        for s, sign in SIDES:
            point = add(anchors_for_seat.points["pelvis"], mul(sign * 21.0, side))
            anchors[("seat", s)] = Target((point[0], seat_top + 1.5, point[2]), fingers=ahead)
    return Placed("chair", "", tuple(solids), anchors)


def _band(ctx: _Context, at: str) -> Placed:
    p = ctx.body.points
    where = {"knees": ("hip", "knee", 0.82), "thighs": ("hip", "knee", 0.5), "ankles": ("knee", "ankle", 0.85)}.get(at)
    if where is None:
        return _unknown_place("band", at)
    a, b, t = where
    right, left = (lerp(p[f"{s}_{a}"], p[f"{s}_{b}"], t) for s in ("right", "left"))
    axis = unit(sub(right, left))
    leg = unit(sub(p[f"right_{b}"], p[f"right_{a}"]))
    front = across(ctx.body.directions["pelvis_front"], leg)
    radius = 6.0 if at != "ankles" else 4.5
    loop = []
    for i in range(13):
        t_angle = math.radians(-90 + 15 * i)
        loop.append(add(right, mul(radius * math.cos(t_angle), axis), mul(radius * math.sin(t_angle), front)))
    for i in range(13):
        t_angle = math.radians(90 + 15 * i)
        loop.append(add(left, mul(radius * math.cos(t_angle), axis), mul(radius * math.sin(t_angle), front)))
    loop.append(loop[0])
    return Placed("band", at, (rod(loop, 2.4, "band", "over"),))


def _strap(ctx: _Context, at: str) -> Placed:
    side = at.removesuffix("_foot")
    if at not in PLACES["strap"]:
        return _unknown_place("strap", at)
    p, d = ctx.body.points, ctx.body.directions
    sole = add(lerp(p[f"{side}_heel"], p[f"{side}_ball"], 0.6), mul(3.0, d[f"{side}_foot_down"]))
    anchors = {}
    for s, sign in SIDES:
        shoulder = p[f"{s}_shoulder"]
        toward = unit(sub(sole, shoulder))
        distance = min(52.0, norm(sub(sole, shoulder)) - 12.0)
        point = add(shoulder, mul(distance, toward), mul(sign * 2.0, flat(d["pelvis_right"])))
        anchors[("strap", s)] = Target(point, fingers=toward)
    solids = []
    holding = [s for s, _ in SIDES if ctx.body.hands.get(s) == "strap"]
    for s in holding:
        solids.append(rod([p[f"{s}_hand"], lerp(p[f"{s}_wrist"], p[f"{s}_hand"], 0.5), sole], 2.0, "strap", "over"))
    loop_axis = d[f"{side}_foot_forward"]
    solids.append(rod([add(sole, mul(-4.0, loop_axis)), add(sole, mul(4.0, loop_axis))], 3.0, "strap", "over"))
    return Placed("strap", at, tuple(solids), anchors)


def _step(ctx: _Context, at: str) -> Placed:
    p = ctx.body.points
    ahead = facing(ctx.body)
    if at == "feet":
        feet = [p[f"{s}_{j}"] for s, _ in SIDES for j in ("heel", "ball")]
        top = STEP_HEIGHT
    elif at in {"right_foot", "left_foot"}:
        side = at.removesuffix("_foot")
        feet = [p[f"{side}_heel"], p[f"{side}_ball"]]
        top = min(_lowest_near(ctx.body, f, 4.0) for f in feet)
        if not 8.0 <= top <= 45.0:
            return Placed(
                "step", at, problems=(f"the {side} foot is {top:.0f} above the floor: too high or low for a step",)
            )
    else:
        return _unknown_place("step", at)
    middle = mul(1 / len(feet), add(*feet))
    centre = add(mul(dot(middle, ahead) + 2.0, ahead), (0.0, 0.0, 0.0))
    return Placed("step", at, (floor_box(centre, ahead, 17.0, 30.0, top, "step"),))


def _roller(ctx: _Context, at: str) -> Placed:
    body = ctx.body
    p = body.points
    side, _, part = at.partition("_")
    down = (0.0, -1.0, 0.0)
    if at == "upper_back":
        centre, _, front, shape = _station(body, 3)
        contact = add(centre, mul(-shape.back, front))
        axis = flat(body.directions["pelvis_right"])
    elif part in {"thigh", "hamstring", "inner_thigh"} and side in {"right", "left"}:
        contact = surface(body, f"{side}_hip", f"{side}_knee", 0.7, 8.0, 5.4, down)
        axis = cross(UP, flat(sub(p[f"{side}_knee"], p[f"{side}_hip"])))
        if part == "inner_thigh":  # the roller lies along the body, the thigh across it
            axis = flat(body.directions["pelvis_trunk"])
    elif part == "calf" and side in {"right", "left"}:
        contact = surface(body, f"{side}_knee", f"{side}_ankle", 0.4, 5.4, 3.7, down)
        axis = cross(UP, flat(sub(p[f"{side}_ankle"], p[f"{side}_knee"])))
    elif part == "hip" and side in {"right", "left"}:
        contact = surface(body, f"{side}_hip", f"{side}_knee", 0.3, 8.0, 5.4, down)
        axis = cross(UP, flat(sub(p[f"{side}_knee"], p[f"{side}_hip"])))
    else:
        return _unknown_place("foam_roller", at)
    radius = contact[1] / 2
    low, high = ROLLER_RADIUS
    if not low - 1.0 <= radius <= high + 1.0:
        where = at.replace("_", " ")
        return Placed(
            "foam_roller",
            at,
            problems=(f"the roller under the {where} would be {2 * radius:.0f} across: it does not fit",),
        )
    radius = min(max(radius, low), high)
    centre = (contact[0], radius, contact[2])
    ends = (add(centre, mul(-24.0, axis)), add(centre, mul(24.0, axis)))
    return Placed("foam_roller", at, tuple(cylinder(ends[0], ends[1], radius, "roller", "roller_end")))


def _swiss_ball(ctx: _Context, at: str) -> Placed:
    p = ctx.body.points
    if at == "feet":
        contact = mul(
            0.5, add(lerp(p["right_heel"], p["right_ankle"], 0.3), lerp(p["left_heel"], p["left_ankle"], 0.3))
        )
        contact = add(contact, (0.0, -3.5, 0.0))
    elif at == "back":
        centre, _, front, shape = _station(ctx.body, 3)
        contact = add(centre, mul(-shape.back, front))
    else:
        return _unknown_place("swiss_ball", at)
    radius = contact[1] / 2
    low, high = SWISS_BALL_RADIUS
    if not low - 2.0 <= radius <= high + 2.0:
        return Placed(
            "swiss_ball",
            at,
            problems=(f"a Swiss ball under the {at} would be {2 * radius:.0f} across: it does not fit",),
        )
    radius = min(max(radius, low), high)
    return Placed("swiss_ball", at, (ball((contact[0], radius, contact[2]), radius, "swiss"),))


def _massage_ball(ctx: _Context, at: str) -> Placed:
    body = ctx.body
    side, _, part = at.partition("_")
    if side not in {"right", "left"} or part not in {"buttock", "hip", "low_back"}:
        return _unknown_place("massage_ball", at)
    sign = 1.0 if side == "right" else -1.0
    index = {"buttock": 0, "hip": 1, "low_back": 2}[part]
    centre, right, front, shape = _station(body, index)
    if part == "hip":
        contact = add(centre, mul(sign * shape.half_width, right), mul(0.0, front))
        out = mul(sign, right)
    else:
        contact = add(centre, mul(sign * shape.half_width * 0.45, right), mul(-shape.back, front))
        out = mul(-1, front)
    return Placed("massage_ball", at, (ball(add(contact, mul(MASSAGE_BALL * 0.8, out)), MASSAGE_BALL, "massage_ball"),))


def _dumbbell(ctx: _Context, at: str) -> Placed:
    p, d = ctx.body.points, ctx.body.directions
    if at == "hands":
        grips = [lerp(p[f"{s}_wrist"], p[f"{s}_hand"], 0.5) for s, _ in SIDES]
        if norm(sub(grips[0], grips[1])) < 14.0:
            grips = [mul(0.5, add(*grips))]
        solids = tuple(s for g in grips for s in _dumbbell_solids(g, flat(d["pelvis_right"])))
        return Placed("dumbbell", at, solids)
    if at == "chest":
        chest_centre, right, front, shape = _station(ctx.body, 3)
        centre = add(chest_centre, mul(shape.front + 6.0, front), mul(-8.0, d["chest_trunk"]))
        anchors = {
            ("dumbbell", s): Target(add(centre, mul(sign * 3.0, right), mul(2.0, front)), fingers=mul(-sign, right))
            for s, sign in SIDES
        }
        return Placed("dumbbell", at, _dumbbell_solids(centre, d["chest_trunk"]), anchors)
    if at == "hips":
        centre, right, front, shape = _station(ctx.body, 1)
        middle = add(centre, mul(shape.front + 5.0, front))
        return Placed("dumbbell", at, _dumbbell_solids(middle, right))
    if at == "floor":  # a kettlebell (or a small box) on the floor between the feet, its handle up
        ahead = facing(ctx.body)
        toes = mul(0.5, add(p["right_toe"], p["left_toe"]))
        centre = add((toes[0], 9.0, 0.0), mul(10.0, ahead))
        across_handle = flat(d["pelvis_right"])
        handle = [
            add(
                centre,
                mul(5.0 * math.cos(math.radians(a)), across_handle),
                (0.0, 6.0 + 12.0 * math.sin(math.radians(a)), 0.0),
            )
            for a in range(0, 181, 20)
        ]
        grip = (centre[0], 26.0, centre[2])
        anchors = {
            ("dumbbell", s): Target(
                add(grip, mul(sign * 2.5, across_handle)),
                fingers=mul(-sign, across_handle),
                elbow=mul(sign, across_handle),
            )
            for s, sign in SIDES
        }
        solids = (rod(handle, 3.2, "metal", "over"), ball(centre, 9.0, "kettlebell", "over"))
        return Placed("dumbbell", at, solids, anchors)
    return _unknown_place("dumbbell", at)


def _dumbbell_solids(centre: Vec, axis: Vec) -> tuple[Solid, ...]:
    u = unit(axis)
    return (
        *cylinder(add(centre, mul(-6.5, u)), add(centre, mul(6.5, u)), 1.3, "metal", "metal", "over"),
        *cylinder(add(centre, mul(-9.5, u)), add(centre, mul(-5.0, u)), 5.0, "weight", "weight_end", "over"),
        *cylinder(add(centre, mul(5.0, u)), add(centre, mul(9.5, u)), 5.0, "weight", "weight_end", "over"),
    )


def _bike(ctx: _Context, at: str) -> Placed:
    if at != "seat":
        return _unknown_place("exercise_bike", at)
    p = ctx.body.points
    ahead = facing(ctx.body)
    side = cross(ahead, UP)
    balls = [p["right_ball"], p["left_ball"]]
    crank = mul(0.5, add(*balls))
    crank = (crank[0], crank[1], 0.0)
    saddle = add(p["pelvis"], (0.0, -9.0, 0.0), mul(-2.0, ahead))
    bar = add(p["chest"], mul(34.0, ahead), (0.0, -6.0, 0.0))
    bar = (bar[0], bar[1], 0.0)
    base_back = add((crank[0], 2.0, 0.0), mul(-38.0, ahead))
    base_front = add((crank[0], 2.0, 0.0), mul(46.0, ahead))
    post_foot = add(crank, mul(-4.0, ahead))
    wheel = add(crank, mul(30.0, ahead), (0.0, 6.0, 0.0))
    frame = [
        rod([(saddle[0], saddle[1] - 2.0, 0.0), post_foot], 3.2, "metal"),
        rod([post_foot, base_back], 3.2, "metal"),
        rod([crank, wheel, base_front], 3.2, "metal"),
        rod([base_back, base_front], 3.6, "metal"),
        rod([wheel, add(bar, mul(-3.0, ahead))], 3.2, "metal"),
    ]
    flywheel = Solid(
        "flywheel", "under", piece=Piece(discs=((add(wheel, mul(-4.0, side)), mul(16.0, ahead), (0.0, 16.0, 0.0)),))
    )
    seat = box(add(saddle, (0.0, 1.0, 0.0)), mul(10.0, ahead), (0.0, 2.2, 0.0), mul(7.0, side), "saddle")
    handlebar = rod([add(bar, mul(-12.0, side)), add(bar, mul(12.0, side))], 3.0, "metal")
    pedals = [rod([crank, b], 2.0, "metal", "under") for b in balls]
    anchors = {("handlebar", s): Target(add(bar, mul(sign * 10.0, side)), fingers=ahead) for s, sign in SIDES}
    return Placed("exercise_bike", at, (flywheel, *frame, seat, handlebar, *pedals), anchors)


def bike_floor(body: Body) -> float:
    """Where the floor is under someone on an exercise bike: below the crank between the feet."""
    crank_y = (body.points["right_ball"][1] + body.points["left_ball"][1]) / 2
    return crank_y - CRANK_HEIGHT


def _pool(ctx: _Context, at: str) -> Placed:
    body = ctx.body
    if at == "chest":
        level = body.points["chest"][1] - 4.0
        bottom = 0.0
    elif at == "surface":
        level = extent(body, UP, arms=False) + 1.0
        bottom = level - 45.0
    else:
        return _unknown_place("pool", at)
    ahead = facing(body)
    centre = mul(dot(body.points["pelvis"], ahead), ahead)
    water = box(
        add(centre, (0.0, (level + bottom) / 2, 0.0)),
        mul(80.0, ahead),
        (0.0, (level - bottom) / 2, 0.0),
        mul(35.0, cross(UP, ahead)),
        "water",
        "over",
    )
    return Placed("pool", at, (water,))


def _doorway(ctx: _Context, at: str) -> Placed:
    """A door frame: a post at the ``at`` side where the forearm rests against it, one as far the other side."""
    p, d = ctx.body.points, ctx.body.directions
    ahead = facing(ctx.body)
    side = flat(d["pelvis_right"])
    post = add(lerp(p[f"{at}_elbow"], p[f"{at}_wrist"], 0.5), mul(-4.5, ahead))
    out = abs(dot(post, side))
    solids = []
    for sign in (1.0, -1.0):
        base = add(mul(dot(post, ahead), ahead), mul(sign * out, side))
        near = (sign > 0) == (at == "right")
        solids.append(floor_box(base, ahead, 3.0, 4.0, 200.0, "wood", "under" if near else "back"))
    return Placed("doorway", at, tuple(solids))


def _unknown_place(kind: str, at: str) -> Placed:
    places = ", ".join(PLACES[kind])
    return Placed(kind, at, problems=(f"a {kind.replace('_', ' ')} cannot be at '{at}' (its places: {places})",))


PLACERS: dict[str, Placer] = {
    "massage_ball": _massage_ball,  # before the wall it presses against
    "mat": _mat,
    "pillow": _pillow,
    "wall": _wall,
    "chair": _chair,
    "band": _band,
    "strap": _strap,
    "step": _step,
    "foam_roller": _roller,
    "swiss_ball": _swiss_ball,
    "dumbbell": _dumbbell,
    "exercise_bike": _bike,
    "pool": _pool,
    "doorway": _doorway,
}


def place_props(pose: Pose, body: Body, phase: str = "start", wall_distance: float | None = None) -> list[Placed]:
    """Every prop of ``pose`` placed around ``body`` (standing on the floor at y = 0), in drawing order;
    a wall at least ``wall_distance`` out (where it stands in the other position)."""
    props = sorted(props_of(pose), key=lambda prop: list(PLACERS).index(prop.kind))
    placed: dict[str, Placed] = {}
    out = []
    for prop in props:
        at = place_of(prop, pose.orientation, phase)
        if at in PLACES[prop.kind]:
            result = PLACERS[prop.kind](_Context(pose, body, placed, wall_distance), at)
        else:
            result = _unknown_place(prop.kind, at)
        result = Placed(prop.kind, at, result.solids, result.anchors, result.problems, result.distance, result.toward)
        placed[prop.kind] = result
        out.append(result)
    return out


def floor_level(pose: Pose, body: Body, phase: str = "start") -> float:
    """The floor's height under ``body``: at its lowest point, lower on an exercise bike or a step."""
    level = lowest(body)
    kinds = {(prop.kind, place_of(prop, pose.orientation, phase)) for prop in props_of(pose)}
    if ("exercise_bike", "seat") in kinds:
        return min(level, bike_floor(body))
    if ("step", "feet") in kinds:
        return level - STEP_HEIGHT
    return level
