"""Learn pages: what a patient's own patterns and findings mean, written to them.

``learn_pages(kb, analysis)`` turns one analysis document into pages in plain, second-person words:
one per pattern their results are consistent with, one per muscle or structure their findings name,
and one for their other results (left-right differences, ratios, posture, how they squat). Each page
says what it means, what their tests showed, why it matters for their pain, what their program does
about it and what to watch for - from the knowledge base's summaries and the phrase builder
(:mod:`rebalance.knowledge.words`), never an id, a weight or a source tag. A page's ``id`` names it in
a link (a pattern, muscle or structure id, or ``other_results``); it is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import MUSCLE_KINDS, Muscle, Pattern, Structure
from rebalance.knowledge.words import (
    both_sides,
    capital,
    citation,
    finding_clause,
    muscle_noun,
    running,
    sentence,
    split_finding,
)
from rebalance.programs import pain_rule
from rebalance.reports.assessment_view import doubtful

PageKind = Literal["pattern", "muscle", "structure", "results"]
OTHER_RESULTS = "other_results"
STRUCTURE_KINDS = ("neural", "joint")
NERVE_WATCH = (
    "If pain, tingling or numbness spreads further down your leg, or your leg feels weak, stop the "
    "exercises and tell your clinician."
)
SCREEN_NOTE = (
    "This is not a muscle imbalance, so your clinician may want a doctor to check it. Until then, "
    "your program keeps to the positions that are safe for it."
)
SCREEN_ON_HOLD = "This is not a muscle imbalance. A doctor should check it before you start exercising."


@dataclass(frozen=True, slots=True)
class LearnSection:
    """A heading and its paragraphs (or list items, when ``listed``)."""

    heading: str
    paragraphs: tuple[str, ...]
    listed: bool = False


@dataclass(frozen=True, slots=True)
class Reference:
    """A source as the page cites it: "Fishman et al. 2002", with its link when it has one."""

    citation: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class LearnPage:
    """One page: a title, a one-line summary for the list of pages, sections and related pages."""

    id: str
    kind: PageKind
    title: str
    summary: str
    sections: tuple[LearnSection, ...]
    findings: tuple[str, ...] = ()  # what the tests showed, one sentence each
    related: tuple[str, ...] = ()  # ids of the other pages this one links to
    references: tuple[Reference, ...] = field(default=())


# --- pieces ----------------------------------------------------------------------------------------


def _items_for(program: dict[str, Any] | None, finding_ids: Iterable[str]) -> list[str]:
    """What the program does about these findings: each item that works on one, by name and first sentence."""
    wanted = set(finding_ids)
    out = []
    for item in (program or {}).get("items", []):
        if wanted & set(item.get("addresses", [])):
            does = item.get("why", "").split(". ")[0].rstrip(".")
            out.append(f"{item['name']}: {does[:1].lower() + does[1:]}." if does else f"{item['name']}.")
    return out


def _program_section(program: dict[str, Any] | None, finding_ids: Iterable[str]) -> LearnSection:
    items = _items_for(program, finding_ids)
    if program is None:
        text = ("Your exercises are on hold for now; your clinician will tell you when to start.",)
        return LearnSection("What your program does about it", text)
    if not items:
        text = ("Your clinician looks after this in the clinic, and your other exercises support it.",)
        return LearnSection("What your program does about it", text)
    return LearnSection("What your program does about it", tuple(items), listed=True)


def _watch(kb: KnowledgeBase, nerve: bool) -> LearnSection:
    lines = [pain_rule.reminder(kb)]
    if nerve:
        lines.append(NERVE_WATCH)
    return LearnSection("What to watch for", tuple(lines))


def _references(kb: KnowledgeBase, source_ids: Sequence[str]) -> tuple[Reference, ...]:
    out = []
    for sid in dict.fromkeys(source_ids):
        src = kb.sources.get(sid)
        if src is not None and src.kind != "convention":
            url = src.url or (f"https://doi.org/{src.doi}" if src.doi else None)
            out.append(Reference(citation(kb, sid), url))
    return tuple(out)


def _nerve(finding_ids: Iterable[str]) -> bool:
    return any(split_finding(f)[0] == "neural" for f in finding_ids)


# --- pages -----------------------------------------------------------------------------------------


def _pattern_page(
    kb: KnowledgeBase,
    p: Pattern,
    found: dict[str, Any],
    program: dict[str, Any] | None,
    topics: list[str],
    shown: set[str],
) -> LearnPage:
    ids = [f for f in found.get("findings", []) if f in shown]
    sections = [
        LearnSection("What it means", (sentence(p.summary),)),
        LearnSection("What your tests showed", (found.get("explanation", ""),)),
        LearnSection("Why it matters for your pain", (sentence(p.mechanism),)),
    ]
    if p.kind == "screen":
        sections.append(LearnSection("What happens next", (SCREEN_NOTE if program else SCREEN_ON_HOLD,)))
    sections += [
        _program_section(program, found.get("findings", [])),
        _watch(kb, _nerve(ids) or p.id == "nerve_root_irritation"),
    ]
    return LearnPage(
        id=p.id,
        kind="pattern",
        title=p.name,
        summary=sentence(p.summary),
        sections=tuple(sections),
        findings=tuple(sentence(finding_clause(kb, f)) for f in both_sides(ids)),
        related=tuple(t for t in topics if t != p.id),
        references=_references(kb, p.sources),
    )


def _muscle_title(kb: KnowledgeBase, m: Muscle) -> str:
    plain = muscle_noun(kb, m.id, "patient").text
    anatomical = running(m.name)
    return capital(plain) + (f" ({anatomical})" if plain != anatomical else "")


def _muscle_page(kb: KnowledgeBase, m: Muscle, ids: list[str], program: dict[str, Any] | None) -> LearnPage:
    kinds = [kb.finding_kinds[k] for k in dict.fromkeys(split_finding(f)[0] for f in ids) if k in kb.finding_kinds]
    why = [sentence(k.summary) for k in kinds]
    if m.sciatic_relation:  # without its opening verdict ("Direct.", "Indirect."), a clinician's word
        why.insert(0, sentence(re.sub(r"^(Direct|Indirect|Covers the nerve)\.\s+", "", m.sciatic_relation)))
    found = tuple(sentence(finding_clause(kb, f)) for f in both_sides(ids))
    sections = (
        LearnSection("What it is", (sentence(m.summary),)),
        LearnSection("What your tests showed", found),
        LearnSection("Why it matters for your pain", tuple(why)),
        _program_section(program, ids),
        _watch(kb, False),
    )
    return LearnPage(
        id=m.id,
        kind="muscle",
        title=_muscle_title(kb, m),
        summary=found[0] if found else sentence(m.summary),
        sections=sections,
        findings=found,
        references=_references(kb, m.sources),
    )


def _structure_page(kb: KnowledgeBase, s: Structure, ids: list[str], program: dict[str, Any] | None) -> LearnPage:
    found = tuple(sentence(finding_clause(kb, f)) for f in both_sides(ids))
    why = (sentence(s.clinical_note),) if s.clinical_note else (sentence(kb.finding_kinds["neural"].summary),)
    sections = (
        LearnSection("What it is", (sentence(s.summary),)),
        LearnSection("What your tests showed", found),
        LearnSection("Why it matters for your pain", why),
        _program_section(program, ids),
        _watch(kb, _nerve(ids)),
    )
    return LearnPage(
        id=s.id,
        kind="structure",
        title=capital(running(s.name)),
        summary=found[0] if found else sentence(s.summary),
        sections=sections,
        findings=found,
        references=_references(kb, s.sources),
    )


def _results_page(kb: KnowledgeBase, ids: list[str], program: dict[str, Any] | None) -> LearnPage:
    found = tuple(sentence(finding_clause(kb, f)) for f in both_sides(ids))
    kinds = [kb.finding_kinds[k] for k in dict.fromkeys(split_finding(f)[0] for f in ids) if k in kb.finding_kinds]
    sections = (
        LearnSection("What your tests showed", found),
        LearnSection("What these mean", tuple(f"{k.name}: {sentence(k.summary)}" for k in kinds), listed=True),
        _program_section(program, ids),
        _watch(kb, False),
    )
    return LearnPage(
        id=OTHER_RESULTS,
        kind="results",
        title="Your other results",
        summary="How your two sides compare, how your pelvis rests and how you move.",
        sections=sections,
        findings=found,
    )


def _by_target(findings: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        if f["kind"] in kinds:
            out.setdefault(f["target"], []).append(f["id"])
    return out


def established(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings a patient is told of: those the clinician's page shows as established (not "to
    confirm", :func:`rebalance.reports.assessment_view.doubtful`), and of a muscle found both tight and
    weak only the kind with the higher confidence (the stronger evidence; a tie keeps the first)."""
    sure = [f for f in findings if not doubtful(f)]
    best: dict[str, tuple[float, str]] = {}
    for f in sure:
        if f["kind"] in MUSCLE_KINDS and f["confidence"] > best.get(f["target"], (-1.0, ""))[0]:
            best[f["target"]] = (f["confidence"], f["kind"])
    return [f for f in sure if f["kind"] not in MUSCLE_KINDS or best[f["target"]][1] == f["kind"]]


def learn_pages(kb: KnowledgeBase, analysis: dict[str, Any]) -> list[LearnPage]:
    """The learn pages of one analysis document: its patterns first (in its order; a screen's always, another's
    when it rests on an established finding), then the muscles and
    structures of its established findings (:func:`established`, strongest first), then the other
    results. Nothing for a withheld emergency's findings is hidden: the pages say the exercises are on hold."""
    findings = established(list(analysis.get("findings", [])))
    shown = {f["id"] for f in findings}
    program = analysis.get("program")
    muscles = {t: ids for t, ids in _by_target(findings, MUSCLE_KINDS).items() if t in kb.muscle}
    structures = {t: ids for t, ids in _by_target(findings, STRUCTURE_KINDS).items() if t in kb.structures}
    topics = [*muscles, *structures]
    pages = [
        _pattern_page(kb, kb.pattern[p["id"]], p, program, _pattern_topics(p, topics), shown)
        for p in analysis.get("patterns", [])
        if p["id"] in kb.pattern and (p.get("kind") == "screen" or shown.intersection(p.get("findings", [])))
    ]  # a pattern resting only on findings to confirm is the clinician's to check, not the patient's to learn
    pages += [_muscle_page(kb, kb.muscle[t], ids, program) for t, ids in muscles.items()]
    pages += [_structure_page(kb, kb.structures[t], ids, program) for t, ids in structures.items()]
    rest = [f["id"] for f in findings if f["kind"] not in MUSCLE_KINDS + STRUCTURE_KINDS]
    if rest:
        pages.append(_results_page(kb, rest, program))
    return pages


def _pattern_topics(pattern: dict[str, Any], topics: list[str]) -> list[str]:
    """The muscle and structure pages a pattern's findings name, in the pages' order."""
    named = {split_finding(f)[1] for f in pattern.get("findings", [])}
    return [t for t in topics if t in named]


def page_texts(page: LearnPage) -> list[str]:
    """Every string a page shows, for checks of its words."""
    texts = [page.title, page.summary, *page.findings]
    for s in page.sections:
        texts += [s.heading, *s.paragraphs]
    return texts + [r.citation for r in page.references]
