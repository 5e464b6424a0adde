"""Assessment factories: a minimal valid case and helpers to vary it."""

from __future__ import annotations

import copy
from typing import Any

from rebalance.api import analyse_document
from rebalance.assessment.models import Case
from rebalance.assessment.parse import parse_document
from rebalance.knowledge.loader import default

MINIMAL: dict[str, Any] = {
    "schema": "rebalance.assessment/1",
    "date": "2026-11-20",
    "client": {"id": "t-1", "age": 40, "sex": "female"},
    "symptoms": {"pain_now": 3, "duration_weeks": 8, "locations": [{"region": "low_back", "side": "central"}]},
}


def assessment(**sections: Any) -> dict[str, Any]:
    """A valid assessment; keyword arguments replace or merge whole top-level sections."""
    doc = copy.deepcopy(MINIMAL)
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def case(**sections: Any) -> Case:
    return parse_document(assessment(**sections), default())


def analysis(**sections: Any) -> dict[str, Any]:
    return analyse_document(assessment(**sections))


def finding_ids(doc: dict[str, Any]) -> set[str]:
    return {f["id"] for f in doc["findings"]}


def mirror(data: Any) -> Any:
    """Swap left and right everywhere in an assessment (keys and values)."""
    swap = {"left": "right", "right": "left", "side_left": "side_right", "side_right": "side_left"}
    if isinstance(data, dict):
        return {swap.get(k, k): mirror(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mirror(v) for v in data]
    if isinstance(data, str):
        return swap.get(data, data)
    return data


def ruled_out(conditions: Any, item_id: str, kind: str = "exercises") -> set[str]:
    """The oracle for precautions, read straight from the data (not through the filter under test): the
    positions of an exercise or test that the conditions forbid, and its contraindications among them."""
    kb = default()
    item = kb.records[kind][item_id]
    forbidden = {f.position for c in conditions for f in kb.conditions[c].forbids}
    named = set(conditions) & set(getattr(item, "contraindications", ()))
    return (set(item.positions) & forbidden) | named
