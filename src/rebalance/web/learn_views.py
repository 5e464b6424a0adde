"""The patient's "learn" pages: their own patterns, and the muscles and structures of their findings, explained.

learn_index(me)             the pages of the latest assessment (``reports.learn.learn_pages``); when it shows no
                            pattern, the pattern pages of the last assessment that did, as what they work on
learn_topic(index, topic)   one of those pages; anything else is not found

The words are the library's, written to the patient about their own results (never an id, a weight or a
source tag); what the program does about each is read from the published program.
"""

from __future__ import annotations

from typing import Any

from rebalance.errors import NotFoundError
from rebalance.reports.learn import LearnPage, learn_pages
from rebalance.web.patient_schemas import LearnIndex
from rebalance.web.patient_views import Me


def _pages(me: Me, analysis: dict[str, Any]) -> list[LearnPage]:
    program = me.program
    return learn_pages(me.kb, {**analysis, "program": None if program is None else program.document})


def learn_index(me: Me) -> LearnIndex:
    """The latest assessment's pages, patterns first; the last patterns found before when it shows none."""
    if not me.assessments:
        return LearnIndex(assessed_on=None, pages=[])
    latest = me.assessments[-1]
    pages = _pages(me, latest.analysis)
    if any(p.kind == "pattern" for p in pages):
        return LearnIndex(assessed_on=latest.assessed_on, pages=pages)
    for earlier in reversed(me.assessments[:-1]):
        patterns = [p for p in _pages(me, earlier.analysis) if p.kind == "pattern"]
        if patterns:
            return LearnIndex(
                assessed_on=latest.assessed_on, pages=pages, earlier_on=earlier.assessed_on, earlier=patterns
            )
    return LearnIndex(assessed_on=latest.assessed_on, pages=pages)


def learn_topic(index: LearnIndex, topic_id: str) -> LearnPage:
    """A page of the patient's own results (of their :func:`learn_index`); anything else is not found."""
    page = next((p for p in [*index.pages, *index.earlier] if p.id == topic_id), None)
    if page is None:
        raise NotFoundError("learn topic", topic_id)
    return page
