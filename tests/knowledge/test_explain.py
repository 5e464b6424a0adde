"""`rebalance explain` teaches every kind of record; `kb dump` prints the whole base."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest

from rebalance.knowledge import models as m
from rebalance.knowledge.explain import LAYOUTS, _generic, _pattern, _test, _value_words, id_fields
from rebalance.knowledge.loader import EXPLAINABLE, KnowledgeBase


@pytest.mark.parametrize(
    ("rid", "must_show"),
    [
        (
            "piriformis",
            [
                "Piriformis",
                "Relation to the sciatic nerve",
                "Antagonists",
                "Patterns it takes part in: Piriformis pattern",
                "FAIR test (flexion, adduction, internal rotation)",
                "Lying figure-four piriformis stretch",
                "Squat compensations that implicate it: Weight shifts to one side",
                "Sources",
                "  Smoll 2010: Smoll NR.",
            ],
        ),
        (
            "modified_thomas",
            [
                "How to do it",
                "Thigh above horizontal (a number, -30° to 60°): Angle of the hanging thigh",
                "Thigh above horizontal over 0° -> Tight or overactive: Iliopsoas (mild or worse, confidence 0.45)",
                "Knee flexion under 80° -> Tight or overactive: Rectus femoris",
                "(Kendall et al. 2005) - A hanging knee",
                "How far to trust it",
                "According to Vigotsky et al. 2016.",
            ],
        ),
        (
            "lower_crossed_syndrome",
            [
                "How it can cause sciatic or low back pain",
                "Tight or overactive: Iliopsoas (adds up to 0.25 to the confidence)",
                "Pain in: Low back (adds 0.1 to the confidence)",
                "Half-kneeling hip flexor stretch",
            ],
        ),
        ("supine_piriformis_stretch", ["Steps", "Cues", "Common mistakes", "Dose", "Not for:", "Patterns it serves"]),
        ("sciatic_nerve", ["Nerve roots", "L4, L5, S1, S2, S3", "Its path"]),
        (
            "prolonged_sitting",
            ["How rebalance spots it", "sitting hours per day at least 7 (Park et al. 2018)", "What to do instead"],
        ),
        ("tight", ["What it means", "What it can be found in", "Piriformis, Popliteus"]),
        ("saddle_anaesthesia", ["emergency"]),
        (
            "hip_joint_pathology",
            [
                "A screen, not a muscle imbalance",
                "Where to refer",
                "(routine)",
                "What makes it stand out",
                "hip internal rotation of 25° or less (adds 0.2 to the confidence) (Sutlive et al. 2008)",
                "Precautions kept until a doctor has checked: Hip osteoarthritis",
                "Sit to stand from a chair: Strengthening",
                "Sutlive et al. 2008: Sutlive TG",
                "NICE NG226 2022: National Institute",
            ],
        ),
        (
            "neurological_deficit",
            [
                "(soon)",
                "within days",
                "Weak or underactive: Tibialis anterior is read as Nerve signs",
                "Tawa et al. 2017: ",
            ],
        ),
        (
            "lumbar_spinal_stenosis",
            ["  Seated forward bend: Bending forward", "Cook et al. 2011: ", "Suri et al. 2010: "],
        ),
        (
            "spondylolysis_spondylolisthesis",
            ["or on its own: a spondylolisthesis already diagnosed", "Masci et al. 2006: "],
        ),
        (
            "one_leg_hyperextension",
            ["How far to trust it", "neither sensitive nor specific", "According to Grødahl et al. 2016."],
        ),
        ("fadir", ["Examination questions it answers (coverage): Hip joint"]),
        (
            "examine_hip_joint",
            [
                "What it asks",
                "Symptoms in: Groin, Front of the thigh",
                "FADIR test",
                "never that nothing was",
                "Sutlive et al. 2008: ",
            ],
        ),
        (
            "coverage",
            [
                "How it works",
                "the nerve first",
                "answers nothing",
                "Nerve-root irritation: whether",
                "Hamstrings and quadriceps: ",
            ],
        ),
        ("safety_rules", ["Urgent when 2 of: Osteoporosis, Long-term steroid tablets", "Minor fall or knock"]),
        (
            "hip_replacement_posterior",
            [
                "What it accounts for",
                "Piriformis pattern: not reported",
                "Hip bent past a right angle: Bending the hip past a right angle",
                "(Eannucci et al. 2019)",
            ],
        ),
        (
            "lumbar_spinal_stenosis",
            ["while it stands (it accounts for the same symptoms): Piriformis pattern"],
        ),
        (
            "hip_joint_pathology",
            ["Not raised for a client with Hip replacement (approach not known)", "(Ferrata et al. 2011)"],
        ),
        ("safety_rules", ["at least one flag of this episode"]),
        ("straight_leg_raise_held", ["  Disc herniation: A straight leg", "Lying hamstring stretch with a strap"]),
        ("minor_trauma", ["fracture", "thin bones"]),
    ],
)
def test_explain_shows_what_it_is_and_how_it_connects(cli: Any, rid: str, must_show: list[str]) -> None:
    code, out, err = cli("explain", rid)
    assert code == 0, err
    for text in must_show:
        assert text in out, text


def test_every_record_kind_can_be_explained(kb: KnowledgeBase, cli: Any) -> None:
    from rebalance.knowledge.explain import KIND_WORDS, explain, explain_records

    for kind in EXPLAINABLE:
        for rid in list(kb.records[kind])[:3]:
            block = next(b for b in explain_records(kb, rid) if b.kind == kind)
            assert f"{block.title}  ({KIND_WORDS[kind]})" in explain(kb, rid)


# What no text of `explain` shows (the same checks as every other text a person reads): a knowledge-base
# id, a finding id, a source tag, a weight, a ``[...]``, any snake_case name. A command's own argument
# ("--movement single_leg_stance" in a test's procedure) is what the person types, so it stays.
SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
ARGUMENT = re.compile(r"--[a-z]+ [a-z_]+")


def _ids_in(kb: KnowledgeBase, text: str) -> list[str]:
    from tests.reports.test_patient_words import FINDING_ID, TAG, _internal_ids

    text = ARGUMENT.sub("", text)
    return [m.group(0) for p in (_internal_ids(kb), FINDING_ID, TAG, SNAKE) for m in p.finditer(text)]


def test_the_id_check_finds_what_explain_used_to_show(kb: KnowledgeBase) -> None:
    old = "Piriformis  [muscle: piriformis]\n  Patterns: Piriformis pattern (piriformis_syndrome) [source: smoll_2010]"
    assert {"piriformis_syndrome", "smoll_2010", "[", "source:"} <= set(_ids_in(kb, old))
    assert _ids_in(kb, "tight:<target>[:<side>] (weight 0.3); thigh_above_horizontal_deg") != []
    assert _ids_in(kb, "Run rebalance video with --movement single_leg_stance. Piriformis (Smoll 2010).") == []


@pytest.mark.parametrize("kind", [*EXPLAINABLE, "tables"])
def test_explain_names_every_record_in_words_never_by_id(kb: KnowledgeBase, kind: str) -> None:
    """Every muscle, test, pattern, exercise, structure, habit, condition, source ... and every table: the text
    uses the words builder's names and citations; the ids stay in ``--json``."""
    from rebalance.knowledge.explain import TABLES, explain

    ids = (
        [*TABLES, "tight:piriformis:right", "asymmetry:side_bridge:left"]
        if kind == "tables"
        else list(kb.records[kind])
    )
    assert ids
    problems = {rid: found for rid in ids if (found := _ids_in(kb, explain(kb, rid)))}
    assert problems == {}


def test_explain_json_keeps_the_ids_the_text_leaves_out(cli: Any, kb: KnowledgeBase) -> None:
    code, out, err = cli("explain", "tight:piriformis:right", "--json")
    assert code == 0, err
    kind, muscle = json.loads(out)
    assert (kind["id"], kind["kind"], muscle["id"], muscle["kind"]) == (
        "tight",
        "finding_kinds",
        "piriformis",
        "muscles",
    )
    assert muscle["record"]["antagonists"] == kb.muscle["piriformis"].antagonists
    assert "smoll_2010" in {s["id"] for s in muscle["sources"]}
    assert {s["cited"] for s in muscle["sources"]} >= {"Smoll 2010"}
    headings = [s["heading"] for s in muscle["sections"]]
    assert "Relation to the sciatic nerve" in headings
    code, out, _ = cli("explain", "coverage", "--json")
    (table,) = json.loads(out)
    assert table["kind"] == "table" and table["record"]["records"] == list(kb.coverage)
    code, out, err = cli("explain", "piriformus", "--json")
    assert (code, out) == (2, "") and "did you mean" in err


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


def test_a_symptom_with_a_region_and_an_activity_keeps_them_apart(kb: KnowledgeBase) -> None:
    pattern = next(p for p in kb.pattern.values() if p.screen is None)
    region, activity = next(iter(kb.records["regions"])), next(iter(kb.records["activities"]))
    both = m.SymptomSign(region=region, aggravated_by=activity, weight=0.2)
    (symptoms,) = [
        lines
        for heading, lines in _pattern(kb, pattern.model_copy(update={"symptoms": [both]}))
        if heading == "Symptoms that fit it"
    ]
    region_name, activity_name = kb.records["regions"][region].name, kb.records["activities"][activity].name
    assert symptoms == [f"Pain in: {region_name}; Made worse by: {activity_name} (adds 0.2 to the confidence)"]


def test_only_a_field_that_holds_ids_has_its_value_renamed(kb: KnowledgeBase) -> None:
    """A word that happens to be spelled like a record's id stays a word outside the fields that hold ids."""
    region = next(iter(kb.records["regions"].values()))
    odd = region.model_copy(update={"aliases": ["piriformis"], "summary": "walking"})
    (details,) = [lines for heading, lines in _generic(kb, odd) if heading == "Details"]
    assert "Aliases: piriformis" in details and "Summary: walking" in details
    assert _value_words(kb, "muscle", "piriformis") == kb.muscle["piriformis"].name
    assert {"muscle", "test", "overactive", "kb", "any_of"} <= id_fields() and "aliases" not in id_fields()


def test_a_test_layout_without_words_is_explained_not_a_key_error(kb: KnowledgeBase) -> None:
    test = next(iter(kb.test.values())).model_copy(update={"layout": "per_visit"})
    (measures,) = [lines for heading, lines in _test(kb, test) if heading == "What it measures"]
    assert measures[-1].endswith("Recorded per visit.")
    assert set(typing.get_args(m.Test.model_fields["layout"].annotation)) == set(LAYOUTS)  # every layout has words
