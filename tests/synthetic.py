"""Random but valid assessments, built from the knowledge base's own field definitions.

Used by the property tests, the benchmarks and the demo clinic. Every document this module
makes passes validation; the mix of tests, sides, flags and habits varies with the seed.
"""

from __future__ import annotations

import random
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Test, TestField

SIDES = ("left", "right")


def _number(rng: random.Random, f: TestField) -> float | int:
    lo, hi = f.min if f.min is not None else 0.0, f.max if f.max is not None else 100.0
    if f.type == "integer":
        return rng.randint(int(lo), int(min(hi, lo + 60)))
    if f.step:
        steps = int((hi - lo) / f.step)
        return round(lo + f.step * rng.randint(0, steps), 3)
    return round(rng.uniform(lo, hi), 1)


def _value(rng: random.Random, kb: KnowledgeBase, f: TestField) -> Any:
    if f.type == "boolean":
        return rng.random() < 0.4
    if f.type == "enum":
        return rng.choice(f.values)
    if f.type == "sided_number":
        return {s: _number(rng, f) for s in SIDES if rng.random() < 0.8} or {"left": _number(rng, f)}
    if f.type == "compensations":
        comps = rng.sample(sorted(kb.compensations), rng.randint(0, 3))
        return [
            {"id": c, "side": rng.choice(SIDES)} if kb.compensations[c].sided and rng.random() < 0.6 else {"id": c}
            for c in comps
        ]
    return _number(rng, f)


def _fields(rng: random.Random, kb: KnowledgeBase, fields: list[TestField]) -> dict[str, Any]:
    chosen = [f for f in fields if rng.random() < 0.75] or [fields[0]]
    return {f.name: _value(rng, kb, f) for f in chosen}


def _test_entry(rng: random.Random, kb: KnowledgeBase, t: Test) -> Any:
    if t.layout == "sided":
        sides = [s for s in SIDES if rng.random() < 0.85] or [rng.choice(SIDES)]
        return {s: _fields(rng, kb, t.fields) for s in sides}
    if t.layout == "per_muscle":
        measured, extras = t.fields[0], t.fields[1:]
        out = {}
        for muscle in rng.sample(sorted(kb.muscle), rng.randint(1, 4)):
            entry: dict[str, Any] = {s: _number(rng, measured) for s in SIDES if rng.random() < 0.9} or {
                "left": _number(rng, measured)
            }
            entry.update({f.name: rng.choice(f.values) if f.values else _number(rng, f) for f in extras})
            out[muscle] = entry
        if t.id == "dynamometry" and rng.random() < 0.7:  # often the pair the H:Q ratio needs
            unit = rng.choice(["Nm", "N"])
            for muscle, base in (("quadriceps", 180.0), ("hamstrings", 100.0)):
                out[muscle] = {
                    "unit": unit,
                    "left": round(base * rng.uniform(0.6, 1.2), 1),
                    "right": round(base * rng.uniform(0.6, 1.2), 1),
                }
        return out
    return _fields(rng, kb, t.fields)


def _locations(rng: random.Random, kb: KnowledgeBase) -> list[dict[str, str]]:
    out, seen = [], set()
    for region in rng.sample(sorted(kb.regions), rng.randint(1, 4)):
        leg = kb.regions[region].leg
        side = rng.choice(["left", "right"] if leg else ["left", "right", "central"])
        if (region, side) not in seen:
            seen.add((region, side))
            out.append({"region": region, "side": side})
    return out


def _lifestyle(rng: random.Random) -> dict[str, Any]:
    full = {
        "sitting_hours_per_day": round(rng.uniform(0, 14), 1),
        "sits_with_feet_turned_out": rng.random() < 0.3,
        "sits_on_back_pocket_wallet": rng.random() < 0.2,
        "stands_on_one_leg": rng.choice(["left", "right", "no"]),
        "carries_bag_on": rng.choice(["left", "right", "no"]),
        "lifting": rng.choice(["none", "occasional", "frequent_heavy"]),
        "exercise_sessions_per_week": rng.randint(0, 7),
        "one_sided_sport": {"sport": "golf", "dominant_side": rng.choice(SIDES)},
        "sleep_position": rng.choice(["back", "side_left", "side_right", "stomach", "varies"]),
        "mattress": rng.choice(["firm", "medium", "soft", "sagging"]),
        "stress_level": rng.randint(0, 10),
    }
    return {k: v for k, v in full.items() if rng.random() < 0.7}


def random_assessment(kb: KnowledgeBase, rng: random.Random, flags: bool = True) -> dict[str, Any]:
    """One valid assessment document; ``flags=False`` leaves out red flags."""
    pain = rng.randint(0, 10)
    ticked = sorted(k for k, f in kb.red_flags.items() if not f.derived)
    doc: dict[str, Any] = {
        "schema": "rebalance.assessment/1",
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "client": {
            "id": f"syn-{rng.randint(0, 10**6)}",
            "age": rng.randint(12, 95),
            "sex": rng.choice(["female", "male", "other"]),
            "activity_level": rng.choice(["sedentary", "light", "moderate", "athlete"]),
            "sports": rng.sample(["cycling", "running", "golf", "swimming", "tennis"], rng.randint(0, 2)),
            "conditions": rng.sample(sorted(kb.conditions), rng.choice([0, 0, 0, 1, 2])),
            "equipment": rng.sample(sorted(kb.equipment), rng.randint(0, 5)),
        },
        "symptoms": {
            "pain_now": pain,
            "pain_worst_week": rng.randint(pain, 10),
            "duration_weeks": round(rng.uniform(0, 104), 1),
            "locations": _locations(rng, kb),
            "aggravated_by": rng.sample(sorted(kb.activities), rng.randint(0, 3)),
            "eased_by": rng.sample(sorted(kb.activities), rng.randint(0, 2)),
        },
        "red_flags": rng.sample(ticked, rng.choice([0, 0, 0, 0, 1, 2])) if flags else [],
        "lifestyle": _lifestyle(rng),
        "questionnaires": {
            "odi": [rng.choice([None, 0, 1, 2, 3, 4, 5]) for _ in range(10)],
            "start_back": [rng.randint(0, 1) for _ in range(8)] + [rng.randint(0, 4)],
        },
        "tests": {t.id: _test_entry(rng, kb, t) for t in kb.test.values() if rng.random() < 0.5},
    }
    return doc
