"""Who the program is for: starting level, mode, conditions, equipment, and which exercises fit.

An exercise is eligible only if the client's conditions allow it and the client has its equipment
(:func:`rebalance.knowledge.precautions.why_not`: no position a condition forbids, no
contraindication - never, whatever else), it is not harder than the starting level allows, and it
is not a hamstring stretch while a nerve root is irritated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise
from rebalance.knowledge.precautions import why_not

SEVERITY_RANK = {"mild": 1, "moderate": 2, "severe": 3}
# severity rank x confidence below which a finding is a hypothesis to confirm, not a target:
# a mild finding resting on a single squat inference (0.3) is left out, one backed by a test is in
MIN_WEIGHT = 0.35


def weight(finding: dict[str, Any]) -> float:
    return float(SEVERITY_RANK[finding["severity"]] * finding["confidence"])


CORE_MUSCLES = frozenset(
    {
        "deep_core",
        "transversus_abdominis",
        "multifidus",
        "abdominals",
        "obliques",
        "rectus_abdominis",
        "quadratus_lumborum",
    }
)


@dataclass(frozen=True, slots=True)
class Profile:
    mode: str  # full | gentle | maintenance
    level: int  # highest difficulty to start with (1-4)
    conditions: frozenset[str]
    equipment: frozenset[str]
    neural: bool  # nerve-root signs: glides, no hamstring stretching
    older: bool
    deconditioned: bool
    reasons: tuple[str, ...]  # what makes the start easier than the base level
    screened: frozenset[str] = frozenset()  # conditions a screen implies, kept as precautions until checked
    favoured: tuple[tuple[str, str], ...] = ()  # (exercise, why) a screen asks for, if the client may do them


def _start_level(kb: KnowledgeBase, case: Case, scores: dict[str, Any]) -> tuple[int, list[str]]:
    c = kb.criterion
    a = case.assessment
    level, reasons = int(c["start_level_base"].value), list[str]()
    if a.client.age >= c["older_adult_age"].value:
        level, reasons = level - 1, [*reasons, f"age {a.client.age}"]
    if a.client.activity_level == "sedentary":
        level, reasons = level - 1, [*reasons, "a sedentary life"]
    if a.client.activity_level == "athlete":
        level += 1  # a harder start; the reasons name only what makes the start easier
    if a.symptoms.pain_now >= c["moderate_pain_start"].value:
        level, reasons = level - 1, [*reasons, f"pain {a.symptoms.pain_now}/10"]
    risk = (scores.get("start_back") or {}).get("risk")
    if risk in ("medium", "high"):
        level, reasons = level - 1, [*reasons, f"{risk} STarT Back risk"]
    return max(1, min(3, level)), reasons


def _screens(kb: KnowledgeBase, document: dict[str, Any]) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """The conditions the document's screens imply and the exercises they favour (data: patterns.yaml)."""
    implied: set[str] = set()
    favoured: list[tuple[str, str]] = []
    for p in document["patterns"]:
        screen = kb.pattern[p["id"]].screen if p.get("kind") == "screen" else None
        if screen is not None:
            implied.update(screen.implies_conditions)
            favoured += [(f.exercise, f.why) for f in screen.favours]
    return frozenset(implied), tuple(dict.fromkeys(favoured))


def make_profile(kb: KnowledgeBase, case: Case, document: dict[str, Any]) -> Profile:
    """The program's profile of the client, from the case and its analysis document.

    A screen (not a muscle imbalance) adds the conditions it implies, whose precautions the program
    keeps, and the exercises it favours; with a screen there is always something to work on.
    """
    a = case.assessment
    level, reasons = _start_level(kb, case, document["scores"])
    gentle = document["safety"]["level"] == "caution"
    to_correct = [f for f in document["findings"] if weight(f) >= MIN_WEIGHT]
    implied, favoured = _screens(kb, document)
    mode = "gentle" if gentle else "full" if to_correct or favoured else "maintenance"
    if gentle:
        level, reasons = 1, [*reasons, "a clinician must review first (caution)"]
    household = {e.id for e in kb.equipment.values() if e.household}
    return Profile(
        mode=mode,
        level=level,
        conditions=frozenset(a.client.conditions) | implied,
        equipment=frozenset(household | set(a.client.equipment)),
        neural=any(f["kind"] == "neural" for f in document["findings"]),
        older=a.client.age >= kb.criterion["older_adult_age"].value,
        deconditioned=a.client.activity_level == "sedentary" or level == 1,
        reasons=tuple(reasons),
        screened=implied - set(a.client.conditions),
        favoured=favoured,
    )


def from_program(program: dict[str, Any]) -> Profile:
    """The profile a built program was made for, as its ``client`` block and ``mode`` record it.

    What editing a stored program must respect: the client's conditions and equipment, the
    starting level, nerve-root signs and the mode (``older`` and ``deconditioned`` are False in
    programs stored before they were recorded).
    """
    client = program.get("client", {})
    return Profile(
        mode=str(program.get("mode", "full")),
        level=int(client.get("level", program.get("start_level", 1))),
        conditions=frozenset(client.get("conditions", ())),
        equipment=frozenset(client.get("equipment", ())),
        neural=bool(client.get("neural", False)),
        older=bool(client.get("older", False)),
        deconditioned=bool(client.get("deconditioned", False)),
        reasons=tuple(program.get("start_level_reasons", ())),
    )


def _stretches_hamstrings(kb: KnowledgeBase, ex: Exercise) -> bool:
    return ex.intent == "lengthen" and any(
        m == "hamstrings" or kb.muscle[m].part_of == "hamstrings" for m in ex.primary
    )


def exclusion(kb: KnowledgeBase, ex: Exercise, profile: Profile, stretch: int = 0) -> str | None:
    """Why an exercise cannot be given to this client, or None if it can.

    ``stretch`` allows that many levels above the starting level (never in gentle mode).
    """
    barrier = why_not(kb, ex, profile.conditions, profile.equipment)
    if barrier is not None:
        return barrier
    if ex.difficulty > profile.level + (0 if profile.mode == "gentle" else stretch):
        return f"difficulty {ex.difficulty} is above the starting level {profile.level}"
    if profile.neural and _stretches_hamstrings(kb, ex):
        return "no hamstring stretching while a nerve root is irritated (nerve glides instead)"
    return None
