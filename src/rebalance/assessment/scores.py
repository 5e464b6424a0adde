"""Questionnaire scores: Oswestry Disability Index, STarT Back, pain.

The cut-offs come from the knowledge base's criteria (each with its source), never from
numbers written here.
"""

from __future__ import annotations

from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Criterion


def band(criterion: Criterion, value: float) -> str:
    """The label of the first band whose upper bound the value does not exceed."""
    for upper, label in criterion.bands:
        if value <= upper:
            return label
    return criterion.bands[-1][1]


def odi(kb: KnowledgeBase, sections: list[int | None] | None) -> dict[str, Any] | None:
    """ODI raw sum, percent over the sections answered, and band (Fairbank & Pynsent 2000)."""
    if not sections:
        return None
    answered = [s for s in sections if s is not None]
    if not answered:
        return None
    raw = sum(answered)
    percent = round(raw / (5 * len(answered)) * 100, 1)
    return {"raw": raw, "percent": percent, "answered": len(answered), "band": band(kb.criterion["odi_bands"], percent)}


def start_back(kb: KnowledgeBase, items: list[int] | None) -> dict[str, Any] | None:
    """STarT Back total, distress subscore (items 5-9) and risk group (Hill 2008)."""
    if not items:
        return None
    item9 = 1 if items[8] >= kb.criterion["start_back_bothersome_item"].value else 0
    total = sum(items[:8]) + item9
    distress = sum(items[4:8]) + item9
    if total <= kb.criterion["start_back_total_low"].value:
        risk = "low"
    elif distress >= kb.criterion["start_back_distress_high"].value:
        risk = "high"
    else:
        risk = "medium"
    return {"total": total, "distress": distress, "risk": risk}


def pain_band(kb: KnowledgeBase, score: int) -> str:
    """mild / moderate / severe on the 0-10 scale (Boonstra 2016)."""
    return band(kb.criterion["severe_pain"], score)
