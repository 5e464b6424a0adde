"""Sides, dosage and the ladder of doses that fits an item to the week.

Sides: stretches, releases and nerve glides go only to the side that needs them; strengthening
goes to the weak side, or to both with one extra set on the weaker side when both need it but
one is clearly weaker (to restore symmetry).

Dosage starts from the exercise's sourced default and follows ACSM for older and deconditioned
people; a gentle (caution) program does fewer sets. Each dose has a kind (:func:`dose_kind`):
``timed`` activities (walking, cycling, swimming, breathing practice) in minutes, ``hold`` exercises
in seconds held, ``reps`` exercises in repetitions. Aerobic work starts where the person is
(``aerobic_start``) and builds up toward the exercise's aim of 30 minutes on 5 days
(:func:`build_up`).

When the minutes a session do not hold every full dose, an item climbs down its :func:`ladder`
(fewer sets or minutes, fewer days, never below 2 days a week) before anything is left out
(:mod:`rebalance.programs.schedule`).
"""

from __future__ import annotations

import math
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import DoseKind, Exercise
from rebalance.programs.profile import Profile
from rebalance.programs.select import Choice

STRENGTHENING = frozenset({"activate", "strengthen", "integrate"})
GENTLE_MAX_SETS = 2
DOSE_FIELDS = ("sets", "reps", "hold_s", "minutes", "days_per_week")  # what a log, an edit or a step may change


def dose_kind(ex: Exercise) -> DoseKind:
    """How an exercise is dosed, logged and progressed: ``timed`` (minutes), ``hold`` (seconds) or ``reps``."""
    return ex.dosage.kind


def sides(choice: Choice) -> tuple[str, str | None]:
    """(side, weaker side for an extra set or None)."""
    ex = choice.exercise
    if not ex.unilateral:
        return "both", None
    found = {f["side"] for f in choice.addresses}
    side = "both" if not found or None in found or found == {"left", "right"} else str(found.pop())
    if side != "both" or ex.intent not in STRENGTHENING:
        return side, None
    return "both", _weaker(choice)


def _weaker(choice: Choice) -> str | None:
    """The weaker side, from asymmetry findings or weaknesses that are worse on one side."""
    score = {"left": 0.0, "right": 0.0}
    for f in choice.addresses:
        if f["side"] in score and f["kind"] in ("asymmetry", "weak"):
            score[f["side"]] += {"mild": 1, "moderate": 2, "severe": 3}[f["severity"]] * f["confidence"]
    if score["left"] == score["right"]:
        return None
    return "left" if score["left"] > score["right"] else "right"


def _aerobic_start(kb: KnowledgeBase, ex: Exercise, profile: Profile) -> tuple[int, int]:
    """(minutes, days a week) aerobic work starts at: lower for an older, deconditioned or gentle start."""
    low = profile.older or profile.deconditioned or profile.mode == "gentle"
    start, days = kb.criterion["aerobic_start"], kb.criterion["aerobic_start_days"]
    minutes = int(start.value if low else start.moderate_at or start.value)
    count = int(days.value if low else days.moderate_at or days.value)
    return min(int(ex.dosage.minutes or minutes), minutes), min(ex.dosage.days_per_week, count)


def dosage(kb: KnowledgeBase, choice: Choice, profile: Profile) -> tuple[dict[str, Any], list[str]]:
    """The item's dosage and the notes that explain any change from the default."""
    ex = choice.exercise
    d = ex.dosage
    c = kb.criterion
    out: dict[str, Any] = {
        "kind": d.kind,
        "sets": d.sets,
        "reps": d.reps,
        "hold_s": d.hold_s,
        "minutes": d.minutes,
        "days_per_week": d.days_per_week,
        "rest_s": d.rest_s,
        "source": d.source,
    }
    notes = []
    intent = ex.intent
    if intent == "aerobic":
        out["minutes"], out["days_per_week"] = _aerobic_start(kb, ex, profile)
    if intent == "lengthen" and profile.older and d.hold_s is not None:
        out["hold_s"] = max(d.hold_s, int(c["stretch_hold_older_s"].value))
        notes.append("longer holds, which suit older muscles better")
    # ACSM's 10-15 repetitions are for dynamic sets; McGill's short endurance holds keep their count
    if intent in STRENGTHENING and d.kind == "reps" and d.hold_s is None and (profile.older or profile.deconditioned):
        low, high = (
            int(c["reps_deconditioned"].value),
            int(c["reps_deconditioned"].moderate_at or c["reps_deconditioned"].value),
        )
        if d.reps is not None and not low <= d.reps <= high:
            out["reps"] = min(max(d.reps, low), high)
            notes.append(f"{low} to {high} repetitions, a gentler start")
    if intent in STRENGTHENING:
        out["days_per_week"] = min(out["days_per_week"], int(c["strength_days_max"].value))
    if profile.mode == "gentle" and out["sets"] > GENTLE_MAX_SETS:
        out["sets"] = GENTLE_MAX_SETS
        notes.append("fewer sets while a clinician reviews the program")
    if profile.mode == "maintenance" and intent not in ("aerobic", "relaxation"):  # relaxation stays daily
        out["days_per_week"] = min(out["days_per_week"], int(c["maintenance_days"].value))
    return out, notes


def build_up(kb: KnowledgeBase, ex: Exercise) -> dict[str, Any] | None:
    """How aerobic work grows toward its aim (the exercise's own dose), or None for other exercises."""
    if ex.intent != "aerobic" or ex.dosage.minutes is None:
        return None
    step = int(kb.criterion["aerobic_steps"].value) // 60
    aim, days = ex.dosage.minutes, ex.dosage.days_per_week
    return {
        "step_minutes": step,
        "aim_minutes": aim,
        "aim_days_per_week": days,
        "aim_minutes_per_week": aim * days,
        "text": (
            f"Add {step} minutes after two good sessions in a row, up to {aim} minutes on {days} days a week "
            f"({aim * days} minutes a week). Activity outside these sessions counts too."
        ),
    }


def normalised(ex: Exercise, dose: dict[str, Any]) -> dict[str, Any]:
    """A dose in today's shape: its kind stated, and a timed activity stored before minutes existed
    (its length as ``hold_s``) given in minutes."""
    out = dict(dose)
    out.setdefault("kind", ex.dosage.kind)
    out.setdefault("minutes", None)
    if ex.dosage.kind == "timed" and out["minutes"] is None:
        out.update(minutes=max(1, round((out.get("hold_s") or 60 * (ex.dosage.minutes or 1)) / 60)), hold_s=None)
        out.update(sets=1, reps=None, kind="timed")
    return out


def set_seconds(ex: Exercise, dose: dict[str, Any]) -> int:
    """Time one set takes at this dose: the exercise's set time, scaled for more repetitions or longer holds."""
    d = ex.dosage
    seconds = float(ex.seconds_per_set)
    if d.reps and dose.get("reps"):
        seconds *= dose["reps"] / d.reps
    if d.hold_s and dose.get("hold_s"):
        seconds += (dose["hold_s"] - d.hold_s) * (dose.get("reps") or 1)
    return max(1, round(seconds))


def seconds_per_session(ex: Exercise, dose: dict[str, Any], side: str, extra: str | None) -> int:
    """Time one session of the item takes, both sides and rests included."""
    if dose.get("minutes"):
        return int(dose["minutes"]) * 60 * int(dose.get("sets") or 1)
    per_set = set_seconds(ex, dose)
    per_side = per_set * dose["sets"] + dose["rest_s"] * max(0, dose["sets"] - 1)
    sides_done = 2 if ex.unilateral and side == "both" else 1
    extra_time = per_set + dose["rest_s"] if extra else 0
    return int(per_side * sides_done + extra_time)


def _least_sets(kb: KnowledgeBase, ex: Exercise, dose: dict[str, Any]) -> int:
    """Fewest sets a session keeps: a stretch keeps its 60 s a session (garber_2011), the rest one set."""
    if ex.intent == "lengthen" and dose.get("hold_s"):
        total = kb.criterion["stretch_seconds_min"].value
        return min(int(dose["sets"]), math.ceil(total / int(dose["hold_s"])))
    return 1


def ladder(
    kb: KnowledgeBase, ex: Exercise, dose: dict[str, Any], session_minutes: int
) -> tuple[list[dict[str, Any]], int]:
    """The doses an item may be given, least first and ``dose`` (the prescription) last, and the index
    of the standard dose the week's second pass may reach.

    Least: 2 days a week (``min_days_per_week``), one set (a stretch its 60 s), a 10-minute bout (the
    whole session when sessions are shorter).
    Strength work adds days, up to its 2-3, then sets; stretches, releases, glides and mobility add
    sets, then days (standard: 3 days, daily when time allows); relaxation adds days (standard 3);
    aerobic work adds days, then 5 minutes at a time (standard: its starting dose).
    """
    c = kb.criterion
    full_days = dose["days_per_week"]
    days0 = min(full_days, int(c["min_days_per_week"].value))
    standard_days = max(days0, min(full_days, 3))
    rungs: list[tuple[int, int]]  # (sets or minutes, days)
    if dose.get("minutes"):
        full = int(dose["minutes"])
        bout = min(int(c["min_aerobic_s"].value) // 60, session_minutes)
        least = min(full, bout) if ex.intent == "aerobic" else full
        step = int(c["aerobic_steps"].value) // 60
        rungs = [(least, n) for n in range(days0, full_days + 1)]
        rungs += [(m, full_days) for m in [*range(least + step, full, step), full] if m > least]
        standard = len(rungs) - 1 if ex.intent == "aerobic" else standard_days - days0
        return [dict(dose, minutes=m, days_per_week=n) for m, n in rungs], standard
    sets = int(dose["sets"])
    if ex.intent in STRENGTHENING:
        rungs = [(1, n) for n in range(days0, full_days + 1)] + [(s, full_days) for s in range(2, sets + 1)]
        standard = len(rungs) - 1
    else:
        least = _least_sets(kb, ex, dose)
        rungs = [(s, days0) for s in range(least, sets + 1)] + [(sets, n) for n in range(days0 + 1, full_days + 1)]
        standard = sets - least + standard_days - days0
    return [dict(dose, sets=s, days_per_week=n) for s, n in rungs], standard


def _days_words(days: int) -> str:
    return "every day" if days == 7 else f"{days} day{'s' if days != 1 else ''} a week"


def dose_text(d: dict[str, Any]) -> str:
    """A dose in words: "15 minutes, 5 days a week", "2 sets of 12, 3 days a week", "3 sets, hold 30 s, every day"."""
    days = _days_words(d["days_per_week"])
    minutes = d.get("minutes")
    if minutes is None and d.get("kind") != "hold" and not d.get("reps") and (d.get("hold_s") or 0) >= 180:
        minutes = d["hold_s"] // 60 * d["sets"]  # a timed activity stored before minutes existed
    if minutes:
        return f"{minutes} minute{'s' if minutes != 1 else ''}, {days}"
    sets = f"{d['sets']} set{'s' if d['sets'] != 1 else ''}"
    parts = [f"{sets} of {d['reps']}" if d.get("reps") else sets]
    if d.get("hold_s"):
        parts.append(f"hold {d['hold_s']} s")
    return ", ".join([*parts, days])


FITTED_FIELDS = ("sets", "minutes", "days_per_week")  # the parts of a dose fitting it to a week lowers (:func:`ladder`)


def reduced_note(item: dict[str, Any]) -> str | None:
    """When the week holds less than the prescription, the full dose in words; else None.

    Only the minutes a session make a week hold less: :func:`~rebalance.programs.build.fit_week` gives
    an item a rung of its :func:`ladder` (fewer sets, minutes or days; repetitions and holds as
    prescribed), and the prescription itself when the minutes allow. A dose that is not such a rung
    (a repetition count or hold of its own, anything above the prescription) was not cut for time, and
    the note would not be true: nothing is said."""
    full, dose = item.get("prescribed"), item["dosage"]
    if not full:
        return None
    if any(full.get(k) != dose.get(k) for k in DOSE_FIELDS if k not in FITTED_FIELDS):
        return None
    lower = [k for k in FITTED_FIELDS if full.get(k) != dose.get(k)]
    if not lower or any(full.get(k) is None or dose.get(k) is None or dose[k] > full[k] for k in lower):
        return None
    return f"With more minutes a session, the full dose is {dose_text(full)}."
