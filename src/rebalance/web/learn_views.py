"""The patient's "learn" pages: their own patterns and the muscles and structures of their findings, explained.

learn_index(me)             the patterns of the latest assessment (or the last that showed one) and their topics
learn_topic(me, topic)      one of those topics explained (``knowledge.explain``); anything else is not found
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rebalance.errors import NotFoundError
from rebalance.knowledge.explain import explain_records, finding_words
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.web.patient_schemas import (
    ExplainedOut,
    LearnIndex,
    LearnPattern,
    LearnTopic,
    SectionOut,
    SourceOut,
    Topic,
)
from rebalance.web.patient_views import Me


def learn_index(me: Me) -> LearnIndex:
    """The patient's own patterns (with their explanation) and the muscles and structures of their findings.

    From the latest assessment; if it shows no pattern, the patterns of the last assessment that did are
    kept as what the patient has been working on."""
    assessments = me.assessments
    if not assessments:
        return LearnIndex(assessed_on=None, patterns=[], other_topics=[])
    latest = assessments[-1]
    patterns = _learn_patterns(me.kb, latest.analysis)
    shown = {t.id for p in patterns for t in p.topics}
    finding_ids = [f["id"] for f in latest.analysis.get("findings", [])]
    others = [t for t in _finding_topics(me.kb, finding_ids) if t.id not in shown]
    earlier = next((a for a in reversed(assessments[:-1]) if not patterns and _learn_patterns(me.kb, a.analysis)), None)
    return LearnIndex(
        assessed_on=latest.assessed_on,
        patterns=patterns,
        other_topics=others,
        earlier_on=None if earlier is None else earlier.assessed_on,
        earlier=[] if earlier is None else _learn_patterns(me.kb, earlier.analysis),
    )


def _learn_patterns(kb: KnowledgeBase, analysis: dict[str, Any]) -> list[LearnPattern]:
    return [_learn_pattern(kb, p) for p in analysis.get("patterns", []) if p["id"] in kb.pattern]


def _learn_pattern(kb: KnowledgeBase, pattern: dict[str, Any]) -> LearnPattern:
    finding_ids = pattern.get("findings", [])
    topic = Topic(id=pattern["id"], name=kb.pattern[pattern["id"]].name, kind="pattern")
    return LearnPattern(
        id=pattern["id"],
        name=topic.name,
        explanation=pattern.get("explanation", ""),
        findings=[finding_words(kb, f) for f in finding_ids],
        topics=[topic, *_finding_topics(kb, finding_ids)],
    )


def _finding_topics(kb: KnowledgeBase, finding_ids: Sequence[str]) -> list[Topic]:
    """The muscles and structures that findings name, once each, in order."""
    topics: dict[str, Topic] = {}
    for finding_id in finding_ids:
        target = finding_id.split(":")[1] if ":" in finding_id else ""
        if target in kb.muscle:
            topics.setdefault(target, Topic(id=target, name=kb.muscle[target].name, kind="muscle"))
        elif target in kb.structures:
            topics.setdefault(target, Topic(id=target, name=kb.structures[target].name, kind="structure"))
    return list(topics.values())


def learn_topic(me: Me, topic_id: str) -> LearnTopic:
    """A pattern, muscle or structure of the patient's own analysis, explained; anything else is not found."""
    index = learn_index(me)
    patterns = index.patterns + index.earlier
    topics = {t.id: t for p in patterns for t in p.topics} | {t.id: t for t in index.other_topics}
    topic = topics.get(topic_id)
    if topic is None:
        raise NotFoundError("learn topic", topic_id)
    blocks = [b for b in explain_records(me.kb, topic_id) if b.kind == f"{topic.kind}s"]
    return LearnTopic(
        topic=topic,
        blocks=[
            ExplainedOut(
                title=b.title,
                kind=b.kind,
                sections=[SectionOut(heading=h, lines=lines) for h, lines in b.sections],
                sources=[SourceOut(id=s.id, citation=s.citation, url=s.url, doi=s.doi) for s in b.sources],
            )
            for b in blocks
        ],
    )
