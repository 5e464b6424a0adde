"""Coverage: a document says how much of what the symptoms ask was examined, and never that nothing was
found when nothing was looked at."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalance.api import analyse_document
from rebalance.knowledge.loader import default
from rebalance.reports.text import render_text
from tests.factories import analysis
from tests.synthetic import random_assessment

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOTHING_FOUND = ("within its norm", "nothing further", "nothing found", "no findings:")
BUTTOCK_AND_CALF: dict[str, Any] = {
    "pain_now": 3,
    "duration_weeks": 10,
    "locations": [{"region": "buttock", "side": "left"}, {"region": "calf", "side": "left"}],
}


def test_no_test_done_is_coverage_none_with_what_to_examine() -> None:
    doc = analysis(symptoms=BUTTOCK_AND_CALF)
    cov = doc["coverage"]
    assert cov["level"] == "none"
    assert cov["missing"] == ["passive_slr", "lower_limb_reflexes", "fair", "sij_provocation"]
    assert cov["message"].startswith("No test that bears on these symptoms has been done yet")
    assert "straight-leg raise" in cov["message"] and "reflexes" in cov["message"]


def test_a_test_that_does_not_bear_on_the_symptoms_leaves_coverage_none() -> None:
    doc = analysis(symptoms=BUTTOCK_AND_CALF, tests={"trunk_flexor_endurance": {"seconds": 90}})
    assert doc["coverage"]["level"] == "none"


def test_some_questions_answered_is_partial_and_names_the_rest() -> None:
    doc = analysis(symptoms=BUTTOCK_AND_CALF, tests={"passive_slr": {"left": {"angle_deg": 80}}})
    cov = doc["coverage"]
    assert cov["level"] == "partial"
    assert cov["missing"] == ["lower_limb_reflexes", "fair", "sij_provocation"]
    assert "Still to examine" in cov["message"] and "sacroiliac" in cov["message"]


def test_every_question_answered_is_full() -> None:
    tests = {
        "passive_slr": {"left": {"angle_deg": 80}},
        "lower_limb_reflexes": {"left": {"patellar": "normal", "achilles": "normal"}},
        "fair": {"left": {"positive": False}},
        "sij_provocation": {"positive_count": 0},
    }
    cov = analysis(symptoms=BUTTOCK_AND_CALF, tests=tests)["coverage"]
    assert cov == {
        "level": "full",
        "message": "Every question these symptoms raise was examined by at least one test.",
        "missing": [],
    }


def test_nerve_root_signs_take_the_piriformis_and_sacroiliac_questions_off() -> None:
    slr = {"passive_slr": {"left": {"angle_deg": 40, "reproduces_leg_pain_below_knee": True}}}
    cov = analysis(symptoms=BUTTOCK_AND_CALF, tests=slr)["coverage"]
    assert cov["missing"] == ["lower_limb_reflexes"]


def test_without_located_symptoms_the_default_question_applies() -> None:
    doc = analysis(symptoms={"pain_now": 2, "duration_weeks": 10, "locations": []})
    assert doc["coverage"]["level"] == "none"
    assert doc["coverage"]["missing"] == ["pelvic_tilt"]


def test_when_the_program_is_withheld_the_examination_waits() -> None:
    doc = analysis(symptoms=BUTTOCK_AND_CALF, red_flags=["saddle_anaesthesia"])
    assert doc["coverage"]["level"] == "none"
    assert "waits until a doctor has seen the person" in doc["coverage"]["message"]
    assert "Examine" not in doc["coverage"]["message"]


def test_the_text_report_never_says_nothing_was_found_when_nothing_was_examined() -> None:
    text = render_text(analysis(symptoms=BUTTOCK_AND_CALF)).lower()
    assert "coverage: none" in text
    assert not [s for s in NOTHING_FOUND if s in text]
    assert "no pattern can be judged before the tests below are done" in text


def test_the_text_report_keeps_the_old_sentence_only_when_everything_was_examined() -> None:
    tests = {"pelvic_tilt": {"anterior_deg": 12}}
    text = render_text(analysis(tests=tests)).lower()
    assert "coverage: full" in text and "every test done was within its norm" in text


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_coverage_is_consistent_and_none_never_says_nothing_found(seed: int) -> None:
    data = random_assessment(default(), random.Random(seed))
    doc = analyse_document(data)
    cov = doc["coverage"]
    assert cov["level"] in ("none", "partial", "full")
    # full: nothing missing; otherwise the message names what to examine, and ``missing`` the tests for it
    # the client's conditions allow (none when only a ruled-out test answers: tests/programs/test_precautions)
    assert cov["level"] != "full" or cov["missing"] == []
    assert cov["level"] == "full" or "examine" in cov["message"].lower()
    assert not set(cov["missing"]) & set(doc["tests_done"])
    assert set(cov["missing"]) <= set(default().test)
    if cov["level"] != "full":
        text = (render_text(doc) + cov["message"]).lower()
        assert not [s for s in NOTHING_FOUND if s in text]
