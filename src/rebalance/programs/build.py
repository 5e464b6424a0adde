"""Analysis -> program: the contract's ``program`` block, attached to the analysis document.

Emergency and urgent safety withhold the program (``program: null``). Otherwise: a profile of
the client, the exercises chosen for the findings in corrective order, sides and dosage, a week
that fits the minutes available, phases, a reassessment date, habits tied to the findings they
protect, hands-on care for what home exercise cannot reach, and the warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import base_id
from rebalance.knowledge.words import finding_list, join, muscle_names, sentence, sentences
from rebalance.programs import pain_rule
from rebalance.programs.dose import (
    STRENGTHENING,
    build_up,
    dosage,
    ladder,
    normalised,
    seconds_per_session,
    sides,
)
from rebalance.programs.minutes import MINUTES_RANGE
from rebalance.programs.profile import Profile, make_profile
from rebalance.programs.schedule import Need, fit, schedule_document
from rebalance.programs.select import Choice, select
from rebalance.reasoning.analyse import Analysis
from rebalance.reasoning.safety import withholds_program

# The phases run up to the reassessment (criterion ``reassess_weeks``: 4 weeks for a full program, 2 for a
# gentle one, 8 in maintenance; rebalance_convention, the sources asking for regular reassessment without a
# fixed interval), where the program is revised: (name, weeks, goal), the last phase's weeks to the
# reassessment.
PHASES: dict[str, list[tuple[str, int | None, str]]] = {
    "full": [
        ("Release and activate", 2, "Ease the tight muscles, wake up the weak ones and learn to hold the core steady."),
        (
            "Strengthen and integrate",
            None,
            "Build strength and endurance, progressing an exercise after two good sessions in a row (2-for-2), "
            "and carry the new control into standing, lifting and daily movement.",
        ),
    ],
    "gentle": [
        ("Settle", None, "Gentle movement, nerve glides and breathing within comfort, while a clinician reviews."),
    ],
    "maintenance": [
        ("Maintain", None, "Keep the balance you have regained, two or three days a week, and keep the good habits."),
    ],
}


def phases(mode: str, reassess_weeks: int) -> list[dict[str, str]]:
    """The program's phases, the last ending at the reassessment: "weeks 3-4 ... At the end of week 4 your clinician
    reassesses you ..."."""
    out, first = [], 1
    for name, length, goal in PHASES[mode]:
        last = first + length - 1 if length else reassess_weeks
        weeks = str(first) if first == last else f"{first}-{last}"
        then = "" if length else f" At the end of week {last} your clinician reassesses you and adjusts the program."
        out.append({"name": name, "weeks": weeks, "goal": goal + then})
        first = last + 1
    return out


def program_phases(program: Mapping[str, Any]) -> list[dict[str, str]]:
    """A program's phases by the current rule (:func:`phases`, from its mode and reassessment interval), as
    every page and report reads them: a program stored before the phases ended at the reassessment shows
    them as they are now. One without a known mode or an interval: its phases as stored."""
    mode, weeks = program.get("mode"), program.get("reassess_after_weeks")
    if mode in PHASES and isinstance(weeks, int) and not isinstance(weeks, bool) and weeks > 0:
        return phases(str(mode), weeks)
    return [{key: str(value) for key, value in phase.items()} for phase in program.get("phases", [])]


# What each kind of exercise does, in the words of its "why": a verb for its muscles, or (timed work
# and nerve glides, whose muscles are not the point) what it does for the person.
DOES = {
    "release": "Eases {muscles}",
    "lengthen": "Stretches {muscles}",
    "mobility": "Keeps {muscles} moving",
    "activate": "Wakes up {muscles}",
    "strengthen": "Strengthens {muscles}",
    "integrate": "Trains {muscles} to work together in everyday movement",
    "nerve_glide": "Helps the nerve slide freely, without stretching it hard",
    "relaxation": "Calms your breathing and eases muscle tension",
    "aerobic": "Builds your fitness",
}


def item_why(kb: KnowledgeBase, choice: Choice, notes: list[str]) -> str:
    """Why an item is in the program, in the patient's words (``knowledge.words``): what it does,
    the findings it works on, any reason of its own and any change of dose."""
    ex = choice.exercise
    parts = [sentence(DOES[ex.intent].format(muscles=muscle_names(kb, ex.primary)))]
    if choice.addresses:
        found = finding_list(kb, [f["id"] for f in choice.addresses[:4]])
        parts.append(sentence(f"It works on {found}"))
    if choice.reason:
        parts.append(sentence(choice.reason))
    if notes:
        parts.append(sentence("The dose allows for " + join(notes)))
    return " ".join(parts)


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
    key: bool = False,
) -> dict[str, Any]:
    """One program item: the exercise, its side, dose and reasons (the builder and edits use it).

    ``dosage`` is what the week holds (set by :func:`fit_week`), ``prescribed`` the dose before it
    was fitted to the minutes a session; ``key`` marks an item the leading pattern depends on."""
    ex = choice.exercise
    dose, notes = dosage(kb, choice, profile)
    grow = build_up(kb, ex)
    why = why_prefix + item_why(kb, choice, notes)
    item: dict[str, Any] = {
        "exercise_id": ex.id,
        "name": ex.name,
        "intent": ex.intent,
        "side": side,
        "addresses": [f["id"] for f in choice.addresses],
        "dosage": dose,
        "prescribed": dict(dose),
        "why": why + (" " + grow["text"] if grow else ""),
        "difficulty": ex.difficulty,
        "priority": round(choice.priority, 2) if priority is None else priority,
        "essential": choice.essential if essential is None else essential,
        "key": key,
    }
    if grow:
        item["build_up"] = grow
    if extra:
        item["extra"] = extra
    item["seconds_per_session"] = seconds_per_session(ex, dose, side, (extra or {}).get("side"))
    return item


def _item(kb: KnowledgeBase, choice: Choice, profile: Profile, key_findings: set[str]) -> dict[str, Any]:
    side, weaker = sides(choice)
    extra = (
        {"side": weaker, "sets": 1, "why": f"One extra set on your weaker {weaker} side, to even out the two sides."}
        if weaker
        else None
    )
    return item_document(kb, choice, profile, side, extra, key=_is_key(choice, key_findings))


def key_findings(kb: KnowledgeBase, document: dict[str, Any]) -> set[str]:
    """The leading pattern's findings that answer one of its required signs: what it stands on."""
    if not document["patterns"]:
        return set()
    leading = document["patterns"][0]
    pattern = kb.pattern.get(leading["id"])
    required = {sign for group in (pattern.required if pattern else []) for sign in group}
    return {f for f in leading["findings"] if base_id(f) in required}


def _is_key(choice: Choice, keys: set[str]) -> bool:
    return choice.exercise.intent != "release" and any(f["id"] in keys for f in choice.addresses)


def _mark_key_releases(items: list[dict[str, Any]], keys: set[str]) -> None:
    """A key finding that only a release addresses makes that release key (releases are never key otherwise)."""
    for finding in keys:
        holders = [i for i in items if finding in i["addresses"]]
        if holders and not any(i["key"] for i in holders):
            for i in holders:
                i["key"] = True


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
    out = [pain_rule.text(kb)]
    if profile.mode == "gentle":
        out.append(analysis.document["safety"]["message"])  # says a clinician must review it first
    if profile.neural:
        out.append(
            "While leg pain from a nerve root persists: nerve glides, not hard hamstring stretching; "
            "stop if pain, tingling or numbness spreads further down the leg."
        )
    for cid in sorted(profile.conditions):
        cond = kb.conditions[cid]
        kept = "Kept as a precaution until a doctor has checked: " if cid in profile.screened else ""
        out.append(f"{kept}{cond.name}: " + sentences(cond.precautions))
    return out


TIERS = ("key", "essential", "aerobic", "relaxation", "corrective", "release")


def _tier(item: dict[str, Any]) -> tuple[int, float, str]:
    """The order items claim the week in: the leading pattern's key items, the essentials (core
    stability, a nerve glide), aerobic work, relaxation, the other corrective items, and releases
    last; the most important finding first within each."""
    if item.get("key"):
        tier = "key"
    elif item["intent"] in ("aerobic", "relaxation", "release"):
        tier = item["intent"]
    else:
        tier = "essential" if item.get("essential") else "corrective"
    return TIERS.index(tier), -float(item.get("priority", 0.0)), item["exercise_id"]


def _prepared(kb: KnowledgeBase, item: dict[str, Any]) -> dict[str, Any]:
    """An item as fitting needs it: its prescription in today's shape (programs stored before the week
    was fitted state their prescription as their dosage)."""
    ex = kb.exercise[item["exercise_id"]]
    prescribed = normalised(ex, item.get("prescribed") or item["dosage"])
    return {**item, "dosage": dict(prescribed), "prescribed": prescribed}


def _needs(
    kb: KnowledgeBase, items: list[dict[str, Any]], minutes: int
) -> tuple[list[Need], list[list[dict[str, Any]]]]:
    needs, doses = [], []
    for item in items:
        ex = kb.exercise[item["exercise_id"]]
        extra = (item.get("extra") or {}).get("side")
        rungs, standard = ladder(kb, ex, item["prescribed"], minutes)
        seconds = tuple((d["days_per_week"], seconds_per_session(ex, d, item["side"], extra)) for d in rungs)
        needs.append(
            Need(
                item["exercise_id"],
                seconds,
                standard,
                spaced=ex.intent in STRENGTHENING,
                adjunct=ex.intent == "release",
            )
        )
        doses.append(rungs)
    return needs, doses


def _fits(kb: KnowledgeBase, items: list[dict[str, Any]], minutes: int) -> dict[str, int | None]:
    """Per exercise id: the rung of its ladder the week holds at ``minutes`` a session (None: left out)."""
    needs, _ = _needs(kb, items, minutes)
    _, rungs = fit(needs, minutes)
    return {n.exercise_id: r for n, r in zip(needs, rungs, strict=True)}


def minutes_to_fit(kb: KnowledgeBase, items: list[dict[str, Any]], exercise_id: str, minutes: int) -> int | None:
    """Minutes a session (above ``minutes``) at which the week holds the item, or None if even the most
    do not: a bisection, which finds the fewest as long as more minutes leave nothing more out (the
    week is filled greedily, so that is not proven); the answer is always one that was tried and fits."""
    low, high = minutes, MINUTES_RANGE[1]
    if _fits(kb, items, high)[exercise_id] is None:
        return None
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if _fits(kb, items, mid)[exercise_id] is not None else (mid, high)
    return high


def _left_out_text(name: str, more: int | None) -> str:
    if more is None:
        return f"{name} left out: it does not fit even in {MINUTES_RANGE[1]} minutes a session."
    return f"{name} left out: {more} minutes a session would fit it."


def fit_week(kb: KnowledgeBase, program: dict[str, Any]) -> dict[str, Any]:
    """Fit the program's items into its week: each item's ``dosage`` becomes exactly what the week holds.

    Used when a program is built and whenever its items change (progression, revision, edits). Items
    left out earlier for time (``left_out``) are tried again. Returns the program with ``items``,
    ``schedule``, ``sessions_per_week``, ``left_out`` and the warnings updated; each left-out item is
    named in the warnings with the minutes a session that would fit it.
    """
    minutes = program["minutes_per_session"]
    present = {i["exercise_id"] for i in program["items"]}
    earlier = [lo["item"] for lo in program.get("left_out", []) if lo["item"]["exercise_id"] not in present]
    items = sorted((_prepared(kb, i) for i in [*program["items"], *earlier]), key=_tier)
    needs, doses = _needs(kb, items, minutes)
    week, rungs = fit(needs, minutes)
    kept, left_out = [], []
    for item, rung, ladder_doses in zip(items, rungs, doses, strict=True):
        if rung is None:
            more = minutes_to_fit(kb, items, item["exercise_id"], minutes)
            text = _left_out_text(item["name"], more)
            left_out.append(
                {
                    **{k: item[k] for k in ("exercise_id", "name", "addresses")},
                    "minutes_to_fit": more,
                    "text": text,
                    "item": item,
                }
            )
            continue
        ex = kb.exercise[item["exercise_id"]]
        item["dosage"] = ladder_doses[rung]
        item["seconds_per_session"] = seconds_per_session(
            ex, item["dosage"], item["side"], (item.get("extra") or {}).get("side")
        )
        kept.append(item)
    order = [i["exercise_id"] for i in program["items"]] + [i["exercise_id"] for i in earlier]
    kept.sort(key=lambda i: order.index(i["exercise_id"]))
    stale = {lo["text"] for lo in program.get("left_out", [])}
    fixed = [
        w for w in program.get("warnings", []) if w not in stale and "did not fit" not in w and " fits on " not in w
    ]
    return {
        **program,
        "items": kept,
        "schedule": schedule_document(week, [i["exercise_id"] for i in kept]),
        "sessions_per_week": sum(1 for d in week if d.items),
        "left_out": left_out,
        "warnings": fixed + [lo["text"] for lo in left_out],
    }


def build_program(kb: KnowledgeBase, analysis: Analysis, minutes: int = 20) -> dict[str, Any] | None:
    """The program for an analysis, or None when safety withholds it."""
    doc = analysis.document
    if withholds_program(doc["safety"]["level"]):
        return None
    profile = make_profile(kb, analysis.case, doc)
    choices, hands_on = select(kb, profile, doc["findings"])
    keys = key_findings(kb, doc)
    items = [_item(kb, c, profile, keys) for c in choices]
    _mark_key_releases(items, keys)
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
        "phases": phases(profile.mode, weeks_int),
        "items": items,
        "schedule": [],
        "habits": _habits(analysis, doc["findings"]),
        "hands_on": hands_on,
        "pain_rule": pain_rule.text(kb),
        "warnings": _warnings(kb, analysis, profile),
    }
    return fit_week(kb, program)


def attach_program(kb: KnowledgeBase, analysis: Analysis, minutes: int = 20) -> Analysis:
    analysis.document["program"] = build_program(kb, analysis, minutes)
    return analysis
