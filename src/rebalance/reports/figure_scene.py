"""An exercise figure's scenes: each position's body and props in one world, and the camera on them.

``scenes(pose)`` poses the body in each position (``figure_body``), stands it on the floor, moves the
end so what rests on the floor (or a step) in both positions stays put, places the props
(``figure_props``; a wall where it stands in both positions) and puts the hands on their places.
``camera(pose, body)`` looks at it from the pose's view, turned a little so both sides of the body
show. ``figure_problems(pose)`` says why a pose cannot be drawn as it says, for ``rebalance kb check``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from rebalance.knowledge.models import PhasePlace, Pose, SidedAngle
from rebalance.reports.figure_body import (
    BODY_PLACES,
    RANGES,
    SIDES,
    UP,
    Body,
    Phase,
    Target,
    Vec,
    add,
    body_target,
    cross,
    dot,
    mul,
    place_hand,
    plant_feet,
    pose_body,
    unit,
)
from rebalance.reports.figure_props import Placed, floor_level, place_props, props_of

Point = tuple[float, float]
Field = Literal["hands", "feet", "props"]

SIDE_VIEW = (18.0, 9.0)  # degrees an upright person seen from the side is turned toward their front; looking down
FRONT_VIEW = (14.0, 6.0)  # degrees an upright person seen from the front is turned, their right toward us; down
SIDE_LYING_VIEW = (30.0, 24.0)  # someone lying on their side: turned toward the feet; looking down
TOP_VIEW = 50.0  # degrees looking down at someone upright "seen from above" (from their front)
LYING_VIEW = 13.0  # degrees looking down at someone lying or on all fours, seen from the side
REACH_SLACK = 6.0  # how far short of its place a hand may stay and still read as resting on it
# the parts that rest on the floor (or a step) and, resting there in both positions, stay put
CONTACTS = (
    "head",
    "pelvis",
    "chest",
    *(f"{s}_{j}" for s, _ in SIDES for j in ("heel", "ball", "toe", "knee", "elbow")),
)
CONTACT_WEIGHT = {"head": 6, "chest": 6}
PROP_HAND_PLACES = {
    "wall": "wall",
    "chair": "chair",
    "seat": "chair",
    "strap": "strap",
    "handlebar": "exercise_bike",
    "dumbbell": "dumbbell",
}


@dataclass(frozen=True)
class Scene:
    """One position: the body standing on the floor at y = 0, its props, and what could not be drawn."""

    body: Body
    props: tuple[Placed, ...]
    problems: tuple[tuple[Field, str], ...]


def held(pose: Pose) -> bool:
    """Start and end are the same position (a hold, or breathing): one picture."""
    hands_move = any(isinstance(place, PhasePlace) and place.start != place.end for place in pose.hands.values())
    return pose.start == pose.end and not hands_move


def scenes(pose: Pose) -> list[Scene]:
    """Each position (one when the position is held), in one world."""
    phases: list[Phase] = ["start"] if held(pose) else ["start", "end"]
    bodies = [_standing(pose, phase) for phase in phases]
    if len(bodies) == 2:
        bodies[1] = bodies[1].moved(_settle(bodies[0], bodies[1]))
    walls = [placed for body, phase in zip(bodies, phases, strict=True) for placed in place_props(pose, body, phase)]
    walls = [placed for placed in walls if placed.distance is not None and placed.toward is not None]
    if len(walls) == 2 and any(prop.kind == "massage_ball" for prop in props_of(pose)):
        # leaning on a ball against the wall: the wall stays where it is and the person with it
        bodies[1] = bodies[1].moved(mul(_distance(walls[0]) - _distance(walls[1]), walls[0].toward or UP))
        walls = walls[:1]
    wall = max(_distance(w) for w in walls) if walls else None
    out = []
    for body, phase in zip(bodies, phases, strict=True):
        placed_body, problems = _reach(body, place_props(pose, body, phase, wall), phase)
        placed = place_props(pose, placed_body, phase, wall)  # again: a strap's ends, dumbbells in the hands
        problems += [("props", problem) for prop in placed for problem in prop.problems]
        problems += [("feet", problem) for problem in _foot_problems(pose)]
        out.append(Scene(placed_body, tuple(placed), tuple(dict.fromkeys(problems))))
    return out


def _standing(pose: Pose, phase: Phase) -> Body:
    """The body of one position on the floor, the feet that nearly touch it put down."""
    body = pose_body(pose, phase)
    return plant_feet(body.moved((0.0, -floor_level(pose, body, phase), 0.0)))


def _distance(wall: Placed) -> float:
    return wall.distance if wall.distance is not None else 0.0


def _settle(start: Body, end: Body) -> Vec:
    """How far to move the end along the floor so the parts resting on something in both positions (low,
    at the same height: on the floor, on a step) stay put: the shift that most of them agree on, the head
    and the chest of someone lying counting as much as both feet (the feet walk out, the shoulders stay);
    none if no shift keeps more than half of them put, as in walking."""
    a, b = start.points, end.points
    resting = [n for n in CONTACTS if max(a[n][1], b[n][1]) < 25.0 and abs(a[n][1] - b[n][1]) < 3.0]
    shifts = [((a[n][0] - b[n][0], a[n][2] - b[n][2]), CONTACT_WEIGHT.get(n, 1)) for n in resting]
    total = sum(weight for _, weight in shifts)
    best, support = (0.0, 0.0), 0
    for candidate, _ in sorted(shifts, key=lambda s: math.hypot(*s[0])):
        agree = sum(weight for shift, weight in shifts if math.dist(shift, candidate) < 3.0)
        if agree > support:
            best, support = candidate, agree
    if support * 2 <= total:
        return (0.0, 0.0, 0.0)
    return (best[0], 0.0, best[1])


def _reach(body: Body, placed: list[Placed], phase: Phase) -> tuple[Body, list[tuple[Field, str]]]:
    """Each hand with a place put on it (on the body, or on a prop that offers it)."""
    problems: list[tuple[Field, str]] = []
    offered = {key: target for prop in placed for key, target in prop.anchors.items()}
    for side, _ in SIDES:
        place = body.hands.get(side)
        if place is None:
            continue
        target: Target | None = body_target(body, place, side) or offered.get((place, side))
        if target is None:
            problems.append(("hands", _unknown_hand_place(side, place, phase)))
            continue
        body, short = place_hand(body, side, target)
        if short > REACH_SLACK:
            message = f"the {side} hand cannot reach its place '{place}' in the {phase} position ({short:.0f} short)"
            problems.append(("hands", message))
    return body, problems


def _unknown_hand_place(side: str, place: str, phase: Phase) -> str:
    if place in PROP_HAND_PLACES:
        kind = PROP_HAND_PLACES[place].replace("_", " ")
        return f"the {side} hand rests on '{place}' in the {phase} position, but the figure has no {kind} there"
    known = sorted({*BODY_PLACES, *PROP_HAND_PLACES})
    return f"the {side} hand's place '{place}' is not known (known: {', '.join(known)})"


def _foot_problems(pose: Pose) -> list[str]:
    problems = []
    for side, place in pose.feet.items():
        other = "left" if side == "right" else "right"
        if place != f"{other}_knee":
            problems.append(f"the {side} foot can rest only on the {other} knee ('{other}_knee'), not '{place}'")
    return problems


def figure_problems(pose: Pose) -> list[tuple[str, str]]:
    """Why ``pose`` cannot be drawn as it says, each as (field path, message); none if it can: an angle
    beyond what a body does, a prop the exercise's equipment does not list, a prop in a place it cannot
    be, a hand that cannot reach its place, a foot resting on anything but the other knee."""
    problems: list[tuple[str, str]] = []
    for phase, angles in (("start", pose.start), ("end", pose.end)):
        for name, value in angles.items():
            low, high = RANGES[name]
            for side, degrees in _sides(value):
                if not low <= degrees <= high:
                    what = f"{side} {name}" if side else name
                    message = (
                        f"{what.replace('_', ' ')} {degrees:g}° is beyond what a body does ({low:g}° to {high:g}°)"
                    )
                    problems.append((f"pose.{phase}.{name}", message))
    for i, prop in enumerate(pose.props or []):
        if prop.kind not in {"doorway", "pool"} and prop.kind not in pose.equipment:
            message = f"the figure shows a {prop.kind.replace('_', ' ')} the exercise's equipment does not list"
            problems.append((f"pose.props[{i}]", message))
    for found in scenes(pose):
        problems += [(f"pose.{field}", message) for field, message in found.problems]
    return list(dict.fromkeys(problems))


def _sides(value: float | SidedAngle) -> list[tuple[str, float]]:
    if isinstance(value, SidedAngle):
        return [("right", value.right), ("left", value.left)]
    return [("", float(value))]


# --- the camera ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Camera:
    """An orthographic view: the picture's right and up, and the way toward the viewer."""

    right: Vec
    up: Vec
    toward: Vec
    grounded: bool  # the floor is at the bottom of the picture

    def flat(self, p: Vec) -> Point:
        return (dot(p, self.right), dot(p, self.up))

    def depth(self, p: Vec) -> float:
        return dot(p, self.toward)


def camera(pose: Pose, body: Body) -> Camera:
    """The view of ``pose`` (side, front or top) on ``body`` (the start's: one camera for both)."""
    frame = body.frame("pelvis")
    upright = abs(frame.front[1]) < 0.5 and pose.orientation != "side_lying"
    front = _level(frame.front)
    if pose.view == "top" and upright:  # someone upright seen from above: from their front, well above
        return _looking(front, TOP_VIEW, grounded=True)
    toward = {"side": frame.right, "front": frame.front, "top": UP}[pose.view]
    if abs(toward[1]) > 0.9:  # straight down: the head (or, standing, the front) at the top
        ahead = (frame.trunk[0], 0.0, frame.trunk[2])
        up = unit(ahead) if dot(ahead, ahead) > 0.01 else front
        return Camera(unit(cross(up, UP)), up, UP, grounded=False)
    level = _level(toward)
    if pose.view == "side" and upright:
        turn_to, (turn, down) = front, SIDE_VIEW
    elif pose.view == "front" and upright:
        turn_to, (turn, down) = _level(frame.right), FRONT_VIEW
    elif pose.orientation == "side_lying":
        turn_to, (turn, down) = _level(mul(-1.0, frame.trunk)), SIDE_LYING_VIEW
    else:
        turn_to, turn, down = level, 0.0, LYING_VIEW
    r = math.radians(turn)
    level = unit(add(mul(math.cos(r), level), mul(math.sin(r), turn_to)))
    return _looking(level, down, grounded=pose.orientation != "swimming")


def _level(v: Vec) -> Vec:
    return unit((v[0], 0.0, v[2]), fallback=(1.0, 0.0, 0.0))


def _looking(level: Vec, down: float, grounded: bool) -> Camera:
    """A camera on the side ``level`` points to (along the floor), ``down`` degrees above it."""
    r = math.radians(down)
    toward = add(mul(math.cos(r), level), mul(math.sin(r), UP))
    right = unit(cross(UP, toward))
    return Camera(right, unit(cross(toward, right)), toward, grounded)
