"""One pain rule: the pain-monitoring model, in the same plain words everywhere the library states it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rebalance.api import analyse_file
from rebalance.knowledge.explain import explain
from rebalance.knowledge.loader import default, load
from rebalance.programs import pain_rule
from rebalance.reports.text import render_text
from tests.conftest import EXAMPLES, edit_yaml

# the rule that sat above "may reach 5/10" and contradicted it
CONTRADICTIONS = ("without pain", "brings on or increases your pain", "causes pain", "pain is the stop signal")


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return [analyse_file(p) for p in sorted(EXAMPLES.glob("*.yaml"))]


def test_the_rule_is_the_pain_monitoring_model_in_plain_words() -> None:
    text = pain_rule.text(default())
    assert "Up to 3 is safe" in text
    assert "4 to 5 is acceptable if it has settled by the next morning" in text
    assert "Above 5 is too much" in text
    assert "worse the next morning" in text
    assert default().criterion[pain_rule.CRITERION].source == "silbernagel_2007"


def test_every_program_states_the_one_rule_first(documents: list[dict[str, Any]]) -> None:
    text = pain_rule.text(default())
    programs = [d["program"] for d in documents if d["program"]]
    assert programs
    for program in programs:
        assert program["pain_rule"] == text
        assert program["warnings"][0] == text


def test_no_text_the_library_writes_contradicts_it(documents: list[dict[str, Any]]) -> None:
    kb = default()
    written = [json.dumps(d).lower() for d in documents] + [render_text(d).lower() for d in documents]
    written += [explain(kb, ex_id).lower() for ex_id in kb.exercise]
    for text in written:
        for phrase in CONTRADICTIONS:
            assert phrase not in text, phrase
    assert all(pain_rule.text(kb) in " ".join(render_text(d).split()) for d in documents if d["program"])


def test_its_numbers_come_from_the_knowledge_base(data_copy: Path) -> None:
    def stricter(records: list[dict[str, Any]]) -> None:
        rule = next(r for r in records if r["id"] == pain_rule.CRITERION)
        rule.update(value=4, bands=[[2, "safe"], [4, "acceptable"], [10, "too_much"]])

    edit_yaml(data_copy / "criteria.yaml", stricter)
    text = pain_rule.text(load(data_copy))
    assert "Up to 2 is safe" in text and "3 to 4 is acceptable" in text and "Above 4 is too much" in text
    assert "out of 10 is all right" in pain_rule.reminder(load(data_copy))
    assert "Pain up to 4 out of 10" in pain_rule.reminder(load(data_copy))
