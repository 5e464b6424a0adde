"""The clinician's report tells what was found apart from what is only to confirm, as the assessment page does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import capital, finding_title
from rebalance.reports.assessment_view import assessment_view, doubtful
from rebalance.reports.clinician_report import clinician_report
from rebalance.reports.text import GROUPS

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
