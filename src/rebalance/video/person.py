"""One person only: label swaps corrected, another person's frames never mixed in.

BlazePose tracks one person and can silently move to another (on the Sports2D walking clip it
follows the jumping-jacks person, then the walker, then an acrobat); each switch shows as a
one-frame gap and a mid-hip jump of several torso lengths. It also swaps the left and right
labels of a limb (the single-leg clip's raised leg changes label at frames 41, 62 and 66).

- a **swap** is a frame whose left landmarks sit where the previous frame's right ones were,
  and the other way round: corrected, per body part (legs, upper body);
- a **jump** of the mid-hip by more than ``JUMP_TORSOS`` torso lengths since the last tracked
  frame starts another person's segment; only the longest segment is kept, and the clip is
  refused when it holds less than ``MIN_SHARE`` of the tracked frames, or when a probe saw a
  second person of comparable size (:func:`rebalance.video.pose.other_person`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rebalance.errors import InvalidInputError, Problem
from rebalance.video.landmarks import INDEX, LEG_PAIRS, UPPER_PAIRS, Array, Mask, Track

SWAP_RATIO = 0.5  # swapped labels fit the previous frame at least twice as well as the given ones
JUMP_TORSOS = 1.0  # a mid-hip jump of a torso length or more between tracked frames: someone else
MIN_SHARE = 0.8  # the person kept must make up this share of the frames where anyone was tracked
OTHER_PERSON_HEIGHT = 0.5  # a second person at least half the tracked one's height counts

Frames = NDArray[np.intp]


@dataclass(frozen=True)
class OnePerson:
    """The track reduced to one person, with what was done to get there."""

    track: Track
    swaps: list[tuple[int, str]]  # (frame, "legs" | "upper body") corrected
    segments: list[tuple[int, int]]  # [first, last] frames of each person the tracker followed
    kept: tuple[int, int]


def _swap_costs(xy: Array, frames: Frames, pairs: list[tuple[int, int]]) -> tuple[Array, Array]:
    """For each tracked frame after the first, how far its left/right points moved from the tracked
    frame before it: (labels as given, labels swapped), over ``pairs``."""
    left, right = [p[0] for p in pairs], [p[1] for p in pairs]
    now, before = xy[frames[1:]], xy[frames[:-1]]

    def moved(a: list[int], b: list[int]) -> Array:
        out: Array = np.linalg.norm(now[:, a] - before[:, b], axis=2)
        return out

    same = np.nansum(moved(left, left) + moved(right, right), axis=1)
    cross = np.nansum(moved(left, right) + moved(right, left), axis=1)
    return same, cross


def _body_costs(now: Array) -> tuple[Array, Array]:
    """How well the shoulders' labels fit the hips' in the same frame: (as given, swapped)."""
    ls, rs, lh, rh = (now[:, INDEX[n]] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
    same = np.linalg.norm(ls - lh, axis=1) + np.linalg.norm(rs - rh, axis=1)
    cross = np.linalg.norm(ls - rh, axis=1) + np.linalg.norm(rs - lh, axis=1)
    return same, cross


def correct_swaps(track: Track) -> tuple[Track, list[tuple[int, str]]]:
    """Undo left/right label swaps frame to frame, comparing each frame with the last corrected one.

    The legs are judged by their own motion; the upper body by its motion and by how its
    shoulders sit over the (corrected) hips in the same frame, so that it follows the legs.
    The costs are computed once on the labels as given: against a corrected (swapped) frame
    before, or with the hips swapped, "as given" and "swapped" simply change places.
    """
    frames = np.flatnonzero(track.tracked())
    legs = _swap_costs(track.xy, frames, LEG_PAIRS)
    upper = _swap_costs(track.xy, frames, UPPER_PAIRS)
    body = _body_costs(track.xy[frames[1:]])
    swaps: list[tuple[int, str]] = []
    legs_swapped = upper_swapped = False  # is the frame before swapped from its given labels?
    for k, i in enumerate(frames[1:].tolist()):
        same, cross = legs[legs_swapped][k], legs[not legs_swapped][k]
        legs_swapped = bool(cross < SWAP_RATIO * same)
        body_same, body_cross = body[legs_swapped][k], body[not legs_swapped][k]
        same, cross = upper[upper_swapped][k] + body_same, upper[not upper_swapped][k] + body_cross
        upper_swapped = bool(cross < SWAP_RATIO * same)
        swaps += [(i, part) for part, swapped in (("legs", legs_swapped), ("upper body", upper_swapped)) if swapped]
    xy, vis, world = track.xy.copy(), track.visibility.copy(), track.world.copy()
    for pairs, part in ((LEG_PAIRS, "legs"), (UPPER_PAIRS, "upper body")):
        rows = np.array([i for i, p in swaps if p == part], dtype=int)[:, None]
        order = np.array([b for _, b in pairs] + [a for a, _ in pairs])
        where = np.array([a for a, _ in pairs] + [b for _, b in pairs])
        for arr in (xy, vis, world):
            arr[rows, where] = arr[rows, order]
    fixed = Track(track.path, track.fps, track.width, track.height, xy, vis, world, track.probes, track.frames_declared)
    return fixed, swaps


def segments(track: Track) -> list[tuple[int, int]]:
    """[first, last] tracked frames of each stretch the tracker spent on one person."""
    hip = track.mid("left_hip", "right_hip")
    torso = np.linalg.norm(track.mid("left_shoulder", "right_shoulder") - hip, axis=1)
    out: list[tuple[int, int]] = []
    previous = None
    for i in np.flatnonzero(track.tracked()):
        jumped = previous is not None and np.linalg.norm(hip[i] - hip[previous]) > JUMP_TORSOS * torso[previous]
        if previous is None or jumped:
            out.append((int(i), int(i)))
        else:
            out[-1] = (out[-1][0], int(i))
        previous = i
    return out


def one_person(track: Track) -> OnePerson:
    """Keep one person's frames, labels corrected; refuse a clip without one person clearly in it."""
    where = track.path
    tracked = track.tracked()
    if not tracked.any():
        raise InvalidInputError([Problem(where, "", "no person was found in the video")])
    parts = segments(track)
    longest = max(parts, key=lambda s: int(tracked[s[0] : s[1] + 1].sum()))
    share = tracked[longest[0] : longest[1] + 1].sum() / tracked.sum()
    if share < MIN_SHARE:
        spans = ", ".join(f"{a}-{b}" for a, b in parts)
        why = (
            f"more than one person: the tracking moved between people (frames {spans}), and no one person "
            f"fills {MIN_SHARE:.0%} of the video; film one person alone"
        )
        raise InvalidInputError([Problem(where, "frames", why)])
    others = [f for f, height in track.probes if height >= OTHER_PERSON_HEIGHT]
    if others:
        seen = ", ".join(map(str, others))
        why = f"two people: another person is in the frame (seen at frame {seen}); film one person alone"
        raise InvalidInputError([Problem(where, "frames", why)])
    mask = np.zeros(track.frames, dtype=bool)
    mask[longest[0] : longest[1] + 1] = True
    fixed, swaps = correct_swaps(track.keep(mask))
    return OnePerson(fixed, swaps, parts, longest)


def in_frame(track: Track, names: list[str], min_visibility: float = 0.5) -> Mask:
    """Per frame: are all ``names`` inside the picture and visible?"""
    idx = [INDEX[n] for n in names]
    xy = track.xy[:, idx, :]
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < track.width) & (xy[..., 1] >= 0) & (xy[..., 1] < track.height)
    ok: Mask = np.all(inside & (track.visibility[:, idx] >= min_visibility), axis=1)
    return ok
