"""Precautions by position: whether an exercise or a test may be offered to a client.

Every exercise and every test lists the positions and loads it puts the body in (``positions``);
every condition lists the positions it forbids, each with its source and why (``forbids``). An
item may be offered when none of its positions is forbidden by one of the client's conditions,
none of the exercise's own ``contraindications`` is one of them, and - when the client's equipment
is given - the client has what it needs. This is the one place the rule lives: program selection,
suggested tests, swap options, progressions and regressions all ask :func:`why_not`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise, Test


@dataclass(frozen=True, slots=True)
class Barrier:
    """One reason a condition rules an item out: a forbidden position, or the exercise's own contraindication."""

    condition: str
    position: str | None  # None: named in the exercise's contraindications
    why: str
    source: str | None

    def words(self, kb: KnowledgeBase) -> str:
        """Plain words for a clinician: '<condition> rules out <position>'."""
        name = kb.conditions[self.condition].name
        if self.position is None:
            return f"{name} rules it out ({self.why})"
        return f"{name} rules out {kb.positions[self.position].name.lower()}"


def barriers(kb: KnowledgeBase, item: Exercise | Test, conditions: Iterable[str]) -> list[Barrier]:
    """Every reason the client's conditions rule the item out (empty when none does)."""
    used = set(item.positions)
    own = set(item.contraindications) if isinstance(item, Exercise) else set()
    out: list[Barrier] = []
    for cid in sorted(set(conditions)):
        cond = kb.conditions.get(cid)
        if cond is None:  # not a condition the knowledge base knows: it forbids nothing
            continue
        out += [Barrier(cid, f.position, f.why, f.source) for f in cond.forbids if f.position in used]
        if cid in own:
            out.append(Barrier(cid, None, "; ".join(cond.precautions).lower(), None))
    return out


def why_not(
    kb: KnowledgeBase, item: Exercise | Test, conditions: Iterable[str], equipment: Collection[str] | None = None
) -> str | None:
    """Why the item may not be offered to this client, in plain words, or None when it may.

    ``equipment`` (what the client has, household items included) is checked for exercises when given.
    """
    found = barriers(kb, item, conditions)
    if found:
        return "; ".join(dict.fromkeys(b.words(kb) for b in found))
    if equipment is not None and isinstance(item, Exercise):
        missing = [e for e in item.equipment if e not in equipment]
        if missing:
            return "needs " + ", ".join(kb.equipment[e].name.lower() if e in kb.equipment else e for e in missing)
    return None


def may_offer(
    kb: KnowledgeBase, item: Exercise | Test, conditions: Iterable[str], equipment: Collection[str] | None = None
) -> bool:
    """Whether the item may be offered: :func:`why_not` has nothing against it."""
    return why_not(kb, item, conditions, equipment) is None
