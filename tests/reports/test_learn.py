"""Learn pages: a patient's own patterns and findings, in their words, with what their program does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rebalance.api import analyse_document, analyse_file
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import finding_clause, finding_phrase, sentence
from rebalance.reports.assessment_view import doubtful
from rebalance.reports.learn import OTHER_RESULTS, LearnPage, learn_pages, page_texts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS = Path(__file__).resolve().parents[2] / "tests" / "cases" / "clinical"


def _section(page: LearnPage, heading: str) -> tuple[str, ...]:
    return next(s.paragraphs for s in page.sections if s.heading == heading)


def test_a_page_per_pattern_then_per_muscle_then_the_other_results(kb: KnowledgeBase) -> None:
    doc = analyse_file(EXAMPLES / "piriformis_right.yaml", kb)
    pages = learn_pages(kb, doc)
    assert [p.id for p in pages] == [
        *(p["id"] for p in doc["patterns"]),
        "piriformis",
        "gluteus_medius",
        OTHER_RESULTS,
    ]
    pattern = pages[0]
    assert pattern.title == "Piriformis pattern"
    assert pattern.related == ("piriformis", "gluteus_medius")
    assert pattern.findings == ("Your right piriformis is tight.", "Your right gluteus medius is weak.")
    assert _section(pattern, "What your tests showed") == (doc["patterns"][0]["explanation"],)
    assert "Fishman et al. 2002" in [r.citation for r in pattern.references]


def test_a_page_says_what_the_program_does_about_it(kb: KnowledgeBase) -> None:
    doc = analyse_file(EXAMPLES / "piriformis_right.yaml", kb)
    page = next(p for p in learn_pages(kb, doc) if p.id == "gluteus_medius")
    assert _section(page, "What your program does about it") == (
        "Side steps with a band: wakes up the gluteus medius.",
    )
    assert any("out of 10" in line for line in _section(page, "What to watch for"))


def test_a_muscle_page_uses_the_patients_name_and_teaches_the_anatomical_one(kb: KnowledgeBase) -> None:
    doc = analyse_file(EXAMPLES / "lower_crossed_desk_worker.yaml", kb)
    pages = {p.id: p for p in learn_pages(kb, doc)}
    assert pages["gluteus_maximus"].title == "Buttock muscles (gluteus maximus)"
    assert pages["gluteus_maximus"].findings == ("Your buttock muscles are weak on both sides.",)
    assert pages["rectus_femoris"].findings[0] in (
        "Your rectus femoris is tight on both sides.",
        "Your right rectus femoris is tight.",
    )
    why = " ".join(_section(pages["gluteus_maximus"], "Why it matters for your pain"))
    assert not why.startswith("Covers the nerve")


def test_an_irritated_nerve_says_when_to_stop(kb: KnowledgeBase) -> None:
    doc = analyse_file(EXAMPLES / "nerve_root_l5_s1.yaml", kb)
    pages = {p.id: p for p in learn_pages(kb, doc)}
    assert pages["sciatic_nerve"].findings == ("You have a sensitive left sciatic nerve.",)
    watch = " ".join(_section(pages["nerve_root_irritation"], "What to watch for"))
    assert "spreads further down your leg" in watch


def test_a_withheld_program_is_said_to_be_on_hold(kb: KnowledgeBase) -> None:
    doc = analyse_file(EXAMPLES / "piriformis_right.yaml", kb)
    pages = learn_pages(kb, {**doc, "program": None})  # as when safety withholds it
    assert pages
    for page in pages:
        assert _section(page, "What your program does about it")[0].startswith("Your exercises are on hold")


def test_no_finding_no_page(kb: KnowledgeBase) -> None:
    assert learn_pages(kb, analyse_file(EXAMPLES / "healthy_no_findings.yaml", kb)) == []


def _said(kb: KnowledgeBase, finding: dict[str, Any]) -> str:
    """The sentence a learn page would use for this finding."""
    return sentence(finding_clause(kb, finding["id"]))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_page_states_only_what_the_clinicians_page_shows_as_established(kb: KnowledgeBase, example: Path) -> None:
    doc = analyse_file(example, kb)
    pages = learn_pages(kb, doc)
    told = {line for page in pages for line in page.findings}
    texts = " ".join(t for page in pages for t in page_texts(page))
    confirm = {f["id"] for f in doc["findings"] if doubtful(f)}
    for f in doc["findings"]:
        if f["id"] in confirm and not any(
            g["id"] not in confirm and _said(kb, g) == _said(kb, f) for g in doc["findings"]
        ):
            assert _said(kb, f) not in told, f"{example.name}: {f['id']} is to confirm"
    for page in pages:
        if page.kind == "muscle":
            kinds = {k for k in ("tight", "weak") if any(f" {k}" in line for line in page.findings)}
            assert len(kinds) <= 1, f"{example.name}: {page.id} said both tight and weak"
            assert page.id not in {f["target"] for f in doc["findings"] if f["id"] in confirm} or page.findings
    shown_patterns = {page.id for page in pages if page.kind == "pattern"}
    for pattern in doc["patterns"]:  # a pattern of findings all to confirm is not taught as the patient's
        rests = pattern["kind"] == "screen" or any(f not in confirm for f in pattern["findings"])
        assert (pattern["id"] in shown_patterns) == rests, f"{example.name}: {pattern['id']}"
    for page in pages:  # "Why it matters" in whole sentences: a subject and a verb, not "A muscle that ..."
        for s in page.sections:
            if s.heading == "Why it matters for your pain":
                assert all(not p.startswith(("A muscle that", "Signs that")) for p in s.paragraphs), page.id
    if (EXAMPLES / example.name).name == "core_endurance_deficit.yaml":
        assert "abdominals" not in {p.id for p in pages} and "gastrocnemius_soleus" not in {p.id for p in pages}
        assert "Your abdominal muscles are tight." not in texts


def test_the_clinic_is_not_said_to_look_after_what_the_program_addresses(kb: KnowledgeBase) -> None:
    for example in sorted(EXAMPLES.glob("*.yaml")):
        doc = analyse_file(example, kb)
        addressed = {a for item in (doc.get("program") or {}).get("items", []) for a in item.get("addresses", [])}
        for page in learn_pages(kb, doc):
            if any(
                "looks after this in the clinic" in line for line in _section(page, "What your program does about it")
            ):
                pattern = next((p for p in doc["patterns"] if p["id"] == page.id), None)
                ids = pattern["findings"] if pattern else [f["id"] for f in doc["findings"] if f["target"] == page.id]
                assert not addressed & set(ids), f"{example.name}: {page.id}"


def _analysis(path: Path, kb: KnowledgeBase) -> dict[str, Any]:
    """An example, or a clinical case of the corpus (its ``assessment``)."""
    if path.parent == EXAMPLES:
        return analyse_file(path, kb)
    case = yaml.safe_load(path.read_text())
    return analyse_document(case["assessment"], kb, minutes=case.get("minutes", 20))


@pytest.mark.parametrize(
    "path", [*sorted(EXAMPLES.glob("*.yaml")), *sorted(CORPUS.glob("*.yaml"))], ids=lambda p: p.stem
)
def test_what_your_tests_showed_names_only_established_findings(kb: KnowledgeBase, path: Path) -> None:
    """A pattern's explanation (the pattern page's "What your tests showed", the clinician's pattern) names
    no finding the clinician's page shows only "to confirm" (a finding said in the same words as an
    established one, such as the other side's, is that one), and a finding of both sides on both sides,
    never one side alone."""
    doc = _analysis(path, kb)

    def said(f: dict[str, Any]) -> str:
        value = f["evidence"][0]["value"] if f["kind"] == "asymmetry" and f["evidence"] else None
        return finding_phrase(kb, f["id"], "patient", value=value)

    sure = {said(f) for f in doc["findings"] if not doubtful(f)}
    unsure = {said(f) for f in doc["findings"] if doubtful(f)} - sure
    sides: dict[str, set[str]] = {}
    for f in doc["findings"]:
        if f.get("side") in ("left", "right") and not doubtful(f):
            sides.setdefault(f["id"].rsplit(":", 1)[0], set()).add(f["id"])
    one_side = {said(doc_f) for doc_f in doc["findings"] if len(sides.get(doc_f["id"].rsplit(":", 1)[0], ())) == 2}
    pages = {p.id: p for p in learn_pages(kb, doc)}
    for pattern in doc["patterns"]:
        texts = [pattern["explanation"]]
        if pattern["id"] in pages:
            texts += _section(pages[pattern["id"]], "What your tests showed")
        for text in texts:
            named = [phrase for phrase in unsure if phrase in text]
            assert not named, f"{path.stem}: {pattern['id']} names {named}, only to confirm"
            halves = [phrase for phrase in one_side if phrase in text]  # found on both sides: said so
            assert not halves, f"{path.stem}: {pattern['id']} names {halves}, found on both sides"
