"""`rebalance explain` teaches every kind of record; `kb dump` prints the whole base."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rebalance.knowledge.loader import KnowledgeBase


@pytest.mark.parametrize(
    ("rid", "must_show"),
    [
        (
            "piriformis",
            [
                "Piriformis",
                "Relation to the sciatic nerve",
                "Antagonists",
                "piriformis_syndrome",
                "fair",
                "supine_piriformis_stretch",
                "asymmetric_weight_shift",
                "Sources",
                "[smoll_2010]",
            ],
        ),
        (
            "modified_thomas",
            ["How to do it", "thigh_above_horizontal_deg", "tight:iliopsoas", "source: ", "How far to trust it"],
        ),
        (
            "lower_crossed_syndrome",
            [
                "How it can cause sciatic or low back pain",
                "Tight or overactive: Iliopsoas",
                "half_kneeling_hip_flexor_stretch",
            ],
        ),
        ("supine_piriformis_stretch", ["Steps", "Cues", "Common mistakes", "Dose", "Not for:", "Patterns it serves"]),
        ("sciatic_nerve", ["Nerve roots", "L4, L5, S1, S2, S3", "Its path"]),
        ("prolonged_sitting", ["How rebalance spots it", "sitting_hours_per_day", "What to do instead"]),
        ("tight", ["What it means", "tight:<target>"]),
        ("saddle_anaesthesia", ["emergency"]),
        (
            "hip_joint_pathology",
            [
                "A screen, not a muscle imbalance",
                "Where to refer",
                "(routine)",
                "What makes it stand out",
                "hip internal rotation of 25° or less (weight 0.2) [source: sutlive_2008]",
                "Precautions kept until a doctor has checked: Hip osteoarthritis",
                "Sit to stand from a chair (sit_to_stand)",
                "[sutlive_2008] Sutlive TG",
                "[nice_ng226]",
            ],
        ),
        (
            "neurological_deficit",
            ["(soon)", "within days", "Weak or underactive: Tibialis anterior is read as Nerve signs", "[tawa_2017]"],
        ),
        ("lumbar_spinal_stenosis", ["Seated forward bend (seated_flexion_stretch)", "[cook_2011]", "[suri_2010]"]),
        ("spondylolysis_spondylolisthesis", ["or on its own: a spondylolisthesis already diagnosed", "[masci_2006]"]),
        ("one_leg_hyperextension", ["How far to trust it", "neither sensitive nor specific", "[source: grodahl_2016]"]),
        ("fadir", ["Examination questions it answers (coverage): Hip joint (examine_hip_joint)"]),
        (
            "examine_hip_joint",
            ["What it asks", "Symptoms in: Groin (groin)", "FADIR test", "never that nothing was", "[sutlive_2008]"],
        ),
        (
            "coverage",
            ["How it works", "the nerve first", "answers nothing", "examine_nerve_tension", "examine_thigh_muscles"],
        ),
        ("safety_rules", ["fracture_cluster: urgent when 2 of", "minor_trauma"]),
        (
            "hip_replacement_posterior",
            [
                "What it accounts for",
                "Piriformis pattern (piriformis_syndrome): not reported",
                "[posterior_tha_rotators_2019]",
            ],
        ),
        (
            "lumbar_spinal_stenosis",
            ["Not reported, nor their tests suggested, while it stands", "Piriformis pattern (piriformis_syndrome)"],
        ),
        ("hip_joint_pathology", ["Not raised for a client with Hip replacement (approach not known)", "ferrata_2011"]),
        ("safety_rules", ["at least one flag of this episode"]),
        ("straight_leg_raise_held", ["Disc herniation (disc_herniation)", "supine_hamstring_strap_stretch"]),
        ("minor_trauma", ["fracture", "thin bones"]),
    ],
)
def test_explain_shows_what_it_is_and_how_it_connects(cli: Any, rid: str, must_show: list[str]) -> None:
    code, out, err = cli("explain", rid)
    assert code == 0, err
    for text in must_show:
        assert text in out, text


def test_every_record_kind_can_be_explained(kb: KnowledgeBase, cli: Any) -> None:
    from rebalance.knowledge.explain import explain
    from rebalance.knowledge.loader import EXPLAINABLE

    for kind in EXPLAINABLE:
        for rid in list(kb.records[kind])[:3]:
            assert rid in explain(kb, rid)


def test_unknown_id_suggests_and_exits_2(cli: Any) -> None:
    code, out, err = cli("explain", "piriformus")
    assert code == 2
    assert out == ""
    assert "unknown id 'piriformus'" in err and "did you mean" in err and "piriformis" in err


def test_kb_dump_is_the_whole_base_as_json(cli: Any, kb: KnowledgeBase) -> None:
    code, out, _ = cli("kb", "dump")
    assert code == 0
    doc = json.loads(out)
    for kind in ("muscles", "tests", "patterns", "exercises", "conditions", "red_flags", "sources", "claims"):
        assert len(doc[kind]) == len(kb.records[kind])
    assert {m["id"] for m in doc["muscles"]} == set(kb.muscle)


def test_a_finding_id_explains_its_kind_and_its_target(cli: Any) -> None:
    code, out, _ = cli("explain", "tight:piriformis:right")
    assert code == 0
    assert "Tight or overactive" in out and "Relation to the sciatic nerve" in out
    code, _, err = cli("explain", "tight:piriformus")
    assert code == 2 and "did you mean" in err


def test_a_finding_id_in_words_names_muscles_and_structures_and_the_side(kb: KnowledgeBase) -> None:
    """One wording of a finding id for `explain` and the patient's learn pages (``finding_words``)."""
    from rebalance.knowledge.explain import finding_words

    tight = kb.finding_kinds["tight"].name
    assert finding_words(kb, "tight:piriformis:right") == f"{tight}: {kb.muscle['piriformis'].name} (right)"
    assert finding_words(kb, "tight:piriformis") == f"{tight}: {kb.muscle['piriformis'].name}"
    nerve = kb.structures["sciatic_nerve"].name
    assert finding_words(kb, "neural:sciatic_nerve").endswith(f": {nerve}")
    assert finding_words(kb, "unknown_kind:not_a_record") == "unknown_kind: not a record"
    for kind in ("tests", "ratios", "compensations"):  # a finding's target can be any of these too
        record_id, record = next(iter(kb.records[kind].items()))
        assert finding_words(kb, f"asymmetry:{record_id}:left").endswith(f": {record.name} (left)")
