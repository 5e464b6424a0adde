"""An analysis in words, for the clinician's pages and reports: its findings by name, its body map.

finding_id_label(kb, finding_id)  a finding from its id: "Tight or overactive: Piriformis (right)"
body_map_svg(kb, analysis)        the tight and weak muscles on the body (SVG, every text escaped)
"""

from __future__ import annotations

from typing import Any

from rebalance.knowledge.explain import finding_words
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.reports.bodymap import body_map


def finding_id_label(kb: KnowledgeBase, finding_id: str) -> str:
    """A finding id in words: ``tight:piriformis:right`` → "Tight or overactive: Piriformis (right)"."""
    return finding_words(kb, finding_id)


def body_map_svg(kb: KnowledgeBase, analysis: dict[str, Any]) -> str:
    return body_map(analysis["findings"], kb, title="Tight and weak muscles")
