"""What moves between an exercise's start and end, and the arrows that show it.

``moves(start, end)`` compares the two positions as drawn (each joint's point in the picture) and
picks the parts that move most: a limb turning about the nearest joint that stays put (a leg about the
hip, a shank about the knee, a foot about its heel), the head nodding, the pelvis rising or sinking,
the trunk turning about the hips, the back rounding or arching; at most three, the strongest first,
one arrow a limb. A part carried by another (a hanging arm as the trunk hinges) is not one of them,
nor a planted limb the body moves over, nor a hand resting on something in both positions.
``arrow_points`` is an arrow's path in the end picture: an arc about the pivot, from where the part
started to where it ends, or a straight arrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]
Bounds = tuple[float, float, float, float]  # x0, x1, y0, y1

LIMBS = {"leg": ("hip", "knee", "ankle"), "arm": ("shoulder", "elbow", "wrist")}
FEET = (("heel", "ball"), ("ball", "heel"), ("toe", "ankle"))  # a point of the foot turning about another
KEEP = 0.55  # a move is shown if it is at least this share of the strongest
WEIGHT = {"arm": 0.7, "foot": 2.0, "head": 3.5, "pelvis": 1.3, "spine": 4.0}  # how much a shift counts
ARM_TURN = 45.0  # degrees an arm turns before it counts as a move


@dataclass(frozen=True)
class Move:
    """A part that moves: which (a limb, ``head``, ``pelvis``, ``trunk``, ``spine``), the point that shows
    it, the joint it turns about (none: it moves straight) and how much it moves."""

    part: str
    point: str
    pivot: str | None
    score: float


def moves(a: dict[str, Point], b: dict[str, Point], resting: frozenset[str] = frozenset()) -> list[Move]:
    """The parts that move most from ``a`` (the start's points) to ``b`` (the end's); ``resting``: the sides
    whose hands rest on something in both positions."""
    candidates = [m for m in (*_limb_moves(a, b, resting), *_body_moves(a, b)) if not _carried(m, a, b)]
    swings = [m for m in candidates if m.part.endswith("_arm") and _turn(m, a, b) < ARM_TURN]
    if len(swings) < len(candidates):  # an arm's small swing (walking) only when nothing else moves
        candidates = [m for m in candidates if m not in swings]
    best: dict[str, Move] = {}
    for move in sorted(candidates, key=lambda m: -m.score):
        best.setdefault(move.part, move)
    for limb in ("leg", "arm"):  # both sides moving alike: the arrow on the right only
        right, left = best.get(f"right_{limb}"), best.get(f"left_{limb}")
        if right and left and _alike(right, left, a, b):
            del best[f"left_{limb}"]
    ranked = sorted(best.values(), key=lambda m: -m.score)
    return [m for m in ranked if m.score >= KEEP * ranked[0].score][:3] if ranked else []


def _limb_moves(a: dict[str, Point], b: dict[str, Point], resting: frozenset[str]) -> list[Move]:
    def shift(name: str) -> float:
        return math.dist(a[name], b[name])

    out = []
    for side in ("right", "left"):
        for limb, (root, middle, end) in LIMBS.items():
            if (limb == "arm" and side in resting) or shift(f"{side}_{end}") < 3.0:  # planted: the body moves over it
                continue
            for point in (end, middle):
                moved = shift(f"{side}_{point}")
                if moved >= 5.0:
                    pivot = _pivot(a, b, f"{side}_{middle}" if point == end else None, f"{side}_{root}", moved)
                    out.append(Move(f"{side}_{limb}", f"{side}_{point}", pivot, moved * WEIGHT.get(limb, 1.0)))
        for point, about in FEET:
            moved = shift(f"{side}_{point}")
            if moved >= 4.0 and shift(f"{side}_{about}") < 0.3 * moved:
                out.append(Move(f"{side}_leg", f"{side}_{point}", f"{side}_{about}", moved * WEIGHT["foot"]))
    return out


def _body_moves(a: dict[str, Point], b: dict[str, Point]) -> list[Move]:
    def shift(name: str) -> float:
        return math.dist(a[name], b[name])

    out = []
    if shift("head") >= 3.0 and shift("neck") < 0.5 * shift("head"):
        out.append(Move("head", "head", "neck", shift("head") * WEIGHT["head"]))
    if shift("pelvis") >= 6.0:
        out.append(Move("pelvis", "pelvis", None, shift("pelvis") * WEIGHT["pelvis"]))
    bend = math.dist(_bow(a), _bow(b))
    if bend >= 3.0:  # the back rounding or arching
        out.append(Move("spine", "waist", None, bend * WEIGHT["spine"]))
    turn = math.dist(_minus(b["neck"], b["pelvis"]), _minus(a["neck"], a["pelvis"]))
    if turn >= 5.0 and shift("neck") >= 5.0 and shift("pelvis") < 0.5 * shift("neck"):  # about the hips: a hinge
        out.append(Move("trunk", "neck", "pelvis", turn))
    return out


def _turn(move: Move, a: dict[str, Point], b: dict[str, Point]) -> float:
    """How many degrees a move's point turns about its pivot (a move without one: as if a half turn)."""
    if move.pivot is None:
        return 180.0
    s, e = _minus(a[move.point], a[move.pivot]), _minus(b[move.point], b[move.pivot])
    sweep = math.atan2(e[1], e[0]) - math.atan2(s[1], s[0])
    return abs(math.degrees((sweep + math.pi) % (2 * math.pi) - math.pi))


def _bow(points: dict[str, Point]) -> Point:
    """How far the waist stands off the line from the pelvis to the neck (the back's curve)."""
    return _minus(points["waist"], _mid(points["pelvis"], points["neck"]))


def _mid(p: Point, q: Point) -> Point:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def _minus(p: Point, q: Point) -> Point:
    return (p[0] - q[0], p[1] - q[1])


def _carried(move: Move, a: dict[str, Point], b: dict[str, Point]) -> bool:
    """A limb's point that moves straight about as the limb's root (an arm's shoulder, a leg's pelvis) does
    is carried by it."""
    if move.pivot is not None or move.part in {"pelvis", "trunk", "head", "spine"}:
        return False
    side, limb = move.part.split("_")
    root = f"{side}_shoulder" if limb == "arm" else "pelvis"
    own = _minus(_minus(b[move.point], a[move.point]), _minus(b[root], a[root]))
    return math.hypot(*own) < 0.6 * math.dist(a[move.point], b[move.point])


def _alike(right: Move, left: Move, a: dict[str, Point], b: dict[str, Point]) -> bool:
    if right.point.removeprefix("right_") != left.point.removeprefix("left_"):
        return False
    dr, dl = _minus(b[right.point], a[right.point]), _minus(b[left.point], a[left.point])
    return math.dist(dr, dl) < 0.35 * max(math.hypot(*dr), math.hypot(*dl))


def _pivot(a: dict[str, Point], b: dict[str, Point], middle: str | None, root: str, moved: float) -> str | None:
    """The joint a moving point turns about: the nearest up its limb that stays (nearly) put."""
    for joint in (middle, root):
        if joint is not None and math.dist(a[joint], b[joint]) < 0.3 * moved:
            return joint
    return None


def arrow_points(move: Move, a: dict[str, Point], b: dict[str, Point], bounds: Bounds, floor: bool) -> list[Point]:
    """The arrow of ``move`` in the end picture (within ``bounds``, above the floor if there is one), from
    tail to head; none if it moves too little to show."""
    if move.pivot is not None:
        arc = _arc(move, a, b, bounds, floor)
        if arc:
            return arc
    if move.point == "waist":  # the back bending: a short arrow up to the trunk, the way it bends
        d = _minus(_bow(b), _bow(a))
        n = math.hypot(*d) or 1.0
        e = b["waist"]
        head = (e[0] - d[0] / n * 12.0, e[1] - d[1] / n * 12.0)
        return [(head[0] - d[0] / n * 12.0, head[1] - d[1] / n * 12.0), head]
    s, e = a[move.point], b[move.point]
    length = math.dist(s, e)
    if length < 4.0:
        return []
    ux, uy = (e[0] - s[0]) / length, (e[1] - s[1]) / length
    stop = {"pelvis": 11.0}.get(move.point, 6.0)  # short of the part, so the head shows beside it
    tail, head = (s[0] - ux * 2.0, s[1] - uy * 2.0), (e[0] - ux * stop, e[1] - uy * stop)
    if math.dist(tail, head) < 8.0:
        tail = (head[0] - ux * 8.0, head[1] - uy * 8.0)
    return [tail, head]


def _arc(move: Move, a: dict[str, Point], b: dict[str, Point], bounds: Bounds, floor: bool) -> list[Point]:
    """An arc about the pivot (as it is in the end), just outside the moving part, or inside its sweep if
    that would leave the picture or cross the floor; none for a turn too small to show as one."""
    if move.pivot is None:
        return []
    pivot = b[move.pivot]
    s = _minus(a[move.point], _minus(a[move.pivot], pivot))  # the start's point, as if the pivot stood still
    e = b[move.point]
    a0 = math.atan2(s[1] - pivot[1], s[0] - pivot[0])
    sweep = (math.atan2(e[1] - pivot[1], e[0] - pivot[0]) - a0 + math.pi) % (2 * math.pi) - math.pi
    if abs(sweep) < math.radians(12):
        return []
    steps = max(4, int(abs(math.degrees(sweep)) / 6))
    margin = min(0.2, math.radians(4) / abs(sweep))
    near, far = sorted((math.dist(s, pivot), math.dist(e, pivot)))
    points: list[Point] = []
    for radius in (far + 9.0, 0.6 * near):
        points = [
            (pivot[0] + radius * math.cos(a0 + sweep * t), pivot[1] + radius * math.sin(a0 + sweep * t))
            for t in (margin + (1 - 2 * margin) * i / steps for i in range(steps + 1))
        ]
        if _inside(points, bounds, floor):
            break
    return points


def _inside(points: list[Point], bounds: Bounds, floor: bool) -> bool:
    x0, x1, y0, y1 = bounds
    return all(x0 - 8 <= x <= x1 + 8 and y0 - 8 <= y <= y1 + 8 and (not floor or y > 2.0) for x, y in points)


def ghost_parts(move: Move) -> tuple[str, ...]:
    """The body parts a move's faded starting place shows (the foot, the head, a whole limb), or none."""
    if move.pivot is None or move.part in {"trunk", "pelvis", "spine"}:
        return ()
    if move.part == "head":
        return ("head",)
    side, limb = move.part.split("_")
    if move.pivot.endswith(("_heel", "_ball", "_ankle")):
        return (f"{side}_foot",)
    return (f"{side}_{limb}", f"{side}_{'foot' if limb == 'leg' else 'hand'}")


def turns_at_middle(move: Move) -> bool:
    """The move turns at the knee or the elbow (only the shank or the forearm and beyond move)."""
    return move.pivot is not None and move.pivot.endswith(("_knee", "_elbow"))
