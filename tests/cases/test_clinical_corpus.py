"""The clinical case corpus: cases written as a clinician would, each from a published presentation.

Every file in ``tests/cases/clinical/`` is one case::

    follows: "Sutlive 2008, JOSPT 38(9):542-50: the cluster for hip osteoarthritis ..."
    assessment: {schema: rebalance.assessment/1, ...}     # a whole assessment file
    minutes: 20                                           # optional, the session length
    expect:                                               # every key optional
      safety: clear | caution | urgent | emergency
      flags_present: [...]    flags_absent: [...]        # safety flag ids
      leading: pattern id, or null for no pattern at all
      patterns_present: [...] patterns_absent: [...]
      coverage: none | partial | full
      findings_present: [...] findings_absent: [...]     # finding ids
      program: given | withheld
      exercises_present: [...] exercises_absent: [...]   # program item exercise ids
      tests_present: [...]    tests_absent: [...]        # suggested test ids
      tests_first: test id                               # the suggested test to do first
      says: [...]             never_says: [...]          # case-insensitive text in the document

A case pins what must and must not be said; an unknown key in ``expect`` is an error, so a typo
cannot make a case pass by checking nothing. Together the cases cover the knowledge base
(:func:`test_the_corpus_covers_the_knowledge_base`): every screen stands in one case and is pinned
absent in a near miss, every condition is some case's client's, every safety level and every cluster
rule is reached, every imbalance pattern leads one case, and one case each is acutely distressed and
unexamined. The ids are read from the knowledge base, so a new one without a case fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalance.api import analyse_document
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reasoning.safety import LEVELS

CASES = Path(__file__).resolve().parent / "clinical"
FILES = sorted(CASES.glob("*.yaml"))
KEYS = {
    "safety",
    "flags_present",
    "flags_absent",
    "leading",
    "patterns_present",
    "patterns_absent",
    "coverage",
    "findings_present",
    "findings_absent",
    "program",
    "exercises_present",
    "exercises_absent",
    "tests_present",
    "tests_absent",
    "tests_first",
    "says",
    "never_says",
}


def _load(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(case) <= {"follows", "assessment", "minutes", "expect"}, f"{path.name}: unknown top-level key"
    assert str(case.get("follows", "")).strip(), f"{path.name}: say which published presentation it follows"
    unknown = set(case["expect"]) - KEYS
    assert not unknown, f"{path.name}: unknown expect keys {sorted(unknown)}"
    return case


def _ids(doc: dict[str, Any]) -> dict[str, list[str]]:
    program = doc.get("program") or {}
    return {
        "flags": [f["id"] for f in doc["safety"]["flags"]],
        "patterns": [p["id"] for p in doc["patterns"]],
        "findings": [f["id"] for f in doc["findings"]],
        "exercises": [i["exercise_id"] for i in program.get("items", [])],
        "tests": [t["test"] for t in doc["suggested_tests"]],
    }


def _check_sets(expect: dict[str, Any], ids: dict[str, list[str]]) -> list[str]:
    problems = []
    for key, plural in [
        ("flags", "flags"),
        ("patterns", "patterns"),
        ("findings", "findings"),
        ("exercises", "exercises"),
        ("tests", "tests"),
    ]:
        got = set(ids[plural])
        missing = set(expect.get(f"{key}_present", [])) - got
        unwanted = set(expect.get(f"{key}_absent", [])) & got
        if missing:
            problems.append(f"{key} missing: {sorted(missing)} (got {sorted(got)})")
        if unwanted:
            problems.append(f"{key} that must not appear: {sorted(unwanted)}")
    return problems


def _check_doc(expect: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    problems = _check_sets(expect, _ids(doc))
    if "safety" in expect and doc["safety"]["level"] != expect["safety"]:
        problems.append(f"safety {doc['safety']['level']!r}, expected {expect['safety']!r}")
    if "leading" in expect:
        lead = doc["patterns"][0]["id"] if doc["patterns"] else None
        if lead != expect["leading"]:
            problems.append(f"leading pattern {lead!r}, expected {expect['leading']!r}")
    if "coverage" in expect and (doc.get("coverage") or {}).get("level") != expect["coverage"]:
        problems.append(f"coverage {doc.get('coverage')!r}, expected level {expect['coverage']!r}")
    first = doc["suggested_tests"][0]["test"] if doc["suggested_tests"] else None
    if "tests_first" in expect and first != expect["tests_first"]:
        problems.append(f"first suggested test {first!r}, expected {expect['tests_first']!r}")
    if "program" in expect and (doc["program"] is None) != (expect["program"] == "withheld"):
        problems.append(f"program expected {expect['program']}")
    text = json.dumps(doc, ensure_ascii=False).lower()
    problems += [f"does not say {s!r}" for s in expect.get("says", []) if s.lower() not in text]
    problems += [f"says {s!r}" for s in expect.get("never_says", []) if s.lower() in text]
    return problems


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_clinical_case(path: Path) -> None:
    case = _load(path)
    doc = analyse_document(case["assessment"], minutes=case.get("minutes", 20))
    problems = _check_doc(case["expect"], doc)
    assert not problems, f"{path.name} ({case['follows']}):\n  " + "\n  ".join(problems)


def test_a_wrong_expectation_is_caught() -> None:
    """The checker itself can fail: a healthy case pinned as an emergency with a pattern is refused."""
    doc = {
        "safety": {"level": "clear", "flags": []},
        "patterns": [],
        "findings": [],
        "program": None,
        "suggested_tests": [],
        "coverage": {"level": "full"},
    }
    expect = {
        "safety": "emergency",
        "leading": "piriformis_syndrome",
        "patterns_present": ["x"],
        "coverage": "none",
        "program": "given",
        "says": ["refer"],
        "tests_first": "passive_slr",
    }
    assert len(_check_doc(expect, doc)) == 7


def _unknown_ids(kb: KnowledgeBase, expect: dict[str, Any]) -> list[str]:
    """Pinned ids the knowledge base does not know: a case pinning one absent could never fail."""
    pools = {
        "exercises": kb.exercise,
        "tests": kb.test,
        "patterns": kb.pattern,
        "flags": {**kb.red_flags, **kb.conditions},
    }
    out = [
        f"{key}{suffix}: {i!r}"
        for key, pool in pools.items()
        for suffix in ("_present", "_absent")
        for i in expect.get(f"{key}{suffix}", [])
        if i not in pool
    ]
    if expect.get("leading") not in (None, *kb.pattern):
        out.append(f"leading: {expect['leading']!r}")
    if "tests_first" in expect and expect["tests_first"] not in kb.test:
        out.append(f"tests_first: {expect['tests_first']!r}")
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_pinned_id_is_known(kb: KnowledgeBase, path: Path) -> None:
    unknown = _unknown_ids(kb, _load(path)["expect"])
    assert not unknown, f"{path.name}: unknown ids {unknown}"


def test_an_unknown_pinned_id_is_named(kb: KnowledgeBase) -> None:
    expect = {"exercises_absent": ["cobra_stretch", "glute_bridge"], "leading": "piriformis", "tests_first": "fair"}
    assert _unknown_ids(kb, expect) == ["exercises_absent: 'cobra_stretch'", "leading: 'piriformis'"]


MIN_CASES = 30


def _corpus() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each case's name, its case file and the analysis of its assessment."""
    out = []
    for path in FILES:
        case = _load(path)
        out.append((path.stem, case, analyse_document(case["assessment"], minutes=case.get("minutes", 20))))
    return out


def _gaps(kb: KnowledgeBase, corpus: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    """What the corpus leaves uncovered, in words (empty when it covers everything)."""
    expects = [case["expect"] for _, case, _ in corpus]
    docs = [doc for _, _, doc in corpus]
    gaps = [f"{len(corpus)} cases, at least {MIN_CASES} wanted"] if len(corpus) < MIN_CASES else []
    for p in kb.pattern.values():
        if p.kind == "screen":
            if not any(e.get("leading") == p.id or p.id in e.get("patterns_present", ()) for e in expects):
                gaps.append(f"no case in which the screen {p.id} stands")
            if not any(p.id in e.get("patterns_absent", ()) for e in expects):
                gaps.append(f"no near miss pinning the screen {p.id} absent")
        elif not any(e.get("leading") == p.id for e in expects):
            gaps.append(f"no case led by the pattern {p.id}")
    clients = {c for _, case, _ in corpus for c in case["assessment"]["client"].get("conditions", ())}
    gaps += [f"no case with the condition {c}" for c in kb.conditions if c not in clients]
    levels = {e.get("safety") for e in expects}
    gaps += [f"no case pinned at the safety level {level}" for level in LEVELS if level not in levels]
    for rule in kb.safety_rules.values():
        met = [d for d in docs if len({f["id"] for f in d["safety"]["flags"]} & set(rule.any_of)) >= rule.min_count]
        if not any(d["safety"]["level"] == rule.level for d in met):
            gaps.append(f"no case reaching the {rule.level} cluster rule {rule.id}")
    if not any({"high_start_back_risk", "severe_pain"} <= {f["id"] for f in d["safety"]["flags"]} for d in docs):
        gaps.append("no acutely distressed case (high STarT Back risk with severe pain)")
    if not any(not d["tests_done"] and d["program"] is not None and d["coverage"]["level"] == "none" for d in docs):
        gaps.append("no case with an empty examination and a program")
    return gaps


def test_the_corpus_covers_the_knowledge_base(kb: KnowledgeBase) -> None:
    gaps = _gaps(kb, _corpus())
    assert not gaps, "the clinical corpus does not cover:\n  " + "\n  ".join(gaps)


def test_a_corpus_gap_is_named(kb: KnowledgeBase) -> None:
    """The coverage check can fail: a corpus of one healthy case misses every screen, condition and level."""
    doc = {
        "safety": {"level": "clear", "flags": []},
        "tests_done": ["passive_slr"],
        "program": {"items": []},
        "coverage": {"level": "full"},
    }
    case = {"expect": {"safety": "clear"}, "assessment": {"client": {"conditions": ["pregnancy"]}}}
    gaps = "\n".join(_gaps(kb, [("one", case, doc)]))
    assert f"1 cases, at least {MIN_CASES} wanted" in gaps
    assert "no case in which the screen lumbar_spinal_stenosis stands" in gaps
    assert "no case led by the pattern piriformis_syndrome" in gaps
    assert "no case with the condition hip_replacement_posterior" in gaps
    assert "no case with the condition pregnancy" not in gaps
    assert "no case pinned at the safety level emergency" in gaps
    assert "no case reaching the urgent cluster rule fracture_cluster" in gaps
    assert "no acutely distressed case" in gaps and "no case with an empty examination" in gaps
