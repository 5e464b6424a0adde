"""What an exercise card says of the side: a one-sided exercise names its side; breathing, bracing or walking none."""

from __future__ import annotations

from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.loader import default
from rebalance.reports.cards import exercise_card, side_words
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        out += (analyse_file(path).get("program") or {}).get("items", [])
    return out


def test_an_exercise_with_no_sides_says_none(items: list[dict[str, Any]]) -> None:
    kb = default()
    sideless = [i for i in items if not kb.exercise[i["exercise_id"]].unilateral]
    assert {"abdominal_bracing"} <= {i["exercise_id"] for i in sideless}
    assert any(kb.exercise[i["exercise_id"]].intent == "relaxation" for i in sideless)
    for item in sideless:
        assert item["side"] == "both"  # the program document marks it so (contract); the words do not
        assert side_words(kb, item) == "" and exercise_card(kb, item).where == ""


def test_a_one_sided_exercise_names_its_side(items: list[dict[str, Any]]) -> None:
    kb = default()
    sided = [i for i in items if kb.exercise[i["exercise_id"]].unilateral]
    assert {i["side"] for i in sided} == {"left", "right", "both"}
    for item in sided:
        said = exercise_card(kb, item).where
        assert said == ("both sides" if item["side"] == "both" else f"{item['side']} side")
