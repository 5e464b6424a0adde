"""Red flags decide the safety level; emergency and urgent withhold the program."""

from __future__ import annotations

import datetime as dt

import pytest

from rebalance.reasoning.safety import since_assessment
from tests.factories import analysis


def level(**sections: object) -> str:
    return str(analysis(**sections)["safety"]["level"])


def test_no_flags_is_clear() -> None:
    doc = analysis()
    assert doc["safety"]["level"] == "clear"
    assert doc["safety"]["flags"] == []


@pytest.mark.parametrize(
    "flag", ["saddle_anaesthesia", "bladder_dysfunction", "bowel_dysfunction", "new_sexual_dysfunction"]
)
def test_any_cauda_equina_sign_is_an_emergency(flag: str) -> None:
    doc = analysis(red_flags=[flag])
    assert doc["safety"]["level"] == "emergency"
    assert "emergency department" in doc["safety"]["message"]
    assert doc["program"] is None


def test_bilateral_leg_symptoms_with_progressive_weakness_is_an_emergency() -> None:
    assert level(red_flags=["bilateral_leg_symptoms", "progressive_weakness"]) == "emergency"


def test_leg_pain_on_both_sides_counts_even_if_not_ticked() -> None:
    doc = analysis(
        symptoms={"locations": [{"region": "calf", "side": "left"}, {"region": "posterior_thigh", "side": "right"}]}
    )
    assert doc["safety"]["level"] == "urgent"
    assert "bilateral_leg_symptoms" in {f["id"] for f in doc["safety"]["flags"]}
    doc = analysis(symptoms={"locations": [{"region": "calf", "side": "both"}]})
    assert doc["safety"]["level"] == "urgent"


def test_history_of_cancer_alone_is_weighed_not_a_stop() -> None:
    """A past cancer is a fact of the person's history: caution alone, urgent with another cancer flag."""
    doc = analysis(red_flags=["history_of_cancer"])
    assert doc["safety"]["level"] == "caution"
    assert doc["program"] is not None
    assert level(red_flags=["history_of_cancer", "night_pain"]) == "urgent"
    assert level(red_flags=["history_of_cancer"], client={"age": 70}, symptoms={"duration_weeks": 4}) == "urgent"
    assert level(red_flags=["history_of_cancer"], client={"age": 70}, symptoms={"duration_weeks": 100}) == "caution"


def test_a_single_weak_flag_is_only_caution() -> None:
    assert level(red_flags=["night_pain"]) == "caution"
    assert level(red_flags=["osteoporosis"]) == "caution"


def test_weak_cancer_flags_cluster_to_urgent() -> None:
    assert level(red_flags=["night_pain", "unexplained_weight_loss"]) == "urgent"


def test_age_counts_toward_a_cluster() -> None:
    # 62 with pain for 3 weeks is a weak flag; with night pain it clusters to urgent
    assert level(client={"age": 62}, symptoms={"duration_weeks": 3}) == "caution"
    assert level(client={"age": 62}, symptoms={"duration_weeks": 3}, red_flags=["night_pain"]) == "urgent"
    # the same pain of long standing is not "new pain after 50"
    assert level(client={"age": 62}, symptoms={"duration_weeks": 30}) == "clear"


def test_infection_cluster_is_urgent() -> None:
    assert level(red_flags=["fever", "iv_drug_use"]) == "urgent"
    assert level(red_flags=["iv_drug_use"]) == "caution"


def test_nerve_root_signs_give_caution() -> None:
    doc = analysis(tests={"slump": {"right": {"positive": True}}})
    assert doc["safety"]["level"] == "caution"
    assert "nerve_root_signs" in {f["id"] for f in doc["safety"]["flags"]}


def test_nerve_root_pain_over_six_weeks_is_flagged_for_referral() -> None:
    doc = analysis(symptoms={"duration_weeks": 10}, tests={"slump": {"right": {"positive": True}}})
    assert "nerve_root_pain_not_settling" in {f["id"] for f in doc["safety"]["flags"]}


def test_high_start_back_risk_gives_caution() -> None:
    doc = analysis(questionnaires={"start_back": [1, 1, 0, 0, 1, 1, 1, 0, 3]})
    assert doc["scores"]["start_back"]["risk"] == "high"
    assert doc["safety"]["level"] == "caution"


def test_severe_pain_gives_caution() -> None:
    assert level(symptoms={"pain_now": 8}) == "caution"
    assert level(symptoms={"pain_now": 4, "pain_worst_week": 9}) == "caution"
    assert level(symptoms={"pain_now": 7}) == "clear"


def test_caution_conditions_give_caution() -> None:
    assert level(client={"conditions": ["recent_spinal_surgery"]}) == "caution"
    assert level(client={"conditions": ["hypertension"]}) == "clear"


def test_every_flag_message_says_where_to_go() -> None:
    doc = analysis(red_flags=["saddle_anaesthesia", "fever", "night_pain"])
    assert all(len(f["message"]) > 20 for f in doc["safety"]["flags"])
    assert doc["safety"]["level"] == "emergency"


def test_check_in_uses_the_same_rules_as_the_analysis() -> None:
    from rebalance.knowledge.loader import default
    from rebalance.reasoning.safety import check_in_questions, safety_for_flags

    kb = default()
    questions = {q["id"] for q in check_in_questions(kb)}
    assert {"saddle_anaesthesia", "bladder_dysfunction", "bilateral_leg_symptoms", "fever"} <= questions
    assert "severe_pain" not in questions  # derived from the assessment, not asked
    assert safety_for_flags(kb, [])["level"] == "clear"
    assert safety_for_flags(kb, ["bladder_dysfunction"])["level"] == "emergency"
    assert safety_for_flags(kb, ["night_pain", "unexplained_weight_loss"])["level"] == "urgent"
    assert analysis(red_flags=["night_pain", "unexplained_weight_loss"])["safety"]["level"] == "urgent"


def test_a_check_in_counts_against_the_assessment_when_answered_after_it() -> None:
    """A later day counts, an earlier one does not; on the same day, stored after the assessment counts,
    stored before does not; no assessment, or a stored time not known, counts (the safer reading)."""
    day, at = dt.date(2026, 11, 10), dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    assert since_assessment(day + dt.timedelta(days=1), None, day, at)
    assert not since_assessment(day - dt.timedelta(days=1), at + hour, day, at)
    assert since_assessment(day, at + hour, day, at)
    assert not since_assessment(day, at - hour, day, at)
    assert since_assessment(day, None, day, at) and since_assessment(day, at - hour, day, None)
    assert since_assessment(day - dt.timedelta(days=400), None, None, None)
