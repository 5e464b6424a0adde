"""Daily habits -> which lifestyle factors apply, and the prior they add to findings.

A factor never creates a finding by itself: it only raises the confidence of a finding that a
measurement already supports (its ``prior_boost``), on the matching side for one-sided habits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import LifestyleFactor
from rebalance.reasoning.findings import OTHER, FindingSet

SIDE_OF = {"side_left": "left", "side_right": "right", "left": "left", "right": "right"}


@dataclass(frozen=True, slots=True)
class ActiveFactor:
    factor: LifestyleFactor
    side: str | None  # the side the factor's findings land on, or None

    def document(self) -> dict[str, Any]:
        return {
            "id": self.factor.id,
            "name": self.factor.name,
            "side": self.side,
            "tends_to_produce": list(self.factor.tends_to_produce),
        }


def _field_value(case: Case, name: str) -> Any:
    a = case.assessment
    if name in type(a.lifestyle).model_fields:
        return getattr(a.lifestyle, name)
    return getattr(a.client, name, None)


def _triggered(factor: LifestyleFactor, value: Any) -> bool:
    t = factor.trigger
    if value is None:
        return False
    if t.op == "set":
        return value not in (False, "no", "none", [], "")
    if t.op == "in":
        options = {str(v).lower() for v in (t.value or [])}  # type: ignore[union-attr]
        values = value if isinstance(value, list) else [value]
        return any(str(v).lower() in options for v in values)
    if t.op == "eq":
        return bool(value == t.value)
    number, limit = float(value), float(t.value)  # type: ignore[arg-type]
    return {"gt": number > limit, "ge": number >= limit, "lt": number < limit, "le": number <= limit}[t.op]


def _factor_side(factor: LifestyleFactor, value: Any) -> str | None:
    if factor.sided == "none":
        return None
    raw = value.dominant_side if hasattr(value, "dominant_side") else value
    side = SIDE_OF.get(str(raw))
    if side is None:
        return None
    return side if factor.sided == "same" else OTHER[side]


def active_factors(kb: KnowledgeBase, case: Case) -> list[ActiveFactor]:
    out = []
    for factor in kb.lifestyle.values():
        value = _field_value(case, factor.trigger.field)
        if _triggered(factor, value):
            out.append(ActiveFactor(factor, _factor_side(factor, value)))
    return out


def apply_priors(findings: FindingSet, factors: list[ActiveFactor]) -> None:
    """Raise the confidence of findings the active habits tend to produce."""
    for active in factors:
        produced = set(active.factor.tends_to_produce)
        for finding in findings.by_id.values():
            if finding.base not in produced:
                continue
            if active.side is not None and finding.side not in (None, active.side):
                continue
            finding.boost += active.factor.prior_boost
