"""Findings -> exercises, in the corrective order: release, lengthen, activate, strengthen/integrate.

Each finding, most important first, gets the best eligible exercise for its stage (an
exercise already chosen that addresses it is reused); tight muscles that are moderate or worse
also get a self-release. Then the program makes sure of core stability, the work the client's
conditions call for (back-extensor and balance work with osteoporosis, supported balance work with
a balance impairment: the first of the condition's exercises the client may do, so a precaution
changes the exercise rather than dropping the goal), a nerve glide when a nerve root is irritated,
relaxation and aerobic work. A moderate or severe finding that no eligible
exercise addresses is listed for hands-on care.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import Exercise
from rebalance.knowledge.queries import addresses_by_exercise, addressing_index
from rebalance.programs.profile import CORE_MUSCLES, MIN_WEIGHT, Profile, exclusion, weight

ORDER = (
    "release",
    "lengthen",
    "mobility",
    "nerve_glide",
    "activate",
    "strengthen",
    "integrate",
    "relaxation",
    "aerobic",
)
# the stages each kind of finding is worked through, in order of preference
STAGES = {
    "tight": ("lengthen", "release", "mobility"),
    "weak": ("activate", "strengthen", "integrate"),
    "neural": ("nerve_glide",),
}
HANDS_ON = {
    "tight": "soft-tissue therapy (massage, myofascial or trigger-point release)",
    "joint": "joint mobilisation by a clinician",
    "neural": "a clinician's neurological review",
    "weak": "supervised strengthening with a clinician",
}


@dataclass(slots=True)
class Choice:
    exercise: Exercise
    addresses: list[dict[str, Any]] = field(default_factory=list)  # findings (document dicts)
    reason: str = ""  # for items not tied to a finding (core, relaxation, aerobic)
    priority: float = 0.0
    essential: bool = False  # part of every program (core, nerve glide, relaxation, aerobic)

    def add(self, finding: dict[str, Any]) -> None:
        if finding["id"] not in {f["id"] for f in self.addresses}:
            self.addresses.append(finding)
            self.priority = max(self.priority, weight(finding))


def _base(finding: dict[str, Any]) -> str:
    return f"{finding['kind']}:{finding['target']}"


class Selector:
    def __init__(self, kb: KnowledgeBase, profile: Profile, findings: list[dict[str, Any]]) -> None:
        self.kb, self.profile, self.findings = kb, profile, findings
        self.index = addressing_index(kb)
        self.covers = addresses_by_exercise(kb)
        self.chosen: dict[str, Choice] = {}
        self.present = {_base(f) for f in findings}

    def eligible(self, ex_id: str, stretch: int = 0) -> bool:
        return exclusion(self.kb, self.kb.exercise[ex_id], self.profile, stretch) is None

    def _rank(self, ex: Exercise) -> tuple[int, int, int, str]:
        covers = len(self.covers[ex.id] & self.present)
        return (0 if ex.id in self.chosen else 1, -covers, -ex.difficulty, ex.id)

    def best(self, candidates: list[str], shortest: bool = False) -> Exercise | None:
        for stretch in (0, 1):
            fits = [self.kb.exercise[c] for c in candidates if self.eligible(c, stretch)]
            if fits:
                if shortest:
                    return min(fits, key=lambda e: (e.seconds_per_set * e.dosage.sets, e.id))
                return min(fits, key=self._rank)
        return None

    def unaddressed_reason(self, finding: dict[str, Any]) -> tuple[str, str]:
        """(care, note) for a finding no eligible exercise addresses."""
        candidates = [self.kb.exercise[c] for c in self.index.get(_base(finding), ())]
        if any(
            exclusion(self.kb, ex, self.profile, stretch=3) is None
            or "difficulty" in (exclusion(self.kb, ex, self.profile, stretch=0) or "")
            for ex in candidates
        ):
            care = "a clinician's review before harder exercise"
            return care, (
                "The exercises for this are harder than this start allows; a clinician decides when to add them."
            )
        care = HANDS_ON.get(finding["kind"], "a clinician's review")
        why = sorted({exclusion(self.kb, ex, self.profile, stretch=3) or "" for ex in candidates} - {""})
        detail = f" ({'; '.join(why)})" if why else ""
        return care, f"No home exercise that suits this client addresses it{detail}; refer for {care}."

    def _choose(self, ex: Exercise, finding: dict[str, Any] | None, reason: str = "") -> None:
        choice = self.chosen.setdefault(ex.id, Choice(ex, reason=reason))
        if finding is not None:
            choice.add(finding)
        if reason:
            choice.essential = True
            choice.reason = choice.reason or reason

    def address(self, finding: dict[str, Any]) -> bool:
        """Choose exercises for one finding; True if it is addressed."""
        candidates = list(self.index.get(_base(finding), ()))
        stages = STAGES.get(finding["kind"], ORDER)
        done = False
        for stage in stages:
            ex = self.best([c for c in candidates if self.kb.exercise[c].intent == stage])
            if ex is not None:
                self._choose(ex, finding)
                done = True
                break
        if not done:
            ex = self.best(candidates)
            if ex is not None:
                self._choose(ex, finding)
                done = True
        if finding["kind"] == "tight" and finding["severity"] != "mild":
            ex = self.best([c for c in candidates if self.kb.exercise[c].intent == "release"])
            if ex is not None:
                self._choose(ex, finding)
        return done

    def prefer(self, exercise_ids: list[str], reason: str) -> None:
        """Add the first of ``exercise_ids`` (in their order) this client may do, unless one is already chosen."""
        for ex_id in exercise_ids:
            if ex_id in self.chosen:
                chosen = self.chosen[ex_id]
                chosen.essential, chosen.reason = True, chosen.reason or reason
                return
        for stretch in (0, 1):
            found = next((e for e in exercise_ids if self.eligible(e, stretch)), None)
            if found is not None:
                self._choose(self.kb.exercise[found], None, reason)
                for f in self.findings:
                    if found in self.index.get(_base(f), ()):
                        self.chosen[found].add(f)
                return

    def ensure(self, intent: str | None, reason: str, muscles: frozenset[str] = frozenset()) -> None:
        """Add one exercise of an intent (or on the given muscles) unless one is already chosen."""

        def fits(ex: Exercise) -> bool:
            return (intent is None or ex.intent == intent) and (not muscles or bool(muscles & set(ex.primary)))

        for c in self.chosen.values():
            if fits(c.exercise):
                c.essential = True
                return
        short = intent in ("relaxation", "aerobic")
        ex = self.best([e.id for e in self.kb.exercise.values() if fits(e)], shortest=short)
        if ex is not None:
            related = [f for f in self.findings if ex.id in self.index.get(_base(f), ())]
            self._choose(ex, None, reason)
            for f in related:
                self.chosen[ex.id].add(f)


def select(
    kb: KnowledgeBase, profile: Profile, findings: list[dict[str, Any]]
) -> tuple[list[Choice], list[dict[str, Any]]]:
    """The chosen exercises (program order) and the findings that need hands-on care."""
    ordered = sorted((f for f in findings if weight(f) >= MIN_WEIGHT), key=lambda f: (-weight(f), f["id"]))
    sel = Selector(kb, profile, ordered)
    hands_on = []
    for finding in ordered:
        if not sel.address(finding) and finding["severity"] != "mild":
            care, note = sel.unaddressed_reason(finding)
            hands_on.append({"finding": finding["id"], "care": care, "note": note})
    for ex_id, why in profile.favoured:
        sel.prefer([ex_id], why)
    sel.ensure(
        None,
        "A steady trunk protects your low back when you lift, carry and bend.",
        CORE_MUSCLES,
    )
    for cid in sorted(profile.conditions & set(kb.conditions)):
        cond = kb.conditions[cid]
        for need in cond.calls_for:
            sel.prefer(need.exercises, f"{cond.name} calls for {need.work}: {need.why}")
    if profile.neural:
        sel.ensure("nerve_glide", "Gentle nerve glides keep an irritated nerve moving without stretching it hard.")
    sel.ensure("relaxation", "Relaxation practice lowers muscle tension and the stress that feeds it.")
    sel.ensure("aerobic", "Walking and other steady activity keep your back moving; back pain guidelines advise it.")
    choices = sorted(sel.chosen.values(), key=lambda c: (ORDER.index(c.exercise.intent), -c.priority, c.exercise.id))
    return choices, hands_on
