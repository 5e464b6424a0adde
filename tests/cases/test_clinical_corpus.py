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
      says: [...]             never_says: [...]          # case-insensitive text in the document

A case pins what must and must not be said; an unknown key in ``expect`` is an error, so a typo
cannot make a case pass by checking nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalance.api import analyse_document

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
    }
    assert len(_check_doc(expect, doc)) == 6
