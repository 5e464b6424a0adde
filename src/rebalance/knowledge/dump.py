"""``rebalance kb dump``: the whole knowledge base as one JSON-ready document."""

from __future__ import annotations

from typing import Any

from rebalance import __version__
from rebalance.knowledge.loader import KINDS, KnowledgeBase


def dump(kb: KnowledgeBase) -> dict[str, Any]:
    """Every record of every kind, in file order, with the schema version."""
    doc: dict[str, Any] = {"schema": "rebalance.knowledge/1", "version": __version__}
    for kind in KINDS:
        doc[kind] = [r.model_dump(mode="json", exclude_none=True) for r in kb.records[kind].values()]
    return doc
