"""The clinician's report tells what was found apart from what is only to confirm, as the assessment page does."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import capital, finding_title
from rebalance.reports.assessment_view import assessment_view, doubtful, kind_name
from rebalance.reports.clinician_report import clinician_report
from rebalance.reports.text import GROUPS, render_text

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_no_finding_to_confirm_is_listed_as_established(kb: KnowledgeBase, path: Path) -> None:
    doc = analyse_file(path, kb=kb)
    report = clinician_report(kb, doc, "", dt.date(2026, 12, 7))
    if report.stop:
        return
    listed = [(heading, f.title) for heading, group in report.groups for f in group]
    unsure = [capital(finding_title(kb, f["id"])) for f in doc["findings"] if doubtful(f)]
    sure = [
        (h, capital(finding_title(kb, f["id"])))
        for h, kinds in GROUPS
        for f in doc["findings"]
        if f["kind"] in kinds and not doubtful(f)
    ]
    assert listed == sure
    assert [f.title for f in report.to_confirm] == unsure
    assert all(f.confirm.startswith("Confirm") and f.kind for f in report.to_confirm)
    page = assessment_view(kb, doc)  # the same split as the assessment page
    assert [f.title for f in page.to_confirm] == [f.title for f in report.to_confirm]
    assert [(g.title, f.title) for g in page.groups for f in g.findings] == listed


def test_the_examples_have_findings_to_confirm(kb: KnowledgeBase) -> None:
    """The test above has something to check."""
    docs = [analyse_file(p, kb=kb) for p in EXAMPLES]
    assert sum(doubtful(f) for d in docs for f in d["findings"]) >= 5


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """The analysis as the app stores it and ``rebalance report`` reads it: through JSON (a range, a list)."""
    return json.loads(json.dumps(doc))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_stored_analysis_reads_as_the_fresh_one(kb: KnowledgeBase, path: Path) -> None:
    """Units and norms survive the JSON round trip: the stored report's evidence is word for word the fresh one's."""
    doc = analyse_file(path, kb=kb)
    today = dt.date(2026, 12, 7)
    fresh, again = clinician_report(kb, doc, "", today), clinician_report(kb, stored(doc), "", today)
    assert again.groups == fresh.groups and again.to_confirm == fresh.to_confirm


def test_the_straight_leg_raise_keeps_its_degrees_in_a_stored_analysis(kb: KnowledgeBase) -> None:
    doc = stored(analyse_file(EXAMPLES[0].parent / "nerve_root_l5_s1.yaml", kb=kb))
    report = clinician_report(kb, doc, "", dt.date(2026, 12, 7))
    lines = [line for _, group in report.groups for f in group for line in f.evidence]
    assert any(line.startswith("The straight-leg raise measured 45°.") for line in lines), lines
    assert not any(re.search(r"measured \d+(\.\d+)?\. ", line) for line in lines if "straight-leg" in line)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_exercise_with_no_sides_shows_no_side_in_the_program_table(kb: KnowledgeBase, path: Path) -> None:
    doc = analyse_file(path, kb=kb)
    report = clinician_report(kb, doc, "", dt.date(2026, 12, 7))
    for item, planned in zip(report.items, (doc.get("program") or {}).get("items", []), strict=True):
        if kb.exercise[planned["exercise_id"]].unilateral:
            assert item.side in ("both sides", "left side", "right side"), item
        else:
            assert item.side == "", item


def test_the_examples_hold_exercises_with_and_without_sides(kb: KnowledgeBase) -> None:
    ids = [i["exercise_id"] for p in EXAMPLES for i in (analyse_file(p, kb=kb).get("program") or {}).get("items", [])]
    assert {kb.exercise[x].unilateral for x in ids} == {True, False}
    assert "brisk_walking" in ids or any("walk" in x for x in ids)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_text_report_sets_the_findings_to_confirm_apart(kb: KnowledgeBase, path: Path) -> None:
    """``rebalance assess`` as the page and the PDF: established findings in their groups, the rest under To confirm."""
    doc = analyse_file(path, kb=kb)
    text = render_text(doc, kb)
    if doc["safety"]["level"] in ("emergency", "urgent") and not doc["findings"]:
        return
    findings = text.split("\nFINDINGS\n", 1)[1].split("\nPATTERNS\n", 1)[0]
    established, _, unsure = findings.partition("\n  To confirm\n")
    sure = [f for f in doc["findings"] if not doubtful(f)]
    assert sum(line.startswith("    - ") for line in established.splitlines()) == len(sure)
    listed = [line for line in unsure.splitlines() if line.startswith("    - ")]
    expected = [
        f"    - {finding_title(kb, f['id'])} ({kind_name(kb, f['kind'])}):" for f in doc["findings"] if doubtful(f)
    ]
    assert [line.split(":")[0] + ":" for line in listed] == expected
