"""An analysis as the clinician's assessment page reads it at a glance: findings grouped, the doubtful
ones set apart to confirm, each piece of evidence a sentence with its citation.

    assessment_view(kb, analysis)   the page's findings: groups (tight, weak, left-right, other) and
                                    "to confirm", each finding with its evidence in words
    flags(kb, analysis)             the safety flags by name, with their messages
    stops(analysis)                 whether the page says only the safety message (emergency, urgent)

A finding goes "to confirm" when it is an inference the assessment barely supports: its confidence
under :data:`CONFIRM_BELOW`, or a tight or weak muscle read from the overhead squat alone (a squat
compensation implicates several muscles at once; NASM 2012 reads it as a screen, to be followed by
muscle tests). Each comes with the tests of the catalogue that would confirm it. Every name comes from
the phrase builder (:mod:`rebalance.knowledge.words`): no id, source tag or weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import capital, finding_title, join, measured, sentence, split_finding, test_phrase
from rebalance.knowledge.words import citation as cite_words
from rebalance.reasoning.findings import CONFIRM_BELOW, to_confirm
from rebalance.reasoning.safety import withholds_program

__all__ = [
    "CONFIRM_BELOW",
    "GROUPS",
    "AssessmentView",
    "Evidence",
    "FindingGroup",
    "FindingView",
    "assessment_view",
    "confirm_sentence",
    "doubtful",
    "flags",
    "stops",
]

SCREEN = "overhead_squat"
# The findings' groups, in the order a clinician reads them (the page, the report, the text report).
GROUPS = (
    ("Tight or overactive", ("tight",)),
    ("Weak or underactive", ("weak",)),
    ("Left-right differences", ("asymmetry",)),
    ("Other findings", ("ratio", "posture", "movement", "neural", "joint")),
)


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: what was measured against its norm and why it counts; its citation."""

    text: str
    cited: str  # "Fishman et al. 2002", "rebalance's own convention"; "" without a source
    url: str | None


@dataclass(frozen=True)
class FindingView:
    title: str  # "Right piriformis", "Side bridge, right side lower"
    severity: str
    confidence: int  # percent
    evidence: list[Evidence]
    confirm: str = ""  # to confirm: "Confirm with the muscle strength test or the single-leg bridge."
    kind: str = ""  # the kind of finding in words, for a line outside its group: "tight or overactive"


@dataclass(frozen=True)
class FindingGroup:
    title: str
    findings: list[FindingView]


@dataclass(frozen=True)
class AssessmentView:
    groups: list[FindingGroup]
    to_confirm: list[FindingView]

    @property
    def count(self) -> int:
        return sum(len(g.findings) for g in self.groups) + len(self.to_confirm)


def stops(analysis: dict[str, Any]) -> bool:
    """The safety level withholds the program (emergency, urgent): the page says the safety message only."""
    return withholds_program(analysis["safety"]["level"])


def flags(kb: KnowledgeBase, analysis: dict[str, Any]) -> list[tuple[str, str]]:
    """The safety flags as (name, message): a red flag's or a condition's name ("Saddle numbness"), none
    when the message starts with it already or the flag has no record."""
    out = []
    for flag in analysis["safety"]["flags"]:
        record = kb.red_flags.get(flag["id"]) or kb.conditions.get(flag["id"])
        name = str(record.name) if record is not None else ""
        out.append(("" if flag["message"].startswith(name) else name, flag["message"]))
    return out


def _url(kb: KnowledgeBase, source_id: str | None) -> str | None:
    source = kb.sources.get(source_id or "")
    if source is None or source.kind == "convention":
        return None
    return source.url or (f"https://doi.org/{source.doi}" if source.doi else None)


def _evidence(kb: KnowledgeBase, finding: dict[str, Any]) -> list[Evidence]:
    out: dict[str, Evidence] = {}
    for e in finding["evidence"]:
        text = " ".join(x for x in (measured(kb, finding["id"], e), sentence(e.get("reason", ""))) if x)
        source = e.get("source")
        out.setdefault(text, Evidence(text, cite_words(kb, source) if source else "", _url(kb, source)))
    return list(out.values())


def doubtful(finding: dict[str, Any]) -> bool:
    """An inference to confirm: low confidence, or a muscle read from the overhead squat alone
    (:func:`rebalance.reasoning.findings.to_confirm`, the rule the engine's texts keep to)."""
    return to_confirm(finding["kind"], finding["confidence"], (e["test"] for e in finding["evidence"]))


def confirming_tests(kb: KnowledgeBase, finding_id: str, done: set[str]) -> list[str]:
    """The catalogue's tests whose norms can give this finding (a per-muscle test when it tests that
    muscle), other than the overhead squat and the tests already giving it evidence (``done``)."""
    kind, target, _ = split_finding(finding_id)
    found = []
    for test_id, test in kb.test.items():
        if test_id == SCREEN or test_id in done:
            continue
        for norm in test.norms:
            own = norm.finding.target == target
            per_muscle = norm.finding.target == "self" and target in test.targets
            if norm.finding.kind == kind and (own or per_muscle):
                found.append(test_id)
                break
    return found


NO_TEST = {
    "tight": "Confirm by examining the muscle's length: the catalogue has no length test for it.",
    "weak": "Confirm by testing the muscle's strength directly.",
}


def confirm_sentence(kb: KnowledgeBase, finding: dict[str, Any]) -> str:
    """How to confirm a doubtful finding: the tests that would, or how to examine it without one."""
    tests = confirming_tests(kb, finding["id"], {e["test"] for e in finding["evidence"]})
    if tests:
        return f"Confirm with {join([test_phrase(kb, t) for t in tests], 'or')}."
    return NO_TEST.get(finding["kind"], "Confirm by examining it again: no other test in the catalogue gives it.")


def kind_name(kb: KnowledgeBase, kind: str) -> str:
    """A finding kind as a "to confirm" line says it: "tight or overactive", "left-right difference"."""
    record = kb.finding_kinds.get(kind)
    return record.name[:1].lower() + record.name[1:] if record is not None else ""


def _view(kb: KnowledgeBase, finding: dict[str, Any], to_confirm: bool) -> FindingView:
    confirm = confirm_sentence(kb, finding) if to_confirm else ""
    return FindingView(
        capital(finding_title(kb, finding["id"])),
        finding["severity"],
        round(finding["confidence"] * 100),
        _evidence(kb, finding),
        confirm,
        kind_name(kb, finding["kind"]),
    )


def assessment_view(kb: KnowledgeBase, analysis: dict[str, Any]) -> AssessmentView:
    """The findings grouped (tight, weak, left-right, other; the analysis's order within a group), the
    doubtful ones apart in "to confirm", each with the tests that would confirm it."""
    findings = analysis["findings"]
    sure = [f for f in findings if not doubtful(f)]
    groups = [FindingGroup(title, [_view(kb, f, False) for f in sure if f["kind"] in kinds]) for title, kinds in GROUPS]
    return AssessmentView([g for g in groups if g.findings], [_view(kb, f, True) for f in findings if doubtful(f)])
