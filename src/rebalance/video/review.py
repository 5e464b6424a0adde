"""What a clinician reads beside the measures a clip filled in: how far each can be trusted.

    quality_notes(kb, tests) -> {test_id: [Note]}   one note per view, confidence and accuracy text,
                                                    naming the measures it covers, with the source in words

Pure: no video libraries needed (the quality records come from the job's result, or from the form's document).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import citation

VIEW_WORDS = {"side": "from the side", "front": "from the front"}


@dataclass(frozen=True)
class Note:
    view: str  # "from the side" ...
    confidence: float  # 0-1: what the view supports (frontal-plane measures about half)
    measures: tuple[str, ...]  # "pelvic drop (left)" ...
    accuracy: str
    source: str  # the citation in words


def _measure(name: str, side: str) -> str:
    words = "the result" if name == "positive" else name.removesuffix("_deg").removesuffix("_s").removesuffix("_pct")
    words = words.replace("_", " ")
    return words if side in ("", "both") else f"{words} ({side})"


def quality_notes(kb: KnowledgeBase, tests: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Note]]:
    """The notes of each test entry that carries a ``quality`` record (measure → side → record, or measure → record)."""
    notes: dict[str, list[Note]] = {}
    for test_id, entry in tests.items():
        grouped: dict[tuple[str, float, str, str], list[str]] = {}
        quality = entry.get("quality")
        for name, by_side in quality.items() if isinstance(quality, dict) else []:
            if not isinstance(by_side, dict):
                continue
            records = by_side.items() if "confidence" not in by_side else [("", by_side)]
            for side, q in records:
                if not isinstance(q, dict) or not {"confidence", "accuracy"} <= q.keys():
                    continue  # not a record the clip gave (the form carries it back): validation names it
                source = q.get("source")
                cited = citation(kb, source) if isinstance(source, str) and source else ""
                view = VIEW_WORDS.get(str(q.get("view")), "from video")
                key = (view, q["confidence"], q["accuracy"], cited)
                grouped.setdefault(key, []).append(_measure(name, side))
        if grouped:
            notes[test_id] = [Note(view, conf, tuple(m), acc, src) for (view, conf, acc, src), m in grouped.items()]
    return notes
