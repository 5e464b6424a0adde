"""Analysis -> program: the contract's ``program`` block, attached to the analysis document.

Emergency and urgent safety withhold the program (``program: null``). Otherwise: a profile of
the client, the exercises chosen for the findings in corrective order, sides and dosage, a week
that fits the minutes available, phases, a reassessment date, habits tied to the findings they
protect, hands-on care for what home exercise cannot reach, and the warnings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.programs.dose import dosage, seconds_per_session, sides
from rebalance.programs.profile import Profile, make_profile
from rebalance.programs.schedule import days_scheduled, plan_week, schedule_document
from rebalance.programs.select import Choice, select
from rebalance.reasoning.analyse import Analysis
from rebalance.reasoning.safety import withholds_program

PHASES = {
    "full": [
        {
            "name": "Release and activate",
            "weeks": "1-2",
            "goal": "Ease the tight muscles, wake up the weak ones and learn to hold the core steady.",
        },
        {
            "name": "Strengthen",
            "weeks": "3-4",
            "goal": "Build strength and endurance; progress an exercise after two good sessions in a row (2-for-2).",
        },
        {
            "name": "Integrate",
            "weeks": "5-6",
            "goal": "Carry the new control into standing, lifting and daily movement; reassess and adjust.",
        },
    ],
    "gentle": [
        {
            "name": "Settle",
            "weeks": "1-2",
            "goal": "Gentle movement, nerve glides and breathing within comfort, while a clinician reviews.",
        },
        {
            "name": "Build gently",
            "weeks": "3-4",
            "goal": "Add and progress exercises only as the clinician advises and pain allows.",
        },
    ],
    "maintenance": [
        {
            "name": "Maintain",
            "weeks": "ongoing",
            "goal": "Keep the balance you have regained, two or three days a week, and keep the good habits.",
        },
    ],
}
PAIN_RULE = (
    "Pain is the stop signal: do everything you can do without pain. Mild stretch discomfort is fine; "
    "stop an exercise that brings on or increases your pain."
)
SIDE_WORDS = {"left": "left ", "right": "right ", None: ""}


def _finding_phrase(kb: KnowledgeBase, f: dict[str, Any]) -> str:
    target = kb.muscle[f["target"]].name.lower() if f["target"] in kb.muscle else f["target"].replace("_", " ")
    label = {
        "tight": "tight",
        "weak": "weak",
        "asymmetry": "weaker side on",
        "ratio": "low ratio:",
        "posture": "posture:",
        "movement": "squat:",
        "neural": "sensitive",
        "joint": "painful",
    }[f["kind"]]
    return f"{label} {SIDE_WORDS[f['side']]}{target}".replace("  ", " ")


def item_why(kb: KnowledgeBase, choice: Choice, notes: list[str]) -> str:
    """Why an item is in the program: what it does, the findings it addresses, any change of dose."""
    ex = choice.exercise
    verb = {
        "release": "Releases",
        "lengthen": "Lengthens",
        "mobility": "Mobilises",
        "activate": "Wakes up",
        "strengthen": "Strengthens",
        "integrate": "Trains control of",
        "nerve_glide": "Glides",
        "relaxation": "Relaxes",
        "aerobic": "Conditions",
    }[ex.intent]
    muscles = ", ".join(kb.muscle[m].name.lower() for m in ex.primary)
    text = f"{verb} {muscles}"
    if choice.addresses:
        text += "; addresses " + "; ".join(_finding_phrase(kb, f) for f in choice.addresses[:4])
    if choice.reason:
        text += ". " + choice.reason
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return text + ("." if not text.endswith(".") else "")


def item_document(
    kb: KnowledgeBase,
    choice: Choice,
    profile: Profile,
    side: str,
    extra: dict[str, Any] | None,
    *,
    why_prefix: str = "",
    priority: float | None = None,
    essential: bool | None = None,
) -> dict[str, Any]:
    """One program item: the exercise, its side, dose and reasons (the builder and edits use it)."""
    ex = choice.exercise
    dose, notes = dosage(kb, choice, profile)
    item: dict[str, Any] = {
        "exercise_id": ex.id,
        "name": ex.name,
        "intent": ex.intent,
        "side": side,
        "addresses": [f["id"] for f in choice.addresses],
        "dosage": dose,
        "why": why_prefix + item_why(kb, choice, notes),
        "difficulty": ex.difficulty,
        "priority": round(choice.priority, 2) if priority is None else priority,
        "essential": choice.essential if essential is None else essential,
    }
    if extra:
        item["extra"] = extra
    item["seconds_per_session"] = seconds_per_session(ex, dose, side, (extra or {}).get("side"))
    return item


def _item(kb: KnowledgeBase, choice: Choice, profile: Profile) -> dict[str, Any]:
    side, weaker = sides(choice)
    extra = (
        {"side": weaker, "sets": 1, "why": f"one extra set on the weaker {weaker} side to restore symmetry"}
        if weaker
        else None
    )
    return item_document(kb, choice, profile, side, extra)


def _habits(analysis: Analysis, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    present = {f["id"]: f for f in findings}
    out = []
    for active in analysis.factors:
        produced = set(active.factor.tends_to_produce)
        tied = sorted(
            fid
            for fid, f in present.items()
            if f"{f['kind']}:{f['target']}" in produced and (active.side is None or f["side"] in (None, active.side))
        )
        for advice in active.factor.advice:
            out.append(
                {
                    "id": advice.id,
                    "advice": advice.text,
                    "addresses": tied,
                    "factor": active.factor.id,
                    "prevents": list(active.factor.tends_to_produce),
                }
            )
    return out


def _warnings(kb: KnowledgeBase, analysis: Analysis, profile: Profile) -> list[str]:
    out = [PAIN_RULE]
    if profile.mode == "gentle":
        out.append("A clinician must review this program before you start: " + analysis.document["safety"]["message"])
    if profile.neural:
        out.append(
            "While leg pain from a nerve root persists: nerve glides, not hard hamstring stretching; "
            "stop if pain, tingling or numbness spreads further down the leg."
        )
    for cid in sorted(profile.conditions):
        cond = kb.conditions[cid]
        kept = "Kept as a precaution until a doctor has checked: " if cid in profile.screened else ""
        out.append(f"{kept}{cond.name}: " + "; ".join(cond.precautions) + ".")
    return out


def fit_week(kb: KnowledgeBase, program: dict[str, Any]) -> dict[str, Any]:
    """Place the program's items into its week; the dosage states the days the week holds.

    Used when a program is built and whenever its items change (progression, revision).
    Returns the program with ``items``, ``schedule``, ``sessions_per_week`` and the time
    warnings updated.
    """
    minutes = program["minutes_per_session"]
    items = [dict(i, dosage=dict(i["dosage"])) for i in program["items"]]
    for item in items:
        extra = (item.get("extra") or {}).get("side")
        item["seconds_per_session"] = seconds_per_session(
            kb.exercise[item["exercise_id"]], item["dosage"], item["side"], extra
        )
    by_priority = sorted(items, key=lambda i: (-i["priority"], i["exercise_id"]))
    week, dropped = plan_week(by_priority, minutes, int(kb.criterion["min_aerobic_s"].value))
    kept, notes = [], []
    for item in items:
        if item["exercise_id"] in dropped:
            notes.append(
                f"{item['name']} did not fit into the session time and was left out; "
                "more minutes a session would allow it."
            )
            continue
        days = days_scheduled(week, item["exercise_id"])
        if days < item["dosage"]["days_per_week"]:
            notes.append(
                f"{item['name']} fits on {days} of {item['dosage']['days_per_week']} days in {minutes} minutes."
            )
            item["dosage"]["days_per_week"] = days
        kept.append(item)
    fixed = [w for w in program.get("warnings", []) if "did not fit" not in w and " fits on " not in w]
    return {
        **program,
        "items": kept,
        "schedule": schedule_document(week),
        "sessions_per_week": sum(1 for d in week if d.items),
        "warnings": fixed + notes,
    }


def build_program(kb: KnowledgeBase, analysis: Analysis, minutes: int = 20) -> dict[str, Any] | None:
    """The program for an analysis, or None when safety withholds it."""
    doc = analysis.document
    if withholds_program(doc["safety"]["level"]):
        return None
    profile = make_profile(kb, analysis.case, doc)
    choices, hands_on = select(kb, profile, doc["findings"])
    reassess = kb.criterion["reassess_weeks"]
    weeks = {"full": reassess.value, "gentle": reassess.moderate_at, "maintenance": reassess.severe_at}[profile.mode]
    weeks_int = int(weeks or reassess.value)
    program = {
        "version": 1,
        "based_on": analysis.case.assessment.date.isoformat(),
        "client": {  # what progression must respect when it changes an exercise
            "conditions": sorted(profile.conditions),
            "equipment": sorted(profile.equipment),
            "level": profile.level,
            "neural": profile.neural,
            "older": profile.older,
            "deconditioned": profile.deconditioned,
            "baseline_pain": analysis.case.assessment.symptoms.pain_now,
        },
        "mode": profile.mode,
        "start_level": profile.level,
        "start_level_reasons": list(profile.reasons),
        "minutes_per_session": minutes,
        "sessions_per_week": 0,
        "reassess_after_weeks": weeks_int,
        "reassess_on": (analysis.case.assessment.date + dt.timedelta(weeks=weeks_int)).isoformat(),
        "phases": PHASES[profile.mode],
        "items": [_item(kb, c, profile) for c in choices],
        "schedule": [],
        "habits": _habits(analysis, doc["findings"]),
        "hands_on": hands_on,
        "warnings": _warnings(kb, analysis, profile),
    }
    return fit_week(kb, program)


def attach_program(kb: KnowledgeBase, analysis: Analysis, minutes: int = 20) -> Analysis:
    analysis.document["program"] = build_program(kb, analysis, minutes)
    return analysis
