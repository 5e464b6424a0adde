"""The knowledge base compiled into plain tuples for the analysis hot path.

Compiling once per knowledge base keeps pydantic objects out of the per-assessment work and
lets the engine analyse thousands of assessments a second.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Norm, Test

SEVERITY_RANK = {"mild": 1, "moderate": 2, "severe": 3}
SEVERITY_NAME = {v: k for k, v in SEVERITY_RANK.items()}


def _between(value: Any, bounds: Any) -> bool:
    return bool(bounds[0] <= value <= bounds[1])


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
    "between": _between,
}


@dataclass(frozen=True, slots=True)
class CompiledNorm:
    test: str
    conditions: tuple[tuple[str, Callable[[Any, Any], bool], Any, bool], ...]  # field, op, value, absent passes
    primary: str
    threshold: Any
    descending: bool  # True when lower values are worse (lt / le)
    base_rank: int
    moderate_at: float | None
    severe_at: float | None
    kind: str
    target: str
    side_rule: str
    confidence: float
    reason: str
    source: str
    one_sided: bool = False  # read only when the other side differs (Norm.one_sided)

    def rank(self, value: Any) -> int:
        """Severity rank for a value already known to be abnormal."""
        rank = self.base_rank
        if isinstance(value, bool) or not isinstance(value, int | float):
            return rank
        for at, r in ((self.moderate_at, 2), (self.severe_at, 3)):
            if at is not None and (value <= at if self.descending else value >= at):
                rank = max(rank, r)
        return rank


@dataclass(frozen=True, slots=True)
class CompiledTest:
    id: str
    layout: str
    norms_by_sex: dict[str | None, tuple[CompiledNorm, ...]]
    sided_fields: frozenset[str]
    side_field: str | None  # a whole test's enum field whose values are left/right
    symmetry: tuple[str, bool, str, float, float] | None  # field, higher_is_better, target, field max, normal diff


def _compile_norm(test: Test, n: Norm) -> CompiledNorm:
    first = n.when[0]
    return CompiledNorm(
        test=test.id,
        conditions=tuple((c.field, OPS[c.op], c.value, c.op == "ne") for c in n.when),
        primary=first.field,
        threshold=first.value,
        descending=first.op in ("lt", "le"),
        base_rank=SEVERITY_RANK[n.severity],
        moderate_at=n.moderate_at,
        severe_at=n.severe_at,
        kind=n.finding.kind,
        target=n.finding.target,
        side_rule=n.finding.side,
        confidence=n.confidence,
        reason=n.reason,
        source=n.source or "",
        one_sided=n.one_sided,
    )


def _norms_for(test: Test, sex: str | None) -> tuple[CompiledNorm, ...]:
    """Sex-specific norms for this sex, else the norms for everyone, per finding."""
    specific = [n for n in test.norms if sex is not None and n.sex == sex]
    covered = {(n.finding.kind, n.finding.target) for n in specific}
    general = [n for n in test.norms if n.sex is None and (n.finding.kind, n.finding.target) not in covered]
    return tuple(_compile_norm(test, n) for n in specific + general)


def _compile_test(test: Test) -> CompiledTest:
    side_field = next((f.name for f in test.fields if f.type == "enum" and set(f.values) == {"left", "right"}), None)
    symmetry = None
    if test.symmetry:
        f = next(f for f in test.fields if f.name == test.symmetry.field)
        normal = test.symmetry.normal_difference
        symmetry = (
            f.name,
            test.symmetry.higher_is_better,
            test.symmetry.finding_target,
            f.max or 0.0,
            normal.value if normal else 0.0,
        )
    return CompiledTest(
        id=test.id,
        layout=test.layout,
        norms_by_sex={sex: _norms_for(test, sex) for sex in ("male", "female", None)},
        sided_fields=frozenset(f.name for f in test.fields if f.type == "sided_number"),
        side_field=side_field,
        symmetry=symmetry,
    )


@dataclass(frozen=True)
class Rules:
    tests: dict[str, CompiledTest]
    midline: frozenset[str]
    lsi: tuple[float, float, float, str]  # flag, moderate, severe, source


@functools.cache
def compile_rules(kb: KnowledgeBase) -> Rules:
    lsi = kb.criterion["limb_symmetry_index"]
    midline = frozenset(
        mu.id for mu in kb.muscle.values() if mu.region in ("lumbar", "abdomen") or mu.part_of == "deep_core"
    )
    return Rules(
        tests={t.id: _compile_test(t) for t in kb.test.values()},
        midline=midline,
        lsi=(lsi.value, lsi.moderate_at or lsi.value, lsi.severe_at or lsi.value, lsi.source or ""),
    )
