"""Vocabulary as clinicians write it: names, aliases, plurals, spaces, hyphens and case are taken,
the case and the analysis hold the canonical ids, and a word that names nothing is still refused."""

from __future__ import annotations

from typing import Any

import pytest

from rebalance.api import analyse_document
from rebalance.assessment.parse import parse_document
from rebalance.errors import InvalidAssessmentError
from rebalance.knowledge.loader import default
from rebalance.knowledge.vocabulary import VOCABULARIES, did_you_mean, resolve
from tests.factories import assessment, case

WRITTEN = [
    ("equipment", "ball", "massage_ball"),
    ("equipment", "Massage ball", "massage_ball"),
    ("equipment", "massage-ball", "massage_ball"),
    ("equipment", "dumbbells", "dumbbell"),
    ("equipment", "Dumbbell", "dumbbell"),
    ("equipment", "free weights", "dumbbell"),
    ("equipment", "Swiss ball", "swiss_ball"),
    ("equipment", "foam roller", "foam_roller"),
    ("equipment", "Foam-Roller", "foam_roller"),
    ("activities", "coughing", "coughing_sneezing"),
    ("activities", "rotating", "twisting"),
    ("activities", "twisting", "twisting"),
    ("activities", "standing on one leg", "standing_on_one_leg"),
    ("activities", "Bending forward", "bending_forward"),
    ("regions", "buttocks", "buttock"),
    ("regions", "Back of the thigh", "posterior_thigh"),
    ("regions", "feet", "foot"),
    ("regions", "lower back", "low_back"),
    ("regions", "SIJ", "buttock"),
    ("regions", "heel", "foot"),
    ("activities", "prolonged walking", "walking"),
    ("activities", "rolling over in bed", "turning_in_bed"),
    ("activities", "pushing a trolley", "sitting_leaning_forward"),
    ("activities", "carrying", "lifting"),
    ("equipment", "kettlebell", "dumbbell"),
    ("sports", "fast bowling", "cricket"),
    ("conditions", "type 2 diabetes", "diabetes"),
    ("conditions", "knee OA", "knee_pain"),
    ("red_flags", "urinary incontinence", "bladder_dysfunction"),
    ("sports", "jogging", "running"),
    ("sports", "Soccer", "football"),
    ("conditions", "pregnant", "pregnancy"),
    ("conditions", "THR", "hip_replacement"),
    ("conditions", "slipped disc", "disc_herniation"),
    ("red_flags", "Saddle numbness", "saddle_anaesthesia"),
    ("red_flags", "weight loss", "unexplained_weight_loss"),
    ("tests", "SLR", "passive_slr"),
    ("tests", "Thomas test", "modified_thomas"),
    ("tests", "Biering-Sorensen", "trunk_extensor_endurance"),
    ("compensations", "knee valgus", "knees_move_inward"),
    ("muscles", "glute med", "gluteus_medius"),
    ("muscles", "hamstring", "hamstrings"),
    ("muscles", "quads", "quadriceps"),
]


@pytest.mark.parametrize(("kind", "word", "rid"), WRITTEN, ids=[f"{k}:{w}" for k, w, _ in WRITTEN])
def test_a_word_as_clinicians_write_it_names_its_id(kind: str, word: str, rid: str) -> None:
    assert resolve(default(), kind, word) == rid


NEAR_MISSES = [
    ("equipment", "trampoline"),  # the corpus pins it as unknown
    ("regions", "lowr_back"),  # likewise: refused with "did you mean low_back"
    ("compensations", "knees_move_inwards"),  # plurals are read for one word, never inside a phrase
    ("equipment", "wal"),
    ("sports", "quidditch"),
]


@pytest.mark.parametrize(("kind", "word"), NEAR_MISSES, ids=[w for _, w in NEAR_MISSES])
def test_a_near_miss_names_nothing(kind: str, word: str) -> None:
    assert resolve(default(), kind, word) is None


def test_did_you_mean_searches_names_and_aliases_and_answers_with_ids() -> None:
    kb = default()
    assert did_you_mean(kb, "equipment", "swiss bal")[0] == "swiss_ball"
    assert "coughing_sneezing" in did_you_mean(kb, "activities", "coughng")  # an alias, misspelt
    assert "saddle_anaesthesia" in did_you_mean(kb, "red_flags", "saddle numbnes")  # a name, misspelt
    assert all(i in kb.records[k] for k in VOCABULARIES for i in did_you_mean(kb, k, "bak"))


CLINICIAN: dict[str, Any] = dict(
    client={"age": 51, "sex": "female", "sports": ["Jogging"], "equipment": ["ball", "dumbbells", "Swiss ball"]},
    symptoms={
        "pain_now": 4,
        "duration_weeks": 10,
        "locations": [{"region": "Low back", "side": "central"}, {"region": "buttocks", "side": "left"}],
        "aggravated_by": ["coughing", "rotating", "standing on one leg"],
        "eased_by": ["walk"],
    },
    lifestyle={"one_sided_sport": {"sport": "Tennis", "dominant_side": "right"}},
    tests={
        "SLR": {"left": {"angle_deg": 75}, "right": {"angle_deg": 78}},
        "MMT": {"glute med": {"left": 4, "right": 5}},
        "squat": {"compensations": [{"id": "knee valgus", "side": "left"}], "pain": False},
    },
)


def test_the_validated_case_holds_the_canonical_ids() -> None:
    c = case(**CLINICIAN)
    a = c.assessment
    assert a.client.equipment == ["massage_ball", "dumbbell", "swiss_ball"]
    assert a.client.sports == ["running"]
    assert a.lifestyle.one_sided_sport is not None and a.lifestyle.one_sided_sport.sport == "tennis"
    assert a.symptoms.aggravated_by == ["coughing_sneezing", "twisting", "standing_on_one_leg"]
    assert a.symptoms.eased_by == ["walking"]
    assert [loc.region for loc in a.symptoms.locations] == ["low_back", "buttock"]
    assert set(c.tests) == {"passive_slr", "mmt", "overhead_squat"}
    assert set(c.tests["mmt"].muscles) == {"gluteus_medius"}
    assert c.tests["overhead_squat"].whole["compensations"] == [{"id": "knees_move_inward", "side": "left"}]


def test_the_analysis_uses_the_canonical_ids() -> None:
    doc = analyse_document(assessment(**CLINICIAN))
    assert doc["tests_done"] == ["mmt", "overhead_squat", "passive_slr"]
    assert "weak:gluteus_medius:left" in {f["id"] for f in doc["findings"]}
    assert {"high_impact_sport", "one_sided_sport"} <= {f["id"] for f in doc["lifestyle_factors"]}


def _problems(**sections: Any) -> list[str]:
    with pytest.raises(InvalidAssessmentError) as err:
        parse_document(assessment(**sections), default(), source="case.yaml")
    return [str(p) for p in err.value.problems]


def test_an_unknown_word_is_refused_with_the_file_and_field_as_written() -> None:
    found = _problems(
        client={"age": 40, "equipment": ["mat", "trampoline"]}, tests={"SLRR": {"left": {"angle_deg": 5}}}
    )
    assert "case.yaml: client.equipment[1]: unknown equipment 'trampoline'" in found
    assert any(p.startswith("case.yaml: tests.SLRR: unknown test (did you mean passive_slr") for p in found), found


def test_a_field_problem_inside_an_aliased_test_is_reported_where_it_was_written() -> None:
    found = _problems(tests={"SLR": {"left": {"angle_deg": 400}}})
    assert found == ["case.yaml: tests.SLR.left.angle_deg: 400 deg is above the plausible maximum 120 deg"]


def test_a_test_given_under_its_id_and_an_alias_is_refused() -> None:
    found = _problems(tests={"passive_slr": {"left": {"angle_deg": 70}}, "slr": {"right": {"angle_deg": 70}}})
    assert found == ["case.yaml: tests.slr: 'passive_slr' is given twice"]
