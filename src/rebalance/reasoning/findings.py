"""Measurements -> findings.

Each measurement is read against its norm (the test's own thresholds), against the other
side (limb symmetry index), and against its antagonist (ratios); overhead-squat compensations
map to probably overactive and underactive muscles. Evidence for the same finding id is
merged: the severity is the worst, the confidence combines the independent pieces.
A test that was not done gives no finding: unknown, never normal.

Weak evidence is read for what it is: a painful squat, or a squat done in severe pain, shows
pain behaviour rather than an imbalance, so its compensations give no finding; a straight-leg
raise stopped by leg pain measures the nerve, so it gives no hamstring or left/right finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rebalance.assessment.models import Case, TestEntry
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import MUSCLE_KINDS
from rebalance.knowledge.words import compensation_seen, muscle_noun, test_phrase
from rebalance.reasoning.rules import SEVERITY_NAME, CompiledNorm, CompiledTest, Rules

MAX_CONFIDENCE = 0.95
# How far to trust a left/right difference or an observed squat compensation, before any
# other evidence: modelling choices of rebalance, not clinical figures.
ASYMMETRY_CONFIDENCE = 0.6
COMPENSATION_CONFIDENCE = 0.5
COMPENSATION_MUSCLE_CONFIDENCE = 0.3
OTHER = {"left": "right", "right": "left"}
SQUAT = "overhead_squat"
SLR, CROSSED_SLR = "passive_slr", "crossed_slr"
CONFIRM_BELOW = 0.5
"""A finding below this confidence is "to confirm" (:func:`to_confirm`; rebalance's convention: the
engine's confidences are its own scale, not a published one)."""


def to_confirm(kind: str, confidence: float, tests: Iterable[str]) -> bool:
    """An inference the assessment barely supports: confidence under :data:`CONFIRM_BELOW`, or a tight or
    weak muscle read from the overhead squat alone (a squat compensation implicates several muscles at once;
    NASM 2012 reads it as a screen, to be followed by muscle tests). The clinician's page shows it "to
    confirm"; no text names it as found (a pattern's explanation, the learn pages)."""
    return confidence < CONFIRM_BELOW or (kind in MUSCLE_KINDS and all(test == SQUAT for test in tests))


@dataclass(slots=True)
class Evidence:
    test: str
    value: Any
    threshold: Any
    reason: str
    source: str
    confidence: float
    inferred: bool = False  # a hypothesis from a movement screen, not a direct measurement

    def document(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "value": self.value,
            "threshold": self.threshold,
            "reason": self.reason,
            "source": self.source,
        }


@dataclass(slots=True)
class Finding:
    kind: str
    target: str
    side: str | None
    id: str
    base: str
    rank: int = 1
    evidence: list[Evidence] = field(default_factory=list)
    boost: float = 0.0
    confidence: float = 0.0  # set by FindingSet.finalize once all evidence and priors are in

    @property
    def severity(self) -> str:
        return SEVERITY_NAME[self.rank]

    def to_confirm(self) -> bool:
        """Whether this finding is only to confirm (:func:`to_confirm`), once its confidence is set."""
        return to_confirm(self.kind, self.confidence, (ev.test for ev in self.evidence))

    def combined_confidence(self) -> float:
        """Strongest evidence per test, combined across tests as independent (noisy-OR)."""
        best: dict[str, float] = {}
        for ev in self.evidence:
            if ev.confidence > best.get(ev.test, 0.0):
                best[ev.test] = ev.confidence
        miss = 1.0
        for c in best.values():
            miss *= 1.0 - c
        return round(min(MAX_CONFIDENCE, 1.0 - miss + self.boost), 2)


class FindingSet:
    """Findings keyed by id; adding evidence to an existing id merges it."""

    def __init__(self) -> None:
        self.by_id: dict[str, Finding] = {}
        self.by_base: dict[str, list[Finding]] = {}
        self.measured_normal: set[tuple[str, str | None]] = set()  # (base, side) a direct test found normal

    def add(self, kind: str, target: str, side: str | None, rank: int, ev: Evidence) -> None:
        base = f"{kind}:{target}"
        key = f"{base}:{side}" if side else base
        found = self.by_id.get(key)
        if found is None:
            found = self.by_id[key] = Finding(kind, target, side, key, base)
            self.by_base.setdefault(base, []).append(found)
        found.rank = max(found.rank, rank)
        found.evidence.append(ev)

    def remove(self, f: Finding) -> None:
        del self.by_id[f.id]
        self.by_base[f.base].remove(f)
        if not self.by_base[f.base]:
            del self.by_base[f.base]

    def drop_refuted_inferences(self) -> None:
        """Drop findings resting only on movement-screen inferences that a direct test refutes.

        A normal direct measurement of the same muscle and side outweighs a squat's guess; and a
        squat that implicates one muscle as both overactive and underactive says nothing of it.
        """
        measured: dict[str, set[str | None]] = {}
        for base, side in self.measured_normal:
            measured.setdefault(base, set()).add(side)
        inferred_only = {f.id for f in self.by_id.values() if all(e.inferred for e in f.evidence)}
        opposite = {"tight": "weak", "weak": "tight"}
        doomed = []
        for fid in sorted(inferred_only):
            f = self.by_id[fid]
            sides = measured.get(f.base, set())
            refuted = f.side in sides or (f.side is None and bool(sides))
            conflicting = f.kind in opposite and fid.replace(f.kind, opposite[f.kind], 1) in inferred_only
            if refuted or conflicting:
                doomed.append(f)
        for f in doomed:
            self.remove(f)

    def finalize(self) -> None:
        """Fix each finding's confidence; call after lifestyle priors are applied."""
        for f in self.by_id.values():
            f.confidence = f.combined_confidence()

    def ordered(self) -> list[Finding]:
        return sorted(self.by_id.values(), key=lambda f: (-f.rank, -f.confidence, f.id))


def _holds(norm: CompiledNorm, values: dict[str, Any]) -> bool:
    for fld, op, expected, absent_passes in norm.conditions:
        value = values.get(fld)
        if value is None:
            if absent_passes:
                continue
            return False
        if not op(value, expected):
            return False
    return True


def _finding_side(norm: CompiledNorm, side: str | None) -> str | None:
    if norm.side_rule == "none" or side is None:
        return None
    return side if norm.side_rule == "same" else OTHER[side]


def _apply(out: FindingSet, norm: CompiledNorm, values: dict[str, Any], side: str | None, target: str) -> None:
    if not _holds(norm, values):
        value = values.get(norm.primary)
        _, op, expected, _ = norm.conditions[0]
        if value is not None and not op(value, expected):  # measured, and on the normal side of the cut-off
            out.measured_normal.add((f"{norm.kind}:{target}", _finding_side(norm, side)))
        return
    value = values[norm.primary]
    ev = Evidence(norm.test, value, norm.threshold, norm.reason, norm.source, norm.confidence)
    out.add(norm.kind, target, _finding_side(norm, side), norm.rank(value), ev)


def _norm_findings(
    out: FindingSet, ct: CompiledTest, entry: TestEntry, sex: str | None, midline: frozenset[str]
) -> None:
    norms = ct.norms_by_sex[sex if sex in ("male", "female") else None]
    if ct.layout == "sided":
        for side, values in entry.sides.items():
            other = entry.sides.get(OTHER[side], {})
            for norm in norms:
                if norm.one_sided and norm.primary in other and other[norm.primary] == values.get(norm.primary):
                    continue  # alike on both sides: not a sign of one nerve root
                _apply(out, norm, values, side, norm.target)
    elif ct.layout == "per_muscle":
        for muscle, values in entry.muscles.items():
            for side in ("left", "right"):
                if side in values:
                    for norm in norms:
                        target = muscle if norm.target == "self" else norm.target
                        _apply(out, norm, {norm.primary: values[side]}, None if target in midline else side, target)
    else:
        whole = entry.whole
        whole_side: str | None = whole.get(ct.side_field) if ct.side_field else None
        for norm in norms:
            if norm.primary in ct.sided_fields:
                for s, v in (whole.get(norm.primary) or {}).items():
                    _apply(out, norm, {**whole, norm.primary: v}, s, norm.target)
            else:
                _apply(out, norm, whole, whole_side, norm.target)


def _pairs(ct: CompiledTest, entry: TestEntry, fld: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, {left: v, right: v}) pairs to compare for symmetry."""
    if ct.layout == "sided":
        pair = {s: v[fld] for s, v in entry.sides.items() if fld in v}
        return [("", pair)]
    if ct.layout == "per_muscle":
        return [(m, {s: v[s] for s in ("left", "right") if s in v}) for m, v in entry.muscles.items()]
    return [("", dict(entry.whole.get(fld) or {}))]


def _symmetry_findings(kb: KnowledgeBase, out: FindingSet, ct: CompiledTest, entry: TestEntry, rules: Rules) -> None:
    if ct.symmetry is None:
        return
    fld, higher_better, target, fmax, normal_difference = ct.symmetry
    flag, moderate, severe, source = rules.lsi
    for label, pair in _pairs(ct, entry, fld):
        if "left" not in pair or "right" not in pair:
            continue
        if abs(pair["left"] - pair["right"]) <= normal_difference:
            continue  # within the difference healthy people show between their legs
        left, right = (pair["left"], pair["right"]) if higher_better else (fmax - pair["left"], fmax - pair["right"])
        high = max(left, right)
        if high <= 0:
            continue
        lsi = round(min(left, right) / high * 100, 1)
        if lsi >= flag:
            continue
        weaker = "left" if left < right else "right"
        rank = 3 if lsi < severe else 2 if lsi < moderate else 1
        what = test_phrase(kb, ct.id) + (f" of the {muscle_noun(kb, label, 'clinician').text}" if label else "")
        reason = (
            f"On {what}, the {weaker} side reaches {lsi:g} % of the other (a limb symmetry index "
            f"under {flag:g} %), consistent with a side-to-side imbalance."
        )
        out.add("asymmetry", target, weaker, rank, Evidence(ct.id, lsi, flag, reason, source, ASYMMETRY_CONFIDENCE))


def _operand(case: Case, op: Any) -> dict[str | None, tuple[float, str | None]]:
    """Values of a ratio operand by side (None for a whole test), with the unit if any."""
    entry = case.tests.get(op.test)
    if entry is None:
        return {}
    if entry.layout == "per_muscle":
        vals = entry.muscles.get(op.muscle) or {}
        return {s: (vals[s], vals.get("unit")) for s in ("left", "right") if s in vals}
    if entry.layout == "sided":
        return {s: (v[op.field], None) for s, v in entry.sides.items() if op.field in v}
    value = entry.whole.get(op.field)
    return {None: (value, None)} if value is not None else {}


def _ratio_findings(out: FindingSet, kb: KnowledgeBase, case: Case) -> None:
    for ratio in kb.ratios.values():
        num, den = _operand(case, ratio.numerator), _operand(case, ratio.denominator)
        for side in ("left", "right", None):
            n = num.get(side) or (num.get(None) if side is None else None)
            d = den.get(side) or den.get(None)
            if n is None or d is None or (side is None and (None not in num)):
                continue
            if n[1] != d[1] or d[0] == 0:
                continue  # different units, or nothing to divide by
            value = round(n[0] / d[0], 2)
            if not (value < ratio.threshold if ratio.op == "lt" else value > ratio.threshold):
                continue
            rank = (
                2
                if ratio.severe_at is not None
                and (value <= ratio.severe_at if ratio.op == "lt" else value >= ratio.severe_at)
                else 1
            )
            ev = Evidence(ratio.id, value, ratio.threshold, ratio.reason, ratio.source or "", ratio.confidence)
            out.add("ratio", ratio.id, side, rank, ev)


def _sides_for(muscle: str, side: str | None, rules: Rules) -> tuple[str | None, ...]:
    if muscle in rules.midline:
        return (None,)
    return (side,) if side else ("left", "right")


def squat_read_as_pain(kb: KnowledgeBase, case: Case) -> bool:
    """Whether the overhead squat's compensations are pain behaviour rather than evidence of imbalance.

    A squat that was painful, or done while pain is severe (the ``severe_pain_squat`` criterion,
    7/10 or more), shows how the person avoids pain, not which muscles are tight or weak.
    """
    entry = case.tests.get(SQUAT)
    if entry is None:
        return False
    limit = kb.criterion["squat_pain_limit"].value
    return entry.whole.get("pain") is True or case.assessment.symptoms.pain_now >= limit


def _compensation_findings(out: FindingSet, kb: KnowledgeBase, case: Case, rules: Rules) -> None:
    entry = case.tests.get(SQUAT)
    if entry is None or squat_read_as_pain(kb, case):
        return
    for item in entry.whole.get("compensations", []):
        comp = kb.compensations[item["id"]]
        given = item.get("side")
        sides: tuple[str | None, ...] = (given,) if given in OTHER else ("left", "right") if comp.sided else (None,)
        src = comp.sources[0]
        # a compensation measured on video carries how far its view can be trusted (0-1)
        seen_confidence = COMPENSATION_CONFIDENCE * float(item.get("confidence", 1.0))
        for side in sides:
            seen = f"In the overhead squat, {compensation_seen(kb, comp.id, side)}"
            out.add(
                "movement",
                comp.id,
                side,
                1,
                Evidence(
                    SQUAT,
                    True,
                    None,
                    f"{seen}: consistent with a muscle imbalance around the hip and trunk.",
                    src,
                    seen_confidence,
                ),
            )
            groups = [(comp.overactive, "tight", side), (comp.underactive, "weak", side)]
            if side in OTHER:
                groups += [
                    (comp.overactive_opposite_side, "tight", OTHER[side]),
                    (comp.underactive_opposite_side, "weak", OTHER[side]),
                ]
            for muscles, kind, s in groups:
                word = "working too hard" if kind == "tight" else "not doing its share"
                for mu in muscles:
                    noun = muscle_noun(kb, mu, "clinician")
                    does = word.replace("its", "their") if noun.plural else word
                    reason = (
                        f"{seen}: the {noun.text} {'are' if noun.plural else 'is'} probably {does}; "
                        "a specific test should confirm it."
                    )
                    for ms in _sides_for(mu, s if comp.sided else None, rules):
                        ev = Evidence(SQUAT, comp.id, None, reason, src, COMPENSATION_MUSCLE_CONFIDENCE, inferred=True)
                        out.add(kind, mu, ms, 1, ev)


def slr_stopped_by_leg_pain(case: Case) -> set[str]:
    """The sides whose straight-leg raise was stopped by leg pain rather than by the hamstrings.

    A raise that reproduces the leg pain below the knee stopped at the nerve; so did the raise
    of the other leg when the crossed raise reproduces this leg's pain (its side is the painful
    leg), and this leg's own raise, whose root is sensitive enough to be pulled from the far side.
    """
    slr = case.tests.get(SLR)
    sides = slr.sides.items() if slr else ()
    stopped = {s for s, v in sides if v.get("reproduces_leg_pain_below_knee") is True}
    crossed = case.tests.get(CROSSED_SLR)
    for side, values in crossed.sides.items() if crossed else ():
        if values.get("positive") is True:
            stopped |= {side, OTHER[side]}
    return stopped


def _slr_entry(entry: TestEntry, stopped: set[str]) -> TestEntry:
    """The straight-leg raise without the angles of the sides stopped by leg pain (the nerve
    findings need no angle from them: they come from the leg pain it reproduced)."""
    sides = {}
    for side, values in entry.sides.items():
        if side in stopped and values.get("reproduces_leg_pain_below_knee") is not True:
            continue  # stopped from the other side (crossed): no reading of this side at all
        sides[side] = values
    return TestEntry(entry.test, entry.layout, sides=sides)


def interpret(kb: KnowledgeBase, rules: Rules, case: Case) -> FindingSet:
    """All findings of one validated case."""
    out = FindingSet()
    sex = case.assessment.client.sex
    stopped = slr_stopped_by_leg_pain(case)
    for test_id, entry in case.tests.items():
        ct = rules.tests[test_id]
        if test_id == SLR and stopped:
            _norm_findings(out, ct, _slr_entry(entry, stopped), sex, rules.midline)
            continue  # one side measured the nerve: no left/right comparison of the angles
        _norm_findings(out, ct, entry, sex, rules.midline)
        _symmetry_findings(kb, out, ct, entry, rules)
    _ratio_findings(out, kb, case)
    _compensation_findings(out, kb, case, rules)
    out.drop_refuted_inferences()
    return out
