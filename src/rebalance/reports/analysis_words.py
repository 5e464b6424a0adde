"""An analysis in words, for the clinician's pages and reports: its findings, its sources, its body map.

finding_label(kb, finding)        a finding of an analysis: "Tight or overactive: Piriformis (right)"
finding_id_label(kb, finding_id)  the same from its id (``tight:piriformis:right``)
citation(kb, source_id)           a source's citation and link, and whether it is rebalance's own convention
body_map_svg(kb, analysis)        the tight and weak muscles on the body (SVG, every text escaped)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.explain import finding_words
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reports.bodymap import body_map


@dataclass(frozen=True)
class Citation:
    id: str
    text: str
    url: str | None
    convention: bool


def citation(kb: KnowledgeBase, source_id: str | None) -> Citation | None:
    if not source_id:
        return None
    source = kb.sources.get(source_id)
    if source is None:
        return Citation(source_id, source_id, None, False)
    url = source.url or (f"https://doi.org/{source.doi}" if source.doi else None)
    return Citation(source_id, source.citation, url, source.kind == "convention")


def finding_label(kb: KnowledgeBase, finding: dict[str, Any]) -> str:
    """A finding of an analysis in words (``explain.finding_words``: "Tight or overactive: Piriformis (right)")."""
    side = [str(finding["side"])] if finding.get("side") else []
    return finding_words(kb, ":".join([str(finding["kind"]), str(finding["target"]), *side]))


def finding_id_label(kb: KnowledgeBase, finding_id: str) -> str:
    """A finding id in words: ``tight:piriformis:right`` → "Tight or overactive: Piriformis (right)"."""
    return finding_words(kb, finding_id)


def body_map_svg(kb: KnowledgeBase, analysis: dict[str, Any]) -> str:
    return body_map(analysis["findings"], kb, title="Tight and weak muscles")
