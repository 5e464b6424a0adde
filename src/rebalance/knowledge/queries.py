"""Questions asked of the knowledge base by the checks, the engine and the program builder.

Finding ids are ``kind:target`` (or ``kind:target:side``); which targets are valid depends on
the kind, and which exercises address a finding follows from the exercise's intent and its
primary muscles (or its explicit ``addresses``).
"""

from __future__ import annotations

import functools

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import MUSCLE_KINDS, Exercise

POSTURES = ("anterior_pelvic_tilt", "posterior_pelvic_tilt", "lateral_pelvic_tilt")
LENGTHENING = frozenset({"release", "lengthen", "mobility"})
STRENGTHENING = frozenset({"activate", "strengthen", "integrate"})


@functools.cache
def valid_targets(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For each finding kind, the targets a finding of that kind may name."""
    muscles = frozenset(kb.muscle)
    return {
        "tight": muscles,
        "weak": muscles,
        "asymmetry": frozenset(t.symmetry.finding_target for t in kb.test.values() if t.symmetry),
        "ratio": frozenset(kb.ratios),
        "posture": frozenset(POSTURES),
        "movement": frozenset(kb.compensations),
        "neural": frozenset(s.id for s in kb.structures.values() if s.kind == "nerve"),
        "joint": frozenset(s.id for s in kb.structures.values() if s.kind == "joint"),
    }


def finding_id_error(kb: KnowledgeBase, finding_id: str) -> str | None:
    """Why a side-less finding id is not valid, or None if it is."""
    kind, _, target = finding_id.partition(":")
    targets = valid_targets(kb)
    if kind not in targets:
        return f"unknown finding kind '{kind}' in '{finding_id}'"
    if target not in targets[kind]:
        return f"'{target}' is not a valid target for a '{kind}' finding"
    return None


def base_id(finding_id: str) -> str:
    """``tight:piriformis:right`` -> ``tight:piriformis``."""
    parts = finding_id.split(":")
    return ":".join(parts[:2])


def exercise_addresses(kb: KnowledgeBase, ex: Exercise) -> frozenset[str]:
    """The side-less finding ids an exercise addresses."""
    out = set(ex.addresses)
    if ex.intent in LENGTHENING:
        out.update(f"tight:{mu}" for mu in ex.primary)
    if ex.intent in STRENGTHENING:
        out.update(f"weak:{mu}" for mu in ex.primary)
    # an exercise for a whole unit also serves its parts, and one for a part serves the unit
    for finding in list(out):
        kind, _, target = finding.partition(":")
        if kind in MUSCLE_KINDS and target in kb.muscle:
            parent = kb.muscle[target].part_of
            if parent:
                out.add(f"{kind}:{parent}")
            out.update(f"{kind}:{child.id}" for child in kb.muscle.values() if child.part_of == target)
    return frozenset(out)


@functools.cache
def addressing_index(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Side-less finding id -> ids of the exercises that address it (sorted)."""
    index: dict[str, list[str]] = {}
    for ex in kb.exercise.values():
        for finding in exercise_addresses(kb, ex):
            index.setdefault(finding, []).append(ex.id)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def suggest(candidates: set[str] | frozenset[str], wrong: str, n: int = 3) -> list[str]:
    """Close matches for a mistyped id."""
    import difflib

    return difflib.get_close_matches(wrong, sorted(candidates), n=n, cutoff=0.6)


@functools.cache
def addresses_by_exercise(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """Exercise id -> the side-less finding ids it addresses."""
    return {ex.id: exercise_addresses(kb, ex) for ex in kb.exercise.values()}
