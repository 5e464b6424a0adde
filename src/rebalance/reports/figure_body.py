"""The person of an exercise figure, in three dimensions: joints from a pose's angles, and its solid parts.

``pose_body(pose, phase)`` turns one position of ``Exercise.pose`` into joints (``Body.points``): the
pelvis at the origin, y up. The angles, as the exercises' data uses them (degrees; a missing angle
takes the orientation's resting value, e.g. 90° hip and knee flexion when seated):

    trunk_incline          the trunk against the floor: 90 upright, 0 lying; under 90 leaning forward, over back
    hip_flexion            the thigh against the trunk line: 0 in line, 90 at a right angle in front
    knee_flexion           the shank bending back from the thigh
    ankle_dorsiflexion     the toes toward the shin (negative: the foot pointed)
    hip_abduction          the thigh away from the midline (negative: across it)
    hip_external_rotation  the thigh turned outward (it shows when the knee is bent)
    shoulder_flexion       the arm raised forward from hanging by the side (180 overhead; negative: behind)
    shoulder_abduction     the arm raised sideways from hanging by the side (90: straight out to the side)
    shoulder_rotation      the bent forearm turned from pointing forward toward pointing up (90: a goal post)
    elbow_flexion          the forearm bent forward
    neck_flexion           the chin toward the chest (negative: looking up)
    spine_flexion          the back rounded forward (negative: arched)
    spine_side_bend        the trunk bent sideways toward the left (negative: toward the right)

A sided angle gives the right side's and the left side's values; the exercises' data draws the working
side as the right. A foot on the floor whose ankle angle the pose does not give lies flat; free arms of
someone upright hang straight down. Lying on the back, a trunk incline with the hips in line with the
trunk (hip flexion up to 20°) lifts the hips (a bridge); with the hips bent it lifts the shoulders (a
curl-up). Lying on the side, the person lies on their left side. ``Pose.feet`` rests an ankle on the
other knee (the leg is then placed to reach it); where the hands rest (``Pose.hands``, or the
orientation's habit: on the thighs when sitting, on the floor by the sides lying on the back ...) is
worked out once the props are placed (``place_hand``), since a hand may rest on a wall or a chair.

The places a hand can rest on the body (``body_target``): ``waist``, ``hips`` (the front of the hip
bone), ``chest``, ``cross_chest`` (arms crossed), ``stomach``, ``head`` (behind it), ``temple``,
``forehead`` (under it, lying face down), ``thigh`` and ``knee`` (its own side's), ``low_back`` (under
it), ``behind_back``, ``left_knee``/``right_knee`` (on top), ``left_thigh``/``right_thigh`` (holding it
from behind), ``left_shin``/``right_shin``, ``left_ankle``/``right_ankle``, and on the floor:
``floor`` (beside the hip), ``floor_behind`` (sitting), ``floor_front`` (lying on the side),
``floor_ahead`` (reaching forward), ``floor_under`` (under the shoulder). A prop offers more:
``wall``, ``chair`` (its back), ``seat``, ``strap``, ``handlebar``, ``dumbbell``.

``parts(body)`` gives the person's solid parts (limbs as tapered capsules, a shaped trunk, the head)
for ``reports.figure`` to project and draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from rebalance.knowledge.models import PhasePlace, Pose, SidedAngle

Vec = tuple[float, float, float]
Phase = Literal["start", "end"]
SIDES = (("right", 1.0), ("left", -1.0))

UP: Vec = (0.0, 1.0, 0.0)

# lengths in figure units (about a centimetre: a person about 175 tall)
SPINE = 52.0  # the hip joints' line to the base of the neck
NECK = 8.0
THIGH, SHANK = 43.0, 42.0
UPPER_ARM, FOREARM, HAND = 31.0, 27.0, 12.0
HIP_HALF, SHOULDER_HALF = 8.5, 17.0
SHOULDER_REACH = 7.0  # how far a shoulder moves toward what its hand reaches for
BRIDGE_HIP_FLEXION = 20.0  # lying on the back, hips in line with the trunk: an incline lifts the hips

# the solid body: a radius at each joint, and the trunk's cross-sections up the spine
RADIUS = {
    "hip": 8.0,
    "knee": 5.4,
    "ankle": 3.7,
    "heel": 3.0,
    "ball": 2.7,
    "toe": 2.1,
    "shoulder": 4.8,
    "elbow": 3.7,
    "wrist": 2.7,
    "hand": 2.5,
    "neck": 4.6,
}
HEAD = (11.0, 9.8, 8.6)  # the head's half height, half depth (face to back) and half width


@dataclass(frozen=True)
class Station:
    """A cross-section of the trunk: how far up the spine, half its width, its depth in front and behind."""

    along: float
    half_width: float
    front: float
    back: float


TRUNK_SHAPE = (
    Station(-6.0, 15.0, 7.0, 10.0),  # the buttocks
    Station(2.0, 16.0, 8.5, 10.5),  # the hips
    Station(20.0, 13.2, 8.5, 7.5),  # the waist
    Station(37.0, 15.0, 10.5, 9.0),  # the chest
    Station(47.0, 18.0, 7.5, 8.0),  # the shoulders
    Station(SPINE + 1.0, 6.0, 4.5, 4.5),  # the base of the neck
)

# what a body can do (degrees): an angle outside its range makes a figure no one could copy
RANGES: dict[str, tuple[float, float]] = {
    "trunk_incline": (-30.0, 135.0),
    "hip_flexion": (-40.0, 160.0),
    "hip_abduction": (-45.0, 90.0),
    "hip_external_rotation": (-60.0, 95.0),
    "knee_flexion": (-10.0, 165.0),
    "ankle_dorsiflexion": (-90.0, 45.0),
    "shoulder_flexion": (-70.0, 200.0),
    "shoulder_abduction": (-30.0, 180.0),
    "shoulder_rotation": (-90.0, 120.0),
    "elbow_flexion": (-10.0, 160.0),
    "neck_flexion": (-60.0, 70.0),
    "spine_flexion": (-45.0, 70.0),
    "spine_side_bend": (-45.0, 45.0),
}
UPRIGHT = {"standing", "seated", "kneeling", "half_kneeling"}
RESTING: dict[str, dict[str, float]] = {
    "standing": {"shoulder_abduction": 6.0, "elbow_flexion": 10.0},
    "kneeling": {"knee_flexion": 90.0, "ankle_dorsiflexion": -90.0, "shoulder_abduction": 6.0},
    "half_kneeling": {},
    "seated": {"hip_flexion": 90.0, "knee_flexion": 90.0},
    "supine": {"shoulder_abduction": 10.0},
    "prone": {"shoulder_abduction": 10.0, "ankle_dorsiflexion": -60.0},
    "swimming": {"ankle_dorsiflexion": -60.0},
    "quadruped": {"hip_flexion": 90.0, "knee_flexion": 90.0, "ankle_dorsiflexion": -90.0},
    "side_lying": {},
}
SIDE_LYING_ARMS = {"shoulder_flexion": 165.0, "elbow_flexion": 25.0}  # the lower arm under the head
# where the hands rest when a pose says nothing of the arms
RESTING_HANDS: dict[str, dict[str, str]] = {
    "seated": {"right": "thigh", "left": "thigh"},
    "half_kneeling": {"right": "waist", "left": "waist"},
    "side_lying": {"right": "floor_front"},
    "quadruped": {"right": "floor_under", "left": "floor_under"},
    "supine": {"right": "floor", "left": "floor"},
}
ARM_ANGLES = ("shoulder_flexion", "shoulder_abduction", "elbow_flexion")


# --- vectors -------------------------------------------------------------------------------------


def add(*vectors: Vec) -> Vec:
    return (sum(v[0] for v in vectors), sum(v[1] for v in vectors), sum(v[2] for v in vectors))


def mul(k: float, v: Vec) -> Vec:
    return (k * v[0], k * v[1], k * v[2])


def sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(v: Vec) -> float:
    return math.sqrt(dot(v, v))


def unit(v: Vec, fallback: Vec = UP) -> Vec:
    n = norm(v)
    return mul(1 / n, v) if n > 1e-9 else fallback


def lerp(a: Vec, b: Vec, t: float) -> Vec:
    return add(a, mul(t, sub(b, a)))


def turn(a: Vec, b: Vec, degrees: float) -> Vec:
    """``a`` turned by ``degrees`` toward ``b`` (both unit vectors, at right angles)."""
    r = math.radians(degrees)
    return add(mul(math.cos(r), a), mul(math.sin(r), b))


def across(v: Vec, axis: Vec) -> Vec:
    """``v`` without its part along ``axis`` (a unit vector), made a unit vector."""
    return unit(sub(v, mul(dot(v, axis), axis)), fallback=_perpendicular(axis))


def _perpendicular(axis: Vec) -> Vec:
    other: Vec = (1.0, 0.0, 0.0) if abs(axis[0]) < 0.9 else (0.0, 0.0, 1.0)
    return unit(cross(axis, other))


# --- angles and frames ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Angles:
    """One position's angles; ``get`` gives the right side's (``working``) or the left side's value."""

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
class Frame:
    """Up the spine, the way the front faces, and the person's right."""

    trunk: Vec
    front: Vec
    right: Vec


def angles_of(pose: Pose, phase: Phase) -> Angles:
    values = {str(k): v for k, v in (pose.start if phase == "start" else pose.end).items()}
    resting = dict(RESTING.get(pose.orientation, {}))
    given = {str(k) for k in (*pose.start, *pose.end)}
    if pose.orientation == "prone" and "elbow_flexion" in given and "shoulder_flexion" not in given:
        resting["shoulder_flexion"] = 90.0  # propped on the forearms
    if pose.orientation == "side_lying" and not given & set(ARM_ANGLES):
        resting.update(SIDE_LYING_ARMS)
    if pose.orientation in UPRIGHT and not given & set(ARM_ANGLES):  # free arms hang straight down
        incline = values.get("trunk_incline")
        if isinstance(incline, int | float):
            resting["shoulder_flexion"] = max(0.0, 90.0 - float(incline))
    return Angles(values, resting)


def frame_of(orientation: str, angles: Angles) -> Frame:
    """The pelvis's frame: the trunk's direction from the incline, the front from the orientation."""
    default = 90.0 if orientation in UPRIGHT else 0.0
    incline = angles.values.get("trunk_incline")
    tilt = default if not isinstance(incline, int | float) else float(incline)  # never sided in the data
    if orientation == "side_lying":  # on the left side
        r = math.radians(tilt)
        trunk: Vec = (-math.cos(r), math.sin(r), 0.0)
        front: Vec = (0.0, 0.0, -1.0)
        return Frame(trunk, front, cross(front, trunk))
    if orientation == "supine":
        bridge = angles.most("hip_flexion") <= BRIDGE_HIP_FLEXION
        tilt = 180.0 + tilt if bridge else 180.0 - tilt
    r = math.radians(tilt)
    trunk = (math.cos(r), math.sin(r), 0.0)
    front = (math.sin(r), -math.cos(r), 0.0)
    return Frame(trunk, front, cross(front, trunk))


# --- the body ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One position's joints (``points``) and the directions the solid parts are drawn with.

    ``directions`` holds, by name, the pelvis's and the chest's frames (``pelvis_front``, ``chest_right``
    ...), each thigh's and shin's front (``right_thigh_front``), each foot's way forward and down, and
    the head's up and face directions. ``hands`` says where each hand rests (none: free)."""

    orientation: str
    points: dict[str, Vec]
    directions: dict[str, Vec]
    stations: tuple[tuple[Vec, Vec, Vec, Station], ...]  # centre, right, front, shape
    hands: dict[str, str] = field(default_factory=dict)

    def frame(self, where: Literal["pelvis", "chest"]) -> Frame:
        d = self.directions
        return Frame(d[f"{where}_trunk"], d[f"{where}_front"], d[f"{where}_right"])

    def moved(self, offset: Vec) -> Body:
        """The same body shifted by ``offset``."""
        return replace(
            self,
            points={k: add(p, offset) for k, p in self.points.items()},
            stations=tuple((add(c, offset), r, f, s) for c, r, f, s in self.stations),
        )

    def with_points(self, points: dict[str, Vec], directions: dict[str, Vec] | None = None) -> Body:
        return replace(self, points={**self.points, **points}, directions={**self.directions, **(directions or {})})


def _spine(frame: Frame, angles: Angles) -> tuple[dict[str, Vec], dict[str, Vec], list[tuple[Vec, Vec, Vec]]]:
    """The spine's points, the chest's frame, and a (centre, right, front) at each trunk station."""
    flexion = angles.get("spine_flexion")
    bend = angles.get("spine_side_bend")
    low = turn(frame.trunk, frame.front, -flexion / 2)
    low = turn(low, mul(-1, frame.right), bend / 3)
    upper = turn(frame.trunk, frame.front, flexion / 2)
    upper = turn(upper, mul(-1, frame.right), bend)
    upper_right = across(frame.right, upper)
    upper_front = unit(cross(upper, upper_right))
    low_right = across(frame.right, low)
    low_front = unit(cross(low, low_right))
    waist = mul(SPINE / 2, low)
    neck = add(waist, mul(SPINE / 2, upper))
    stations = []
    for shape in TRUNK_SHAPE:
        if shape.along <= SPINE / 2:
            stations.append((mul(shape.along, low), low_right, low_front))
        else:
            stations.append((add(waist, mul(shape.along - SPINE / 2, upper)), upper_right, upper_front))
    points = {"pelvis": (0.0, 0.0, 0.0), "waist": waist, "chest": add(waist, mul(SPINE * 0.22, upper)), "neck": neck}
    directions = {
        "pelvis_trunk": frame.trunk,
        "pelvis_front": frame.front,
        "pelvis_right": frame.right,
        "chest_trunk": upper,
        "chest_front": upper_front,
        "chest_right": upper_right,
    }
    return points, directions, stations


def _head(neck: Vec, chest: Frame, angles: Angles) -> tuple[dict[str, Vec], dict[str, Vec]]:
    flexion = angles.get("neck_flexion")
    head_up = turn(chest.trunk, chest.front, flexion)
    face = turn(chest.front, mul(-1, chest.trunk), flexion)
    top = add(neck, mul(NECK, head_up))
    head = add(top, mul(HEAD[0] * 0.8, head_up), mul(1.5, face))
    return {"neck_top": top, "head": head, "nose": add(head, mul(HEAD[1], face), mul(-1.5, head_up))}, {
        "head_up": head_up,
        "face": face,
    }


def _leg(hip: Vec, frame: Frame, side: str, sign: float, angles: Angles) -> tuple[dict[str, Vec], dict[str, Vec]]:
    """Hip, knee, ankle and foot of one leg, and the thigh's and the shin's fronts."""
    working = side == "right"
    flexion = angles.get("hip_flexion", working)
    thigh = turn(mul(-1, frame.trunk), frame.front, flexion)
    thigh_front = turn(frame.front, frame.trunk, flexion)
    outward = mul(sign, frame.right)
    thigh = turn(thigh, outward, angles.get("hip_abduction", working))
    thigh_front = turn(thigh_front, mul(sign, cross(thigh, thigh_front)), angles.get("hip_external_rotation", working))
    knee_flexion = angles.get("knee_flexion", working)
    shank = turn(thigh, mul(-1, thigh_front), knee_flexion)
    shin_front = turn(thigh_front, thigh, knee_flexion)
    knee = add(hip, mul(THIGH, thigh))
    ankle = add(knee, mul(SHANK, shank))
    forward = turn(shin_front, mul(-1, shank), angles.get("ankle_dorsiflexion", working))
    points, directions = _foot(side, ankle, shank, forward)
    points.update({f"{side}_hip": hip, f"{side}_knee": knee})
    directions.update({f"{side}_thigh_front": thigh_front, f"{side}_shin_front": shin_front})
    return points, directions


def _foot(
    side: str, ankle: Vec, shank: Vec, forward: Vec, down: Vec | None = None
) -> tuple[dict[str, Vec], dict[str, Vec]]:
    """The foot from the ankle: the heel below and behind, the ball and the toes ahead (``forward``)."""
    down = down or across(shank, forward)
    points = {
        f"{side}_ankle": ankle,
        f"{side}_heel": add(ankle, mul(4.3, down), mul(-4.5, forward)),
        f"{side}_ball": add(ankle, mul(4.6, down), mul(11.0, forward)),
        f"{side}_toe": add(ankle, mul(4.9, down), mul(15.0, forward)),
    }
    return points, {f"{side}_foot_forward": forward, f"{side}_foot_down": down}


def _arm(shoulder: Vec, chest: Frame, side: str, sign: float, angles: Angles) -> tuple[dict[str, Vec], dict[str, Vec]]:
    working = side == "right"
    flexion = angles.get("shoulder_flexion", working)
    abduction = angles.get("shoulder_abduction", working)
    down = mul(-1, chest.trunk)
    raised = turn(down, chest.front, flexion)
    upper = unit(
        add(
            mul(math.cos(math.radians(abduction)), raised),
            mul(math.sin(math.radians(abduction)), mul(sign, chest.right)),
        )
    )
    upper_front = across(turn(chest.front, chest.trunk, flexion), upper)
    rotation = angles.get("shoulder_rotation", working)
    if rotation:
        upper_front = turn(upper_front, across(across(chest.trunk, upper), upper_front), rotation)
    forearm = turn(upper, upper_front, angles.get("elbow_flexion", working))
    elbow = add(shoulder, mul(UPPER_ARM, upper))
    wrist = add(elbow, mul(FOREARM, forearm))
    return {
        f"{side}_shoulder": shoulder,
        f"{side}_elbow": elbow,
        f"{side}_wrist": wrist,
        f"{side}_hand": add(wrist, mul(HAND, forearm)),
    }, {f"{side}_arm_front": upper_front}


def hand_place(pose: Pose, side: str, phase: Phase) -> str | None:
    """Where a hand rests in one position (``Pose.hands``, else the orientation's habit), or None."""
    place = pose.hands.get(side)  # type: ignore[call-overload]
    if isinstance(place, PhasePlace):
        return place.start if phase == "start" else place.end
    if place is not None:
        return str(place)
    arms_given = any(name in (*pose.start, *pose.end) for name in ARM_ANGLES)
    return None if arms_given or pose.hands else RESTING_HANDS.get(pose.orientation, {}).get(side)


def pose_body(pose: Pose, phase: Phase) -> Body:
    """The joints of one position from its angles, the pelvis at the origin (feet resting on a knee
    placed; hands not yet: see ``reach``)."""
    angles = angles_of(pose, phase)
    frame = frame_of(pose.orientation, angles)
    points, directions, station_axes = _spine(frame, angles)
    chest = Frame(directions["chest_trunk"], directions["chest_front"], directions["chest_right"])
    head_points, head_directions = _head(points["neck"], chest, angles)
    points.update(head_points)
    directions.update(head_directions)
    for side, sign in SIDES:
        hip = mul(sign * HIP_HALF, frame.right)
        shoulder = add(points["neck"], mul(sign * SHOULDER_HALF, chest.right), mul(-4.0, chest.trunk))
        for part in (_leg(hip, frame, side, sign, angles), _arm(shoulder, chest, side, sign, angles)):
            points.update(part[0])
            directions.update(part[1])
    stations = tuple((c, r, f, s) for (c, r, f), s in zip(station_axes, TRUNK_SHAPE, strict=True))
    hands = {side: place for side, _ in SIDES if (place := hand_place(pose, side, phase)) is not None}
    body = Body(pose.orientation, points, directions, stations, hands)
    for side, place in pose.feet.items():
        body = rest_foot(body, str(side), str(place))
    return _flat_feet(body, angles, set(pose.feet))


def _flat_feet(body: Body, angles: Angles, resting: set[str]) -> Body:
    """Feet on the floor (a near-upright shin, the ankle near the lowest ankle) lie flat unless the pose
    gives their ankle angle."""
    if "ankle_dorsiflexion" in angles.values or "ankle_dorsiflexion" in angles.resting:
        return body
    p = body.points
    low = min(p["right_ankle"][1], p["left_ankle"][1])
    for side, _ in SIDES:
        shank = unit(sub(p[f"{side}_ankle"], p[f"{side}_knee"]))
        if side in resting or shank[1] > -0.6 or p[f"{side}_ankle"][1] > low + 12.0:
            continue
        forward = unit((body.directions[f"{side}_shin_front"][0], 0.0, body.directions[f"{side}_shin_front"][2]))
        points, directions = _foot(side, p[f"{side}_ankle"], shank, forward, (0.0, -1.0, 0.0))
        body = body.with_points(points, directions)
    return body


def plant_feet(body: Body) -> Body:
    """Flat feet a little above the floor (y = 0) put down on it, the knee bending a little more."""
    for side, _ in SIDES:
        p, d = body.points, body.directions
        if d.get(f"{side}_foot_down") != (0.0, -1.0, 0.0):
            continue
        gap = min(p[f"{side}_heel"][1] - RADIUS["heel"], p[f"{side}_ball"][1] - RADIUS["ball"])
        if not 0.3 < gap <= 8.0:
            continue
        hip, knee = p[f"{side}_hip"], p[f"{side}_knee"]
        ankle = sub(p[f"{side}_ankle"], (0.0, gap, 0.0))
        knee, ankle, _ = two_bone(hip, ankle, THIGH, SHANK, sub(knee, lerp(hip, ankle, 0.5)))
        shank = unit(sub(ankle, knee))
        points, directions = _foot(side, ankle, shank, d[f"{side}_foot_forward"], (0.0, -1.0, 0.0))
        body = body.with_points({f"{side}_knee": knee, **points}, directions)
    return body


# --- reaching: a limb placed so its end rests on a point -----------------------------------------


def two_bone(root: Vec, target: Vec, first: float, second: float, pole: Vec) -> tuple[Vec, Vec, float]:
    """A two-segment limb from ``root`` toward ``target``, bending toward ``pole``: the middle joint, the
    end, and how far short of the target the end stays (0 when it reaches)."""
    to_target = sub(target, root)
    distance = norm(to_target)
    along = unit(to_target, fallback=_perpendicular(pole))
    reach = min(max(distance, abs(first - second) + 0.5), first + second - 0.01)
    cos_a = (first * first + reach * reach - second * second) / (2 * first * reach)
    a = math.acos(max(-1.0, min(1.0, cos_a)))
    bend = across(pole, along)
    middle = add(root, mul(first * math.cos(a), along), mul(first * math.sin(a), bend))
    return middle, add(root, mul(reach, along)), max(0.0, distance - (first + second))


def rest_foot(body: Body, side: str, place: str) -> Body:
    """A leg placed so its ankle rests on the other knee (the knee falling outward: a figure four)."""
    other = "left" if side == "right" else "right"
    if place != f"{other}_knee":
        return body  # an unknown place is the check's to report (``figure_problems``)
    sign = 1.0 if side == "right" else -1.0
    p, d = body.points, body.directions
    pelvis = body.frame("pelvis")
    target = add(
        lerp(p[f"{other}_knee"], p[f"{other}_hip"], 0.12), mul(RADIUS["knee"] + 3.0, d[f"{other}_thigh_front"])
    )
    target = add(target, mul(sign * 3.0, pelvis.right))
    pole = add(mul(sign, pelvis.right), mul(0.6, pelvis.front))
    knee, ankle, _ = two_bone(p[f"{side}_hip"], target, THIGH, SHANK, pole)
    shank = unit(sub(ankle, knee))
    forward = across(add(mul(-sign, pelvis.right), mul(-0.3, pelvis.trunk)), shank)
    foot_points, foot_directions = _foot(side, ankle, shank, forward)
    thigh = unit(sub(knee, p[f"{side}_hip"]))
    thigh_front = across(pelvis.front, thigh)
    return body.with_points(
        {f"{side}_knee": knee, **foot_points},
        {**foot_directions, f"{side}_thigh_front": thigh_front, f"{side}_shin_front": across(thigh_front, shank)},
    )


@dataclass(frozen=True)
class Target:
    """Where a hand goes: the palm's point, the way the fingers point (none: along the forearm) and
    the way the elbow bends."""

    point: Vec
    fingers: Vec | None = None
    elbow: Vec | None = None


def place_hand(body: Body, side: str, target: Target) -> tuple[Body, float]:
    """The arm placed so the palm rests on ``target``; and how far short it stays."""
    sign = 1.0 if side == "right" else -1.0
    chest = body.frame("chest")
    shoulder = body.points[f"{side}_shoulder"]
    beyond = norm(sub(target.point, shoulder)) - (UPPER_ARM + FOREARM + HAND / 2)
    if beyond > 0:  # the shoulder blade slides toward the target, a few centimetres at most
        shoulder = add(shoulder, mul(min(beyond, SHOULDER_REACH), unit(sub(target.point, shoulder))))
    pole = target.elbow or add(mul(-1.0, chest.front), mul(0.9 * sign, chest.right), mul(-0.6, chest.trunk))
    if target.fingers is None:
        elbow, palm, short = two_bone(shoulder, target.point, UPPER_ARM, FOREARM + HAND / 2, pole)
        forearm = unit(sub(palm, elbow))
        wrist = add(elbow, mul(FOREARM, forearm))
        hand = add(wrist, mul(HAND, forearm))
    else:
        wrist_target = add(target.point, mul(-HAND / 2, target.fingers))
        elbow, wrist, short = two_bone(shoulder, wrist_target, UPPER_ARM, FOREARM, pole)
        hand = add(wrist, mul(HAND, target.fingers))
    upper = unit(sub(elbow, shoulder))
    return body.with_points(
        {f"{side}_shoulder": shoulder, f"{side}_elbow": elbow, f"{side}_wrist": wrist, f"{side}_hand": hand},
        {f"{side}_arm_front": across(unit(sub(wrist, elbow)), upper)},
    ), short


# --- the solid parts -----------------------------------------------------------------------------


Sphere = tuple[Vec, float]
Disc = tuple[Vec, Vec, Vec]  # centre and two half-axes (vectors)


@dataclass(frozen=True)
class Piece:
    """A convex solid: the hull of some spheres and flat ellipses."""

    spheres: tuple[Sphere, ...] = ()
    discs: tuple[Disc, ...] = ()


@dataclass(frozen=True)
class Part:
    """A body part drawn as one outline: its name, which side (or none), its pieces, and whether it rests
    on the body's front (a hand on the stomach is drawn over the trunk)."""

    name: str
    side: str | None
    pieces: tuple[Piece, ...]
    on: str | None = None  # the part it rests on, drawn just after it


def _capsule(a: Vec, ra: float, b: Vec, rb: float) -> Piece:
    return Piece(spheres=((a, ra), (b, rb)))


def _trunk(body: Body) -> Part:
    discs = []
    for centre, right, front, shape in body.stations:
        middle = add(centre, mul((shape.front - shape.back) / 2, front))
        discs.append((middle, mul(shape.half_width, right), mul((shape.front + shape.back) / 2, front)))
    pieces = tuple(Piece(discs=(discs[i], discs[i + 1])) for i in range(len(discs) - 1))
    return Part("trunk", None, pieces)


def _head_part(body: Body) -> Part:
    p, d = body.points, body.directions
    side = cross(d["face"], d["head_up"])
    head = Piece(
        discs=(
            (p["head"], mul(HEAD[0], d["head_up"]), mul(HEAD[1], d["face"])),
            (p["head"], mul(HEAD[2], side), mul(HEAD[1], d["face"])),
            (p["head"], mul(HEAD[0], d["head_up"]), mul(HEAD[2], side)),
        ),
        spheres=((p["nose"], 2.0),),
    )
    neck = _capsule(p["neck"], RADIUS["neck"] + 0.6, p["neck_top"], RADIUS["neck"])
    return Part("head", None, (neck, head))


def parts(body: Body) -> list[Part]:
    """The person's solid parts: trunk, head (with the neck), and per side a leg, a foot, an arm, a hand."""
    p = body.points
    out = [_trunk(body), _head_part(body)]
    for side, _ in SIDES:
        j = {name: p[f"{side}_{name}"] for name in ("hip", "knee", "ankle", "heel", "ball", "toe")}
        leg = (
            _capsule(j["hip"], RADIUS["hip"], j["knee"], RADIUS["knee"]),
            _capsule(j["knee"], RADIUS["knee"], j["ankle"], RADIUS["ankle"]),
        )
        foot = Piece(
            spheres=(
                (j["ankle"], RADIUS["ankle"]),
                (j["heel"], RADIUS["heel"]),
                (j["ball"], RADIUS["ball"]),
                (j["toe"], RADIUS["toe"]),
            )
        )
        a = {name: p[f"{side}_{name}"] for name in ("shoulder", "elbow", "wrist", "hand")}
        rests_on = _resting_on(body.hands.get(side))
        upper = _capsule(a["shoulder"], RADIUS["shoulder"], a["elbow"], RADIUS["elbow"] - 0.3)
        lower = _capsule(a["elbow"], RADIUS["elbow"] - 0.4, a["wrist"], RADIUS["wrist"])
        hand = Piece(
            spheres=(
                (a["wrist"], RADIUS["wrist"] + 0.2),
                (lerp(a["wrist"], a["hand"], 0.6), 3.0),
                (a["hand"], RADIUS["hand"]),
            )
        )
        out += [
            Part(f"{side}_leg", side, leg),
            Part(f"{side}_foot", side, (foot,)),
            Part(f"{side}_arm", side, (upper,) if rests_on else (upper, lower)),
            Part(f"{side}_hand", side, (lower, hand) if rests_on else (hand,), on=rests_on),
        ]
    return out


def _resting_on(place: str | None) -> str | None:
    """The body part a hand resting on ``place`` lies over (drawn after it), or None."""
    if place in {"chest", "cross_chest", "stomach", "waist", "hips"}:
        return "trunk"
    if place in {"thigh", "knee"}:
        return "own_leg"
    for side, _ in SIDES:
        if place in {f"{side}_knee", f"{side}_thigh", f"{side}_shin", f"{side}_ankle"}:
            return f"{side}_leg"
    return None


def lowest(body: Body) -> float:
    """The height of the body's lowest surface (a part's radius below its joint counts; an arm whose hand
    is yet to be placed does not)."""
    heights = []
    for part in parts(body):
        if part.side in body.hands and part.name.endswith(("_arm", "_hand")):
            continue
        for piece in part.pieces:
            heights += [c[1] - r for c, r in piece.spheres]
            heights += [c[1] - math.hypot(a[1], b[1]) for c, a, b in piece.discs]
    return min(heights)


# --- where a hand can rest on the body -----------------------------------------------------------


def body_target(body: Body, place: str, side: str) -> Target | None:
    """The target of a hand resting on the body (``place`` as in ``Pose.hands``), or None if ``place`` is
    not a place on the body (it may be a prop's: a wall, a chair ...)."""
    if place in _OWN:
        return _OWN[place](body, side, 1.0 if side == "right" else -1.0)
    leg, _, where = place.partition("_")
    if leg in {"right", "left"} and where in _ON_LEG:
        return _ON_LEG[where](body, leg, 1.0 if side == "right" else -1.0)
    return None


def _station_at(body: Body, index: int) -> tuple[Vec, Vec, Vec, Station]:
    return body.stations[index]


def _waist(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 2)
    return Target(
        add(centre, mul(sign * (shape.half_width + 1.0), right), mul(1.5, front)), mul(1.0, front), mul(sign, right)
    )


def _hips(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 1)
    point = add(centre, mul(sign * 10.0, right), mul(shape.front + 1.5, front))
    return Target(point, unit(add(mul(-sign, right), mul(-0.6, body.directions["pelvis_trunk"]))), mul(sign, right))


def _chest(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 3)
    point = add(centre, mul(shape.front + 1.5, front), mul(sign * 2.0, right))
    return Target(point, mul(-sign, right), add(mul(sign, right), mul(-1.0, body.directions["chest_trunk"])))


def _cross_chest(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 3)
    trunk = body.directions["chest_trunk"]
    point = add(
        centre,
        mul(shape.front + 3.0 + (2.5 if side == "right" else 0.0), front),
        mul(-sign * 9.0, right),
        mul(4.0, trunk),
    )
    return Target(point, unit(add(mul(-sign, right), mul(0.6, trunk))), add(mul(-1.0, trunk), mul(0.5, front)))


def _stomach(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 2)
    point = add(centre, mul(shape.front + 1.5, front), mul(sign * 1.5, right))
    return Target(point, mul(-sign, right), add(mul(sign, right), mul(-0.5, body.directions["chest_trunk"])))


def _behind_head(body: Body, side: str, sign: float) -> Target:
    p, d = body.points, body.directions
    across_head = cross(d["face"], d["head_up"])
    point = add(p["head"], mul(-(HEAD[1] + 1.5), d["face"]), mul(sign * 4.0, across_head))
    return Target(point, mul(-sign, across_head), add(mul(sign, body.directions["chest_right"]), d["head_up"]))


def _temple(body: Body, side: str, sign: float) -> Target:
    p, d = body.points, body.directions
    across_head = cross(d["face"], d["head_up"])
    point = add(p["head"], mul(sign * (HEAD[2] + 2.0), across_head), mul(2.0, d["face"]))
    return Target(point, d["head_up"], mul(sign, body.directions["chest_right"]))


def _forehead(body: Body, side: str, sign: float) -> Target:
    p, d = body.points, body.directions
    across_head = cross(d["face"], d["head_up"])
    point = add(
        p["nose"],
        mul(4.0 + (2.5 if side == "left" else 0.0), d["face"]),
        mul(3.0, d["head_up"]),
        mul(sign * 3.0, across_head),
    )
    return Target(point, mul(-sign, across_head), mul(sign, body.directions["chest_right"]))


def _own_thigh(body: Body, side: str, sign: float) -> Target:
    p, d = body.points, body.directions
    point = add(lerp(p[f"{side}_hip"], p[f"{side}_knee"], 0.62), mul(7.5, d[f"{side}_thigh_front"]))
    return Target(point, unit(sub(p[f"{side}_knee"], p[f"{side}_hip"])))


def _own_knee(body: Body, side: str, sign: float) -> Target:
    return _knee(body, side, sign)


def _low_back(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 2)
    point = add(centre, mul(-shape.back + 1.0, front), mul(sign * 5.0, right))
    return Target(point, mul(-sign, right), add(mul(sign, right), mul(-0.5, front)))


def _behind_back(body: Body, side: str, sign: float) -> Target:
    centre, right, front, shape = _station_at(body, 1)
    trunk = body.directions["pelvis_trunk"]
    point = add(centre, mul(-shape.back - 3.0, front), mul(sign * 3.0, right), mul(6.0, trunk))
    return Target(point, mul(-sign, right), add(mul(sign, right), mul(-1.0, front)))


def _on_floor(point: Vec) -> Vec:
    return (point[0], 1.3, point[2])


def _flat(v: Vec) -> Vec:
    return unit((v[0], 0.0, v[2]), fallback=(1.0, 0.0, 0.0))


def _floor_beside(body: Body, side: str, sign: float) -> Target:
    """On the floor beside the hip, the arm nearly straight (lying: along the body)."""
    d = body.directions
    shoulder = body.points[f"{side}_shoulder"]
    out = _flat(d["pelvis_right"])
    toward_feet = mul(-1.0, _flat(d["chest_trunk"]))
    reach = UPPER_ARM + FOREARM + HAND / 2 - 3.0
    along = math.sqrt(max(reach * reach - shoulder[1] * shoulder[1] - 36.0, 0.0))
    point = add(shoulder, mul(along, toward_feet), mul(sign * 6.0, out))
    return Target(_on_floor(point), toward_feet, add(UP, mul(sign, out)))


def _floor_behind(body: Body, side: str, sign: float) -> Target:
    d = body.directions
    back = mul(-1, _flat(d["pelvis_front"]))
    point = add(body.points["pelvis"], mul(22.0, back), mul(sign * 13.0, _flat(d["pelvis_right"])))
    return Target(_on_floor(point), back, add(back, mul(sign * 0.5, _flat(d["pelvis_right"]))))


def _floor_front(body: Body, side: str, sign: float) -> Target:
    d = body.directions
    point = add(body.points["chest"], mul(20.0, _flat(d["pelvis_front"])))
    return Target(_on_floor(point), _flat(d["pelvis_trunk"]), UP)


def _floor_ahead(body: Body, side: str, sign: float) -> Target:
    d = body.directions
    shoulder = body.points[f"{side}_shoulder"]
    reach = UPPER_ARM + FOREARM + HAND / 2 - 2.0  # the arm nearly straight along the floor
    ahead = math.sqrt(max(reach * reach - shoulder[1] * shoulder[1], 0.0))
    point = add(shoulder, mul(ahead, _flat(d["chest_trunk"])))
    return Target(_on_floor(point), _flat(d["chest_trunk"]), UP)


def _floor_under(body: Body, side: str, sign: float) -> Target:
    d = body.directions
    shoulder = body.points[f"{side}_shoulder"]
    point = add(shoulder, mul(2.0, _flat(d["chest_trunk"])), mul(sign * 1.0, _flat(d["chest_right"])))
    return Target(_on_floor(point), _flat(d["chest_trunk"]), mul(-1.0, _flat(d["chest_trunk"])))


def _knee(body: Body, leg: str, sign: float) -> Target:
    p, d = body.points, body.directions
    point = add(
        p[f"{leg}_knee"],
        mul(RADIUS["knee"] + 1.5, d[f"{leg}_thigh_front"]),
        mul(-2.0, unit(sub(p[f"{leg}_knee"], p[f"{leg}_hip"]))),
    )
    return Target(point, unit(sub(p[f"{leg}_knee"], p[f"{leg}_hip"])), mul(sign, d["pelvis_right"]))


def _thigh_behind(body: Body, leg: str, sign: float) -> Target:
    p, d = body.points, body.directions
    point = add(lerp(p[f"{leg}_hip"], p[f"{leg}_knee"], 0.55), mul(-(RADIUS["hip"] + 1.0), d[f"{leg}_thigh_front"]))
    return Target(point, mul(-sign, d["pelvis_right"]), mul(sign, d["pelvis_right"]))


def _shin(body: Body, leg: str, sign: float) -> Target:
    p, d = body.points, body.directions
    point = add(lerp(p[f"{leg}_knee"], p[f"{leg}_ankle"], 0.3), mul(RADIUS["knee"] + 1.0, d[f"{leg}_shin_front"]))
    return Target(point, mul(-sign, d["pelvis_right"]), mul(sign, d["pelvis_right"]))


def _ankle(body: Body, leg: str, sign: float) -> Target:
    p, d = body.points, body.directions
    point = add(p[f"{leg}_ankle"], mul(RADIUS["ankle"] + 1.0, d[f"{leg}_shin_front"]))
    return Target(point, mul(-sign, d["pelvis_right"]), add(mul(-1.0, UP), mul(sign * 0.3, d["pelvis_right"])))


_OWN = {
    "waist": _waist,
    "hips": _hips,
    "chest": _chest,
    "cross_chest": _cross_chest,
    "stomach": _stomach,
    "head": _behind_head,
    "temple": _temple,
    "forehead": _forehead,
    "thigh": _own_thigh,
    "knee": _own_knee,
    "low_back": _low_back,
    "behind_back": _behind_back,
    "floor": _floor_beside,
    "floor_behind": _floor_behind,
    "floor_front": _floor_front,
    "floor_ahead": _floor_ahead,
    "floor_under": _floor_under,
}
_ON_LEG = {"knee": _knee, "thigh": _thigh_behind, "shin": _shin, "ankle": _ankle}
BODY_PLACES = (*_OWN, *(f"{leg}_{where}" for leg, _ in SIDES for where in _ON_LEG))
