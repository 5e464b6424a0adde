"""The week: which items on which day, never more than the minutes a session has.

Each item brings a ladder of doses (:func:`~rebalance.programs.dose.ladder`), from the least the
guidelines allow (2 days a week, fewer sets or minutes) up to the dose prescribed. The week is
filled in three passes, each in the items' order of importance:

1. every item at its least dose: an item that does not fit even so is left out (so lowering every
   dose comes before leaving anything out, and a less important item gives way first);
2. each item up its ladder as far as a standard dose (strength work its full dose; stretches,
   releases and relaxation 3 days a week; aerobic work its starting dose);
3. each item up to its full dose (daily stretching and relaxation) where the minutes allow.

Releases come last and stay at their least dose until every strength and activation item has its
full dose: a foam roll never takes the time a glute bridge needs.

An item sits on the same seconds every day it is placed, so the dose it states is exactly what the
week holds. Strength and activation days are kept apart (a day between them, 48 hours' rest);
other items go to the least-filled days, spread across the week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Need:
    """What one item asks of the week: its ladder of (days a week, seconds a day), least first."""

    exercise_id: str
    rungs: tuple[tuple[int, int], ...]
    standard: int  # the highest rung the second pass may reach
    spaced: bool  # strength work: never on two days in a row
    adjunct: bool = False  # a release: above its least only once all strength work has its full dose


@dataclass(slots=True)
class Day:
    name: str
    budget: int
    items: dict[str, int] = field(default_factory=dict)  # exercise id -> seconds

    @property
    def used(self) -> int:
        return sum(self.items.values())

    def room(self) -> int:
        return self.budget - self.used


def _gaps(days: tuple[int, ...]) -> list[int]:
    """Days from each chosen day to the next, round the week."""
    ordered = sorted(days)
    return [(b - a) % 7 or 7 for a, b in zip(ordered, ordered[1:] + ordered[:1], strict=True)]


def _spread(days: tuple[int, ...]) -> int:
    gaps = _gaps(days)
    return max(gaps) - min(gaps)


def _apart(days: tuple[int, ...]) -> bool:
    return len(days) < 2 or min(_gaps(days)) >= 2


DAY_CHOICES = {
    count: tuple(
        (days, sum(1 << d for d in days), _spread(days), _apart(days)) for days in combinations(range(7), count)
    )
    for count in range(1, 8)
}
"""Every choice of ``count`` days of the week, with its days as bits, its spread and whether its days are
apart: worked out once (``bench_program``: fitting the week went over them again for every item it placed)."""


def _choose(week: list[Day], count: int, seconds: int, spaced: bool) -> tuple[int, ...] | None:
    """The days for a new item: room on each; strength work on days apart and evenly spread, the rest on
    the least-filled days (the fullest of its days as empty as can be, then evenly spread, then earliest)."""
    used = [d.used for d in week]
    roomy = sum(1 << i for i, d in enumerate(week) if d.budget - used[i] >= seconds)
    fits = [
        (spread, days, bits)
        for days, bits, spread, apart in DAY_CHOICES.get(count, ())
        if bits & roomy == bits and (apart or not spaced)
    ]
    if spaced and fits:
        least = min(fit[0] for fit in fits)
        fits = [fit for fit in fits if fit[0] == least]
    for level in sorted(set(used)):  # the least-filled choices: those whose fullest day is filled to ``level``
        under = sum(1 << i for i, u in enumerate(used) if u <= level)
        within = [fit for fit in fits if fit[2] & under == fit[2]]
        if within:
            return min(within)[1]
    return None


def _raise(week: list[Day], need: Need, days: tuple[int, ...], rung: int) -> tuple[int, ...] | None:
    """The item's days one rung up (one more day, or more seconds on each of its days), or None."""
    count, seconds = need.rungs[rung + 1]
    before = need.rungs[rung][1]
    if any(week[d].room() + before < seconds for d in days):
        return None
    if count == len(days):
        return days
    free = [
        d for d in range(7) if d not in days and week[d].room() >= seconds and (not need.spaced or _apart((*days, d)))
    ]
    if count != len(days) + 1 or not free:
        return None
    best = min(free, key=lambda d: (_spread((*days, d)), week[d].used, d) if need.spaced else (week[d].used, d))
    return tuple(sorted((*days, best)))


def _put(week: list[Day], exercise_id: str, days: tuple[int, ...], seconds: int) -> None:
    for d in range(7):
        week[d].items.pop(exercise_id, None)
    for d in days:
        week[d].items[exercise_id] = seconds


Placed = dict[int, tuple[int, tuple[int, ...]]]  # need index -> (rung, days)


def _repack(needs: list[Need], rungs: dict[int, int], minutes: int) -> tuple[list[Day], Placed] | None:
    """Every need at the given rung, placed afresh, longest first (strength work first among equals):
    a week the day-by-day placement missed, or None."""
    week = [Day(name, minutes * 60) for name in DAYS]
    placed: Placed = {}
    for i in sorted(rungs, key=lambda i: (-needs[i].rungs[rungs[i]][1], not needs[i].spaced, i)):
        count, seconds = needs[i].rungs[rungs[i]]
        days = _choose(week, count, seconds, needs[i].spaced)
        if days is None:
            return None
        _put(week, needs[i].exercise_id, days, seconds)
        placed[i] = (rungs[i], days)
    return week, placed


def fit(needs: list[Need], minutes: int) -> tuple[list[Day], list[int | None]]:
    """Place ``needs`` (most important first) into seven days of ``minutes``.

    Returns the week and, per need, the rung it reached (None: left out). A step that does not fit
    where the items sit is tried once more with the whole week placed afresh.
    """
    week = [Day(name, minutes * 60) for name in DAYS]
    placed: Placed = {}

    def afresh(i: int, rung: int) -> bool:
        nonlocal week, placed
        repacked = _repack(needs, {**{j: r for j, (r, _) in placed.items()}, i: rung}, minutes)
        if repacked is not None:
            week, placed = repacked
        return repacked is not None

    for i, need in enumerate(needs):
        count, seconds = need.rungs[0]
        days = _choose(week, count, seconds, need.spaced)
        if days is not None:
            _put(week, need.exercise_id, days, seconds)
            placed[i] = (0, days)
        else:
            afresh(i, 0)

    def strength_full() -> bool:
        return all(placed[j][0] == len(n.rungs) - 1 for j, n in enumerate(needs) if n.spaced and j in placed)

    for final in (False, True):
        for i, need in enumerate(needs):
            top = len(need.rungs) - 1 if final else need.standard
            if need.adjunct and not strength_full():
                continue
            while i in placed and placed[i][0] < top:
                rung, days = placed[i]
                raised = _raise(week, need, days, rung)
                if raised is not None:
                    _put(week, need.exercise_id, raised, need.rungs[rung + 1][1])
                    placed[i] = (rung + 1, raised)
                elif not afresh(i, rung + 1):
                    break
    return week, [placed[i][0] if i in placed else None for i in range(len(needs))]


def schedule_document(week: list[Day], order: list[str]) -> list[dict[str, Any]]:
    """The contract's week: per day its minutes and its items (in the program's order) with their seconds."""
    rank = {ex_id: i for i, ex_id in enumerate(order)}
    return [
        {
            "day": d.name,
            "minutes": round(d.used / 60, 1),
            "items": [
                {"exercise_id": e, "seconds": s} for e, s in sorted(d.items.items(), key=lambda x: rank.get(x[0], 0))
            ],
        }
        for d in week
    ]
