"""The clinician's assessment page at a glance: findings grouped, the doubtful ones to confirm with the
test that would confirm each, evidence in sentences with author-year citations, an emergency alone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rebalance import yamlio
from rebalance.api import analyse_document
from rebalance.knowledge import words
from rebalance.knowledge.loader import default
from rebalance.knowledge.words import finding_title
from rebalance.reports.assessment_view import CONFIRM_BELOW, assessment_view, doubtful, flags, stops
from tests.conftest import EXAMPLES

CASES = sorted(path.stem for path in EXAMPLES.glob("*.yaml"))
ID = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\[|\]")


def analysis(case: str) -> dict[str, Any]:
    return analyse_document(yamlio.load((EXAMPLES / f"{case}.yaml").read_text(encoding="utf-8")))


def titles(findings: list[Any]) -> list[str]:
    return [f.title for f in findings]


@pytest.mark.parametrize("case", CASES)
def test_every_finding_is_shown_once_sure_ones_grouped_doubtful_ones_to_confirm(case: str) -> None:
    kb = default()
    doc = analysis(case)
    view = assessment_view(kb, doc)
    assert view.count == len(doc["findings"])
    sure = [f for f in doc["findings"] if not doubtful(f)]
    assert sorted(f.title for g in view.groups for f in g.findings) == sorted(finding_title(kb, f["id"]) for f in sure)
    assert [f.title for f in view.to_confirm] == [finding_title(kb, f["id"]) for f in doc["findings"] if doubtful(f)]
    for f in view.to_confirm:
        assert f.confirm.startswith("Confirm ")
    for g in view.groups:
        assert g.findings and all(f.confirm == "" for f in g.findings)
        for f in g.findings:
            words = [f.title, *(e.text for e in f.evidence), *(e.cited for e in f.evidence)]
            assert not any(ID.search(w) for w in words), words


def test_the_lower_crossed_desk_worker_reads_as_groups_and_a_short_list_to_confirm() -> None:
    view = assessment_view(default(), analysis("lower_crossed_desk_worker"))
    groups = {g.title: titles(g.findings) for g in view.groups}
    assert list(groups) == ["Tight or overactive", "Weak or underactive", "Other findings"]
    assert "Left iliopsoas" in groups["Tight or overactive"]
    assert "Left gluteus maximus" in groups["Weak or underactive"]
    assert "The low back arching in the squat" in groups["Other findings"]  # what was seen stays
    confirm = {f.title: f for f in view.to_confirm}
    assert "Left calf" in confirm and all(
        f.confidence < 100 * CONFIRM_BELOW or f.title in ("Deep core",) for f in view.to_confirm
    )
    phrases = [words.test_phrase(default(), t) for t in ("mmt", "single_leg_bridge")]
    assert confirm["Hamstrings, left"].confirm == f"Confirm with {phrases[0]} or {phrases[1]}."
    assert confirm["Left calf"].confirm.startswith("Confirm by examining the muscle's length")


def test_a_muscle_read_from_the_squat_alone_is_to_confirm_whatever_its_confidence() -> None:
    doc = analysis("lower_crossed_desk_worker")
    deep_core = next(f for f in doc["findings"] if f["id"] == "weak:deep_core")
    assert deep_core["confidence"] >= CONFIRM_BELOW and {e["test"] for e in deep_core["evidence"]} == {"overhead_squat"}
    (shown,) = [f for f in assessment_view(default(), doc).to_confirm if f.title == "Deep core"]
    assert shown.confirm == f"Confirm with {words.test_phrase(default(), 'prone_instability_test')}."


def test_evidence_is_a_sentence_with_its_value_norm_and_author_year() -> None:
    view = assessment_view(default(), analysis("piriformis_right"))
    evidence = [e for g in view.groups for f in g.findings for e in f.evidence]
    assert any("measured grade 4 of 5 (under grade 5 counts)" in e.text for e in evidence), evidence
    assert all(re.search(r"\b(19|20)\d\d$", e.cited) or e.cited == "rebalance's own convention" for e in evidence)
    assert "Fishman et al. 2002" in [e.cited for e in evidence]


def test_safety_flags_are_named_once_and_an_emergency_or_urgent_page_stops() -> None:
    kb = default()
    cauda = analysis("cauda_equina_emergency")
    assert stops(cauda) and stops(analysis("cancer_flags_urgent"))
    assert not stops(analysis("high_start_back_caution")) and not stops(analysis("piriformis_right"))
    names = [name for name, _ in flags(kb, cauda)]
    assert kb.red_flags["saddle_anaesthesia"].name in names
    pregnant = dict((m, n) for n, m in flags(kb, analysis("contract_example")))
    (message,) = [m for m in pregnant if m.startswith("Pregnancy")]
    assert pregnant[message] == ""  # the message names it already


@pytest.mark.parametrize("case", CASES)
def test_each_line_to_confirm_says_its_kind(case: str) -> None:
    kb = default()
    doc = analysis(case)
    doubts = [f for f in doc["findings"] if doubtful(f)]
    view = assessment_view(kb, doc)
    assert [f.kind for f in view.to_confirm] == [kb.finding_kinds[f["kind"]].name.lower() for f in doubts]
    assert all(f.kind for f in view.to_confirm)


def test_the_abdominals_read_from_the_squat_are_to_confirm_as_tight() -> None:
    confirm = {f.title: f for f in assessment_view(default(), analysis("core_endurance_deficit")).to_confirm}
    assert confirm["Abdominal muscles"].kind == "tight or overactive"
    assert confirm["Abdominal muscles"].confidence == 30
    assert "weak or underactive" in {f.kind for f in confirm.values()}
