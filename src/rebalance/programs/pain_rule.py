"""The pain rule: the pain-monitoring model (Silbernagel 2007) in the words a patient reads.

One text, built from the ``pain_monitoring_acceptable`` criterion (its bands give the numbers), for
every place the library states how much pain is allowed: the program's warnings, the text report,
progression feedback. The web, the handout and the check-in take the same words from here
(``pain_rule.text(kb)``; ``reminder(kb)`` where one sentence must do).
"""

from __future__ import annotations

from dataclasses import dataclass

from rebalance.knowledge.loader import KnowledgeBase

CRITERION = "pain_monitoring_acceptable"


@dataclass(frozen=True, slots=True)
class PainRule:
    safe: int  # pain during exercise at or below this (0-10): safe
    acceptable: int  # at or below this: acceptable if it settles by the next morning; above: too much
    source: str  # the source id of the model


def rule(kb: KnowledgeBase) -> PainRule:
    """The model's numbers, as the knowledge base gives them."""
    c = kb.criterion[CRITERION]
    return PainRule(safe=int(c.bands[0][0]), acceptable=int(c.value), source=str(c.source))


def text(kb: KnowledgeBase) -> str:
    """The whole rule, in plain words: what to do at each level of pain, during and the next morning."""
    r = rule(kb)
    return (
        "Some pain while you exercise is all right. Score it from 0 (none) to 10 (the worst you can imagine). "
        f"Up to {r.safe} is safe. {r.safe + 1} to {r.acceptable} is acceptable if it has settled by the next morning. "
        f"Above {r.acceptable} is too much: stop that exercise for today and do an easier version next time. "
        "If your pain or stiffness is worse the next morning than it was before, "
        "do not add more until it settles."
    )


def reminder(kb: KnowledgeBase) -> str:
    """The rule in one sentence, for a small space (beside a log form, at the end of an exercise)."""
    r = rule(kb)
    return (
        f"Pain up to {r.acceptable} out of 10 is all right if it has settled by the next morning; "
        f"above {r.acceptable}, stop."
    )


def verdict(kb: KnowledgeBase, pain: int) -> str:
    """What the rule says of one pain score during exercise, in words."""
    r = rule(kb)
    if pain <= r.safe:
        return f"pain {pain}/10 is safe"
    if pain <= r.acceptable:
        return f"pain {pain}/10 is acceptable if it settles by the next morning"
    return f"pain {pain}/10 is above {r.acceptable}: too much"
