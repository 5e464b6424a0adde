"""The week: which items on which day, never more than the minutes the client has.

Items are placed by priority. An item done on fewer than seven days is spread across the week
(strength days apart, for 48 hours' rest); the aerobic item takes what time a day has left, if
that is at least a worthwhile bout, up to its full dose. An item that fits on no day is dropped
with a warning rather than overfilling a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# aerobic days: away from the strength days first (Tue, Thu, Sat, Sun, then the rest)
AEROBIC_DAYS = (1, 3, 5, 6, 0, 2, 4)
SPREAD = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


@dataclass(slots=True)
class Day:
    name: str
    budget: int
    items: list[tuple[str, int]] = field(default_factory=list)  # (exercise id, seconds)

    @property
    def used(self) -> int:
        return sum(s for _, s in self.items)


def _preferred_days(days_per_week: int, offset: int) -> list[int]:
    base = SPREAD[max(1, min(7, days_per_week))]
    return [(d + offset) % 7 for d in base]


def plan_week(items: list[dict[str, Any]], minutes: int, min_aerobic_s: int) -> tuple[list[Day], list[str]]:
    """Place items into seven days of ``minutes`` each.

    Order: essential items (core, nerve glide, relaxation) first, with a minimum aerobic bout
    reserved on the aerobic days; then the corrective items by priority; then the aerobic
    item takes what each of its days has left, up to its full dose.
    """
    week = [Day(name, minutes * 60) for name in DAYS]
    dropped = []
    aerobic = [i for i in items if i["intent"] == "aerobic"]
    reserve = [0] * 7
    for item in aerobic:
        for d in AEROBIC_DAYS[: item["dosage"]["days_per_week"]]:
            reserve[d] = min_aerobic_s
    # essentials first, cheapest first (so a long one cannot crowd out daily breathing); then by priority
    others = sorted(
        (i for i in items if i["intent"] != "aerobic"),
        key=lambda i: (not i.get("essential"), i["seconds_per_session"] if i.get("essential") else 0),
    )
    for item in others:
        wanted = item["dosage"]["days_per_week"]
        preferred = _preferred_days(wanted, offset=0)
        placed = 0
        for d in preferred + [d for d in range(7) if d not in preferred]:  # fall back to other days
            day = week[d]
            if placed < wanted and day.used + reserve[d] + item["seconds_per_session"] <= day.budget:
                day.items.append((item["exercise_id"], item["seconds_per_session"]))
                placed += 1
        if placed == 0:
            dropped.append(item["exercise_id"])
    for item in aerobic:
        placed = 0
        for d in sorted(AEROBIC_DAYS[: item["dosage"]["days_per_week"]]):
            left = week[d].budget - week[d].used
            if left >= min_aerobic_s:
                week[d].items.append((item["exercise_id"], min(item["seconds_per_session"], left)))
                placed += 1
        if placed == 0:
            dropped.append(item["exercise_id"])
    return week, dropped


def days_scheduled(week: list[Day], exercise_id: str) -> int:
    return sum(1 for d in week if any(e == exercise_id for e, _ in d.items))


def schedule_document(week: list[Day]) -> list[dict[str, Any]]:
    return [
        {
            "day": d.name,
            "minutes": round(d.used / 60, 1),
            "items": [{"exercise_id": e, "seconds": s} for e, s in d.items],
        }
        for d in week
    ]
