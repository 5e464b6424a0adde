"""Screens: presentations that are not a muscle imbalance (contract: patterns of kind ``screen``).

A screen's items (``patterns.yaml``) are facts of the history - age, where it hurts and what makes
it worse or better, a condition already known, sport - and of the examination - a measured value,
a finding. Items with a side (a measure of a sided test, a region on one side, a finding with a
side) are met on that side; the others count for both. A screen stands on a side when a sufficient
item is met there, or when enough items are and each required group has one. Its confidence is the
sum of the weights of the items met on its best side; it comes before every imbalance pattern, its
explanation says the muscle findings may be a consequence rather than the cause, and it carries a
referral.

Before the patterns are scored, a screen may read a finding differently (``rereads``): a weak key
muscle beside nerve-root signs on the same side is the nerve root's weakness, not a muscle to
strengthen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Measure, Pattern, Referral, Rereading, Screen, ScreenItem
from rebalance.knowledge.words import join, on_side
from rebalance.reasoning.findings import MAX_CONFIDENCE, Evidence, FindingSet
from rebalance.reasoning.patterns import UNCONFIRMED, findings_words, strongest, tidy
from rebalance.reasoning.rules import OPS

SIDES = ("left", "right")
BOTH = frozenset(SIDES)
# The muscle-imbalance findings a screen may explain away: every kind but the nerve and joint signs.
IMBALANCE_KINDS = ("tight", "weak", "asymmetry", "ratio", "posture", "movement")
MAY_BE_CONSEQUENCE = "may be a consequence of this rather than its cause"


def screens(kb: KnowledgeBase) -> list[tuple[Pattern, Screen, Referral]]:
    """Each screen pattern with its cluster and its referral."""
    return [(p, p.screen, p.refer) for p in kb.pattern.values() if p.screen is not None and p.refer is not None]


def legs_on_both_sides(kb: KnowledgeBase, case: Case) -> bool:
    """Symptoms in a radicular leg region on both sides (one location marked both, or one on each side)."""
    legs = [loc.side for loc in case.assessment.symptoms.locations if kb.regions[loc.region].radicular]
    return "both" in legs or ("left" in legs and "right" in legs)


# --- rereading findings ------------------------------------------------------------------------


def _given(r: Rereading, findings: FindingSet, case: Case, side: str | None) -> bool:
    for base in r.given:
        if any(g.side in (side, None) for g in findings.by_base.get(base, ())):
            return True
    return any(
        loc.region in r.given_regions and loc.side in (side, "both") for loc in case.assessment.symptoms.locations
    )


def reread(kb: KnowledgeBase, findings: FindingSet, case: Case) -> None:
    """Move each measured finding a screen reads differently to the finding it is read as (same side).

    Only direct measurements move (a grade on manual testing); a squat's guess stays what it is.
    """
    for _, screen, _ in screens(kb):
        for r in screen.rereads:
            kind, _, target = r.as_finding.partition(":")
            for f in list(findings.by_base.get(r.finding, ())):
                measured = [ev for ev in f.evidence if not ev.inferred]
                if not measured or not _given(r, findings, case, f.side):
                    continue
                findings.remove(f)
                target_id = f"{kind}:{target}:{f.side}" if f.side else f"{kind}:{target}"
                for ev in f.evidence:
                    if ev.inferred:
                        findings.add(f.kind, f.target, f.side, 1, ev)
                    elif target_id in findings.by_id and any(
                        e.test == ev.test for e in findings.by_id[target_id].evidence
                    ):
                        continue  # the test is already read there (a left-right % beside the degrees it came from)
                    else:
                        moved = Evidence(
                            ev.test, ev.value, ev.threshold, r.reason, r.source or ev.source, ev.confidence
                        )
                        findings.add(kind, target, f.side, f.rank, moved)


# --- recognising a screen -------------------------------------------------------------------------


def _measured(case: Case, m: Measure) -> tuple[frozenset[str], list[Any]]:
    """The sides on which a measure is met, and the values that met it."""
    entry = case.tests.get(m.test)
    if entry is None:
        return frozenset(), []
    op = OPS[m.op]
    if entry.layout == "sided":
        hits = {s: v[m.field] for s, v in entry.sides.items() if m.field in v and op(v[m.field], m.value)}
        return frozenset(hits), [hits[s] for s in SIDES if s in hits]
    value = entry.whole.get(m.field)
    return (BOTH, [value]) if value is not None and op(value, m.value) else (frozenset(), [])


def _regions(case: Case, regions: Iterable[str]) -> frozenset[str]:
    sides: set[str] = set()
    for loc in case.assessment.symptoms.locations:
        if loc.region in regions:
            sides |= {loc.side} if loc.side in SIDES else BOTH
    return frozenset(sides)


def _found(findings: FindingSet, bases: Iterable[str]) -> frozenset[str]:
    sides: set[str] = set()
    for base in bases:
        for f in findings.by_base.get(base, ()):
            sides |= {f.side} if f.side else BOTH
    return frozenset(sides)


def _history(kb: KnowledgeBase, item: ScreenItem, case: Case) -> bool:
    """Side-less items: met for both sides or for neither."""
    a = case.assessment
    s = a.symptoms
    if item.age_over is not None:
        return a.client.age > item.age_over
    if item.age_under is not None:
        return a.client.age < item.age_under
    if item.both_legs:
        return legs_on_both_sides(kb, case)
    if item.aggravated_by:
        return bool(set(item.aggravated_by) & set(s.aggravated_by))
    if item.eased_by:
        return bool(set(item.eased_by) & set(s.eased_by))
    if item.conditions:
        return bool(set(item.conditions) & set(a.client.conditions))
    return item.athlete and (a.client.activity_level == "athlete" or bool(a.client.sports))


def _sides_met(kb: KnowledgeBase, item: ScreenItem, case: Case, findings: FindingSet) -> frozenset[str]:
    if item.measure is not None:
        return _measured(case, item.measure)[0]
    if item.regions:
        return _regions(case, item.regions)
    if item.findings:
        return _found(findings, item.findings)
    return BOTH if _history(kb, item, case) else frozenset()


def _stands(screen: Screen, met: set[str]) -> bool:
    if met & set(screen.sufficient):
        return True
    return len(met) >= screen.min_items and all(met & set(group) for group in screen.required)


def _best_side(screen: Screen, met_by_side: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(sides on which the screen stands, the items met on the best of them)."""
    standing = [s for s in SIDES if _stands(screen, met_by_side[s])]
    if not standing:
        return [], []

    def weight(side: str) -> float:  # summed in the screen's order and rounded: equal weights tie on every run
        return round(sum(i.weight for i in screen.items if i.id in met_by_side[side]), 6)

    best = max(standing, key=lambda s: (weight(s), s == "right"))
    return standing, [i.id for i in screen.items if i.id in met_by_side[best]]


def _side_words(standing: list[str], met_by_side: dict[str, set[str]]) -> str:
    """'on the right' when the screen stands, or its one-sided items are met, on one side only."""
    if len(standing) == 1:
        return on_side(standing[0])
    shared = met_by_side["left"] & met_by_side["right"]
    sided = [s for s in SIDES if met_by_side[s] - shared]
    return on_side(sided[0] if len(sided) == 1 else "both" if sided else None)


def _item_words(kb: KnowledgeBase, item: ScreenItem, case: Case, findings: FindingSet, standing: list[str]) -> str:
    if item.findings:
        found = [f for b in item.findings for f in findings.by_base.get(b, ()) if f.side in (*standing, None)]
        told = [f for f in found if not f.to_confirm()]  # what is only to confirm is not told as found
        if told:
            return findings_words(kb, sorted(told, key=lambda f: f.id))
        if found:
            return UNCONFIRMED
    if item.measure is not None:
        values = [v for v in _measured(case, item.measure)[1] if isinstance(v, int | float) and not isinstance(v, bool)]
        if values:
            return f"{item.says} ({', '.join(f'{v:g}' for v in values)})"
    if item.age_over is not None or item.age_under is not None:
        return f"{item.says} ({case.assessment.client.age})"
    return item.says


def _consequence(kb: KnowledgeBase, screen: Screen, findings: FindingSet) -> str:
    muscle = strongest([f for f in findings.ordered() if f.kind in IMBALANCE_KINDS and not f.to_confirm()])
    if muscle:
        listed = findings_words(kb, muscle)
        return f"The muscle findings here ({listed}) {MAY_BE_CONSEQUENCE}: {screen.consequence}"
    return f"Tight or weak muscles found later {MAY_BE_CONSEQUENCE}: {screen.consequence}"


def _used_findings(screen: Screen, findings: FindingSet, standing: list[str], met: list[str]) -> list[str]:
    """The findings the screen rests on: those of its finding items and of the tests its measures read."""
    items = {i.id: i for i in screen.items}
    bases = {b for i in met for b in items[i].findings}
    tests = {items[i].measure.test for i in met if items[i].measure is not None}  # type: ignore[union-attr]
    used = [
        f.id
        for f in findings.by_id.values()
        if (f.side in standing or f.side is None) and (f.base in bases or any(e.test in tests for e in f.evidence))
    ]
    return sorted(used)


def _document(
    kb: KnowledgeBase, found: tuple[Pattern, Screen, Referral], case: Case, findings: FindingSet
) -> dict[str, Any] | None:
    p, screen, refer = found
    met_by_side: dict[str, set[str]] = {s: set() for s in SIDES}
    for item in screen.items:
        for side in _sides_met(kb, item, case, findings):
            met_by_side[side].add(item.id)
    standing, met = _best_side(screen, met_by_side)
    if not standing:
        return None
    items = {i.id: i for i in screen.items}
    confidence = min(MAX_CONFIDENCE, round(sum(items[i].weight for i in met), 2))
    evidence = join([_item_words(kb, items[i], case, findings, standing) for i in met])
    text = p.explanation_template.format(
        side=_side_words(standing, met_by_side),
        evidence=evidence,
        symptoms="",
        consequence=_consequence(kb, screen, findings),
    )
    return {
        "id": p.id,
        "kind": "screen",
        "confidence": confidence,
        "findings": _used_findings(screen, findings, standing, met),
        "explanation": tidy(text),
        "refer": {"to": refer.to, "urgency": refer.urgency, "why": refer.why},
    }


def score_screens(kb: KnowledgeBase, findings: FindingSet, case: Case) -> list[dict[str, Any]]:
    """The screens that stand for this case, most confident first; none that one of the client's conditions
    accounts for (its ``explains``: after a hip replacement, groin pain is not osteoarthritis)."""
    explained = {e.pattern for c in case.assessment.client.conditions for e in kb.conditions[c].explains}
    out = [
        d
        for found in screens(kb)
        if found[0].id not in explained and (d := _document(kb, found, case, findings)) is not None
    ]
    return sorted(out, key=lambda d: (-d["confidence"], d["id"]))


def screens_first(
    kb: KnowledgeBase, found: list[dict[str, Any]], imbalances: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The contract's order: every screen before every imbalance pattern; with a screen present, each
    imbalance's explanation says its findings may be a consequence of the screen's problem."""
    if not found:
        return imbalances
    names = " and the ".join(kb.pattern[s["id"]].name.lower() for s in found)
    note = f" With the {names} above, these findings may be a consequence of it rather than the cause."
    return found + [{**p, "explanation": p["explanation"] + note} for p in imbalances]
