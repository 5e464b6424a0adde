"""The knowledge base holds what the product promises: contract vocabularies and enough content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rebalance.knowledge import models as m
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.queries import addressing_index

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (
    ROOT / "spec" / "CONTRACT.md"
)  # the shared contract word for word, then the additions (tests/test_contract.py)
SHARED = ROOT.parent / "shared"

CONTRACT_MUSCLES = [
    "iliopsoas",
    "rectus_femoris",
    "tensor_fasciae_latae",
    "hamstrings",
    "quadriceps",
    "gluteus_maximus",
    "gluteus_medius",
    "piriformis",
    "hip_adductors",
    "hip_external_rotators",
    "erector_spinae",
    "quadratus_lumborum",
    "abdominals",
    "deep_core",
    "gastrocnemius_soleus",
    "tibialis_anterior",
    "latissimus_dorsi",
]
CONTRACT_TESTS = [
    "modified_thomas",
    "passive_slr",
    "active_knee_extension",
    "hip_internal_rotation",
    "hip_external_rotation",
    "ober",
    "fair",
    "seated_piriformis_stretch",
    "freiberg",
    "pace",
    "slump",
    "trendelenburg",
    "sij_provocation",
    "mmt",
    "dynamometry",
    "trunk_flexor_endurance",
    "trunk_extensor_endurance",
    "side_bridge",
    "single_leg_bridge",
    "pelvic_tilt",
    "lateral_pelvic_tilt",
    "overhead_squat",
    "gait",
]
CONTRACT_PATTERNS = [
    "lower_crossed_syndrome",
    "piriformis_syndrome",
    "hamstring_quadriceps_imbalance",
    "core_instability",
    "lateral_asymmetry",
    "nerve_root_irritation",
    "sacroiliac_joint_dysfunction",
    "posterior_pelvic_tilt",
]
CONTRACT_RED_FLAGS = [
    "saddle_anaesthesia",
    "bladder_dysfunction",
    "bowel_dysfunction",
    "new_sexual_dysfunction",
    "bilateral_leg_symptoms",
    "progressive_weakness",
    "history_of_cancer",
    "unexplained_weight_loss",
    "fever",
    "immunosuppression",
    "iv_drug_use",
    "significant_trauma",
    "osteoporosis",
    "long_term_corticosteroids",
    "night_pain",
    "structural_deformity",
]
CONTRACT_CONDITIONS = [
    "pregnancy",
    "osteoporosis",
    "hip_replacement",
    "knee_replacement",
    "recent_spinal_surgery",
    "spinal_stenosis",
    "disc_herniation",
    "hypertension",
    "wrist_pain",
    "knee_pain",
    "shoulder_pain",
    "balance_impairment",
]
CONTRACT_REGIONS = [
    "low_back",
    "buttock",
    "posterior_thigh",
    "anterior_thigh",
    "lateral_thigh",
    "groin",
    "knee",
    "calf",
    "shin",
    "foot",
]
CONTRACT_COMPENSATIONS = [
    "feet_turn_out",
    "knees_move_inward",
    "excessive_forward_lean",
    "low_back_arches",
    "low_back_rounds",
    "arms_fall_forward",
    "asymmetric_weight_shift",
    "heels_rise",
]
LIFESTYLE_REQUIRED = [
    "prolonged_sitting",
    "feet_turned_out_sitting",
    "back_pocket_wallet",
    "standing_on_one_leg",
    "one_sided_carrying",
    "heavy_lifting",
    "high_impact_sport",
    "one_sided_sport",
    "cycling",
    "poor_sleep_surface",
    "high_stress",
    "inactivity",
]
SEED_EXERCISES = [
    "half_kneeling_hip_flexor_stretch",
    "supine_piriformis_stretch",
    "glute_bridge",
    "front_plank",
    "bird_dog",
    "sciatic_nerve_slider_supine",
    "swimming",
    "walking",
    "diaphragmatic_breathing",
    "ball_release_piriformis",
    "foam_roll_quadriceps",
    "dead_bug",
    "side_plank",
]


@pytest.mark.parametrize(
    ("kind", "ids"),
    [
        ("muscles", CONTRACT_MUSCLES),
        ("tests", CONTRACT_TESTS),
        ("patterns", CONTRACT_PATTERNS),
        ("red_flags", CONTRACT_RED_FLAGS),
        ("conditions", CONTRACT_CONDITIONS),
        ("regions", CONTRACT_REGIONS),
        ("compensations", CONTRACT_COMPENSATIONS),
        ("lifestyle", LIFESTYLE_REQUIRED),
        ("exercises", SEED_EXERCISES),
    ],
)
def test_contract_vocabulary_is_present(kb: KnowledgeBase, kind: str, ids: list[str]) -> None:
    missing = [i for i in ids if i not in kb.records[kind]]
    assert missing == []


def test_contract_file_lists_no_id_we_lack(kb: KnowledgeBase) -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    block = text[text.index("- muscles (at least):") : text.index("## The analysis document")]
    listed = re.findall(r"[a-z][a-z_]+[a-z]", block.split(":", 1)[1])
    assert [x for x in listed if x not in kb.muscle] == []


@pytest.mark.parametrize(
    ("kind", "minimum"),
    [
        ("muscles", 30),
        ("tests", 25),
        ("exercises", 60),
        ("lifestyle", 12),
        ("patterns", 8),
        ("claims", 30),
    ],
)
def test_enough_content(kb: KnowledgeBase, kind: str, minimum: int) -> None:
    assert len(kb.records[kind]) >= minimum


def test_every_exercise_intent_is_covered(kb: KnowledgeBase) -> None:
    intents = {ex.intent for ex in kb.exercise.values()}
    assert intents == set(m.Exercise.model_fields["intent"].annotation.__args__)  # type: ignore[union-attr]


def test_structures_include_sciatic_nerve_path(kb: KnowledgeBase) -> None:
    sciatic = kb.structures["sciatic_nerve"]
    assert sciatic.roots == ["L4", "L5", "S1", "S2", "S3"]
    assert any("piriformis" in step for step in sciatic.path)
    for sid in ("sacroiliac_joint", "iliolumbar_ligament", "hip_joint", "pelvis", "l4_l5_segment", "l5_s1_segment"):
        assert sid in kb.structures


def test_every_muscle_has_nerve_roots_or_named_supply(kb: KnowledgeBase) -> None:
    for mu in kb.muscle.values():
        assert mu.nerve.name, mu.id


def test_every_pattern_sign_is_addressed_by_an_exercise(kb: KnowledgeBase) -> None:
    index = addressing_index(kb)
    unaddressed = [(p.id, s.finding) for p in kb.pattern.values() for s in p.signs if not index.get(s.finding)]
    assert unaddressed == []


def test_claims_map_records_the_hip_flexor_tilt_disagreement(kb: KnowledgeBase) -> None:
    contradicted = [c for c in kb.claims.values() if c.status == "contradicted" and "posterior" in c.claim.lower()]
    assert contradicted, "the seed's 'hip flexors cause posterior tilt' claim must be recorded as contradicted"
    assert any("anterior" in c.note.lower() for c in contradicted)


def test_claims_cover_every_seed(kb: KnowledgeBase) -> None:
    seeds = SHARED / "seeds"
    if not seeds.exists():
        pytest.skip("shared/seeds not beside the repo")
    assert {c.seed for c in kb.claims.values()} == {p.name for p in seeds.glob("*.txt")}


def test_progressions_point_to_harder_exercises(kb: KnowledgeBase) -> None:
    backwards = [
        (ex.id, p) for ex in kb.exercise.values() for p in ex.progressions if kb.exercise[p].difficulty < ex.difficulty
    ]
    assert backwards == []


def test_red_flags_each_say_where_to_go(kb: KnowledgeBase) -> None:
    for flag in kb.red_flags.values():
        assert flag.where_to_go and flag.urgency_alone in ("emergency", "urgent", "caution")
    assert {f.id for f in kb.red_flags.values() if f.category == "cauda_equina" and f.urgency_alone == "emergency"} >= {
        "saddle_anaesthesia",
        "bladder_dysfunction",
        "bowel_dysfunction",
        "new_sexual_dysfunction",
    }


def test_text_speaks_of_patterns_not_diagnoses(kb: KnowledgeBase) -> None:
    for p in kb.pattern.values():
        assert "consistent with" in p.explanation_template, p.id
    for t in kb.test.values():
        for n in t.norms:
            assert "diagnos" not in n.reason.lower() or "not" in n.reason.lower(), (t.id, n.id)


def test_no_exercise_restates_the_pain_rule_in_its_own_words(kb: KnowledgeBase) -> None:
    """How much pain is all right is said once, by programs.pain_rule, beside every exercise: an exercise's
    steps and cues never give a version of their own ("some pain is acceptable if ...", "pain up to 5")."""
    own = re.compile(r"pain (is )?(acceptable|all right|ok)|pain (up to|under|below) \d|\d ?/ ?10", re.IGNORECASE)
    said = [(ex.id, line) for ex in kb.exercise.values() for line in [*ex.steps, *ex.cues] if own.search(line)]
    assert said == []
