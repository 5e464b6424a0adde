"""Questionnaire scores against worked examples from their sources."""

from __future__ import annotations

import pytest

from rebalance.assessment import scores
from rebalance.knowledge.loader import KnowledgeBase


@pytest.mark.parametrize(
    ("sections", "raw", "percent", "band"),
    [
        ([0] * 10, 0, 0.0, "minimal"),
        ([2] * 10, 20, 40.0, "moderate"),  # 20 / 50 -> 40 %: top of "moderate"
        ([2, 3, 1, 2, 3, 2, None, 1, 2, 3], 19, 42.2, "severe"),  # contract example: 19 / 45 (one skipped)
        ([5] * 10, 50, 100.0, "bed_bound"),
        ([3, 3, 3, 3, 3, 3, 3, 3, None, None], 24, 60.0, "severe"),  # 24 / 40
        ([4, 3, 4, 3, 4, 3, 4, 3, 4, 3], 35, 70.0, "crippled"),
    ],
)
def test_odi_worked_examples(
    kb: KnowledgeBase, sections: list[int | None], raw: int, percent: float, band: str
) -> None:
    result = scores.odi(kb, sections)
    assert result is not None
    assert (result["raw"], result["percent"], result["band"]) == (raw, percent, band)


def test_odi_with_nothing_answered_is_unknown(kb: KnowledgeBase) -> None:
    assert scores.odi(kb, [None] * 10) is None
    assert scores.odi(kb, None) is None


@pytest.mark.parametrize(
    ("items", "total", "distress", "risk"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 0, "low"),
        ([1, 1, 1, 0, 0, 0, 0, 0, 2], 3, 0, "low"),  # item 9 "moderately" scores 0
        ([1, 1, 1, 1, 0, 0, 0, 0, 1], 4, 0, "medium"),
        ([1, 1, 0, 0, 1, 1, 1, 0, 3], 6, 4, "high"),  # "very much" scores 1; distress 5-9 = 4
        ([0, 0, 0, 0, 1, 1, 1, 1, 4], 5, 5, "high"),
        ([1, 0, 1, 1, 0, 1, 1, 0, 3], 6, 3, "medium"),  # the contract's items: distress 3 -> medium
    ],
)
def test_start_back_worked_examples(kb: KnowledgeBase, items: list[int], total: int, distress: int, risk: str) -> None:
    assert scores.start_back(kb, items) == {"total": total, "distress": distress, "risk": risk}


@pytest.mark.parametrize(
    ("pain", "band"), [(0, "mild"), (5, "mild"), (6, "moderate"), (7, "moderate"), (8, "severe"), (10, "severe")]
)
def test_pain_bands_follow_boonstra(kb: KnowledgeBase, pain: int, band: str) -> None:
    assert scores.pain_band(kb, pain) == band
