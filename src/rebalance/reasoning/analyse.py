"""One validated assessment -> the contract's analysis document (without the program)."""

from __future__ import annotations

from typing import Any

from rebalance.assessment import scores
from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reasoning.coverage import coverage
from rebalance.reasoning.findings import FindingSet, interpret
from rebalance.reasoning.lifestyle import ActiveFactor, active_factors, apply_priors
from rebalance.reasoning.patterns import argued_against, precaution_conditions, score_patterns, suggest_tests
from rebalance.reasoning.rules import compile_rules
from rebalance.reasoning.safety import assess_safety, withholds_program
from rebalance.reasoning.screens import reread, score_screens, screens_first

ANALYSIS_SCHEMA = "rebalance.analysis/1"


class Analysis:
    """The reasoning result: keeps the typed findings for the program builder."""

    __slots__ = ("case", "document", "factors", "findings")

    def __init__(self, case: Case, findings: FindingSet, factors: list[ActiveFactor], document: dict[str, Any]) -> None:
        self.case, self.findings, self.factors, self.document = case, findings, factors, document


def _scores(kb: KnowledgeBase, case: Case) -> dict[str, Any]:
    a = case.assessment
    return {
        "pain_now": a.symptoms.pain_now,
        "pain_worst_week": a.symptoms.pain_worst_week,
        "pain_band": scores.pain_band(kb, a.symptoms.pain_now),
        "odi": scores.odi(kb, a.questionnaires.odi),
        "start_back": scores.start_back(kb, a.questionnaires.start_back),
    }


def analyse(kb: KnowledgeBase, case: Case) -> Analysis:
    """Analyse a validated case: scores, findings, patterns (screens first), safety, tests to do next, coverage."""
    rules = compile_rules(kb)
    findings = interpret(kb, rules, case)
    reread(kb, findings, case)
    factors = active_factors(kb, case)
    apply_priors(findings, factors)
    findings.finalize()
    score_block = _scores(kb, case)
    found = score_screens(kb, findings, case)
    patterns = screens_first(kb, found, score_patterns(kb, findings, case, [s["id"] for s in found]))
    ctx = {
        "neural": [f for f in findings.by_id.values() if f.kind == "neural"],
        "start_back": score_block["start_back"],
        "screens": {s["id"] for s in found},
    }
    safety = assess_safety(kb, case, ctx)
    withheld = withholds_program(safety["level"])
    against = argued_against(kb, findings, ctx["screens"], case.assessment.client.conditions)
    covered = coverage(kb, case, withheld, against, precaution_conditions(kb, case, ctx["screens"]))
    document: dict[str, Any] = {
        "schema": ANALYSIS_SCHEMA,
        "client_id": case.assessment.client.id,
        "date": case.assessment.date.isoformat(),
        "safety": safety,
        "scores": score_block,
        "findings": [
            {
                "id": f.id,
                "kind": f.kind,
                "target": f.target,
                "side": f.side,
                "severity": f.severity,
                "confidence": f.confidence,
                "evidence": [e.document() for e in f.evidence],
            }
            for f in findings.ordered()
        ],
        "patterns": patterns,
        # no exercise testing is suggested until a doctor has seen someone with serious flags
        "suggested_tests": [] if withheld else suggest_tests(kb, case, findings, patterns, covered["missing"]),
        "coverage": covered,
        "lifestyle_factors": [a.document() for a in factors],
        "tests_done": sorted(case.tests),
        "program": None,
    }
    return Analysis(case, findings, factors, document)
