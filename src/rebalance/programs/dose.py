"""Sides and dosage for each chosen exercise.

Sides: stretches, releases and nerve glides go only to the side that needs them; strengthening
goes to the weak side, or to both with one extra set on the weaker side when both need it but
one is clearly weaker (to restore symmetry). Dosage starts from the exercise's sourced default
and follows ACSM for older and deconditioned people; a gentle (caution) program does fewer sets.
"""

from __future__ import annotations

from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise
from rebalance.programs.profile import Profile
from rebalance.programs.select import Choice

ONE_SIDED_ONLY = frozenset({"release", "lengthen", "nerve_glide", "mobility"})
STRENGTHENING = frozenset({"activate", "strengthen", "integrate"})
GENTLE_MAX_SETS = 2


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


def dosage(kb: KnowledgeBase, choice: Choice, profile: Profile) -> tuple[dict[str, Any], list[str]]:
    """The item's dosage and the notes that explain any change from the default."""
    d = choice.exercise.dosage
    c = kb.criterion
    out: dict[str, Any] = {
        "sets": d.sets,
        "reps": d.reps,
        "hold_s": d.hold_s,
        "days_per_week": d.days_per_week,
        "rest_s": d.rest_s,
        "source": d.source,
    }
    notes = []
    intent = choice.exercise.intent
    if intent == "lengthen" and profile.older and d.hold_s is not None:
        out["hold_s"] = max(d.hold_s, int(c["stretch_hold_older_s"].value))
        notes.append(f"longer holds for older adults [{c['stretch_hold_older_s'].source}]")
    if intent in STRENGTHENING and d.reps is not None and (profile.older or profile.deconditioned):
        low, high = (
            int(c["reps_deconditioned"].value),
            int(c["reps_deconditioned"].moderate_at or c["reps_deconditioned"].value),
        )
        if not low <= d.reps <= high:
            out["reps"] = min(max(d.reps, low), high)
            notes.append(
                f"{low}-{high} repetitions for an older or deconditioned start [{c['reps_deconditioned'].source}]"
            )
    if intent in STRENGTHENING:
        out["days_per_week"] = min(out["days_per_week"], int(c["strength_days_max"].value))
    if profile.mode == "gentle" and out["sets"] > GENTLE_MAX_SETS:
        out["sets"] = GENTLE_MAX_SETS
        notes.append("fewer sets while a clinician reviews the program")
    if profile.mode == "maintenance" and intent not in ("aerobic", "relaxation"):  # relaxation stays daily
        out["days_per_week"] = min(out["days_per_week"], int(c["maintenance_days"].value))
    return out, notes


def seconds_per_session(ex: Exercise, dose: dict[str, Any], side: str, extra: str | None) -> int:
    """Time one session of the item takes, both sides and rests included."""
    if ex.intent == "aerobic" and dose.get("hold_s"):
        return int(dose["hold_s"]) * int(dose["sets"])
    per_side = ex.seconds_per_set * dose["sets"] + dose["rest_s"] * max(0, dose["sets"] - 1)
    sides_done = 2 if ex.unilateral and side == "both" else 1
    extra_time = ex.seconds_per_set + dose["rest_s"] if extra else 0
    return int(per_side * sides_done + extra_time)
