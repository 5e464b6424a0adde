"""The phrase builder: agreement, articles, sides, lists, numbers and citations, from the knowledge base."""

from __future__ import annotations

import pytest

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import (
    Noun,
    article,
    both_noun,
    both_sides,
    citation,
    date_words,
    evidence_sentence,
    finding_clause,
    finding_list,
    finding_phrase,
    finding_title,
    flag_name,
    habit_phrase,
    habit_side,
    head_index,
    join,
    muscle_noun,
    quantity,
    running,
)
from rebalance.knowledge.words import test_phrase as phrase_of_test


@pytest.mark.parametrize(
    ("finding", "audience", "words"),
    [
        ("tight:piriformis:right", "patient", "a tight right piriformis"),
        ("tight:hip_external_rotators:right", "clinician", "tight deep hip external rotators on the right"),
        ("tight:hip_external_rotators:right", "patient", "tight deep hip rotators on the right"),
        ("weak:abdominals", "patient", "weak abdominal muscles"),
        ("weak:gluteus_maximus:left", "patient", "weak buttock muscles on the left"),
        ("weak:gluteus_maximus:left", "clinician", "a weak left gluteus maximus"),
        ("tight:iliopsoas:left", "patient", "a tight left deep hip flexor"),
        ("weak:deep_core", "clinician", "a weak deep core"),
        ("tight:gastrocnemius_soleus:right", "clinician", "a tight right calf"),
        ("tight:tensor_fasciae_latae:left", "clinician", "a tight left tensor fasciae latae"),
        ("weak:gluteus_medius:both", "patient", "a weak gluteus medius on both sides"),
        ("tight:iliopsoas:both", "patient", "tight deep hip flexors on both sides"),  # two muscles
        ("tight:tensor_fasciae_latae:both", "patient", "tight TFL muscles at the side of the hip on both sides"),
        ("tight:iliopsoas:both", "clinician", "a tight iliopsoas on both sides"),  # a Latin name as it is
        ("tight:rotator_cuff:both", "clinician", "tight rotator cuffs on both sides"),  # the head noun, not "rotators"
        ("weak:quadratus_lumborum:both", "patient", "weak side muscles of the low back on both sides"),
        ("tight:obturator_internus:both", "patient", "tight deep hip rotators (obturator internus) on both sides"),
        ("tight:gastrocnemius_soleus:both", "clinician", "tight calves on both sides"),
    ],
)
def test_a_muscle_finding_agrees_in_number_and_takes_its_article(
    kb: KnowledgeBase, finding: str, audience: str, words: str
) -> None:
    assert finding_phrase(kb, finding, audience) == words  # type: ignore[arg-type]


def test_never_an_article_before_a_plural_or_an_abbreviation_in_brackets(kb: KnowledgeBase) -> None:
    for muscle in kb.muscle.values():
        for side in ("left", "right", None):
            fid = f"weak:{muscle.id}" + (f":{side}" if side else "")
            for audience in ("patient", "clinician"):
                words = finding_phrase(kb, fid, audience)  # type: ignore[arg-type]
                noun = muscle_noun(kb, muscle.id, audience)  # type: ignore[arg-type]
                assert words.startswith(("a ", "an ")) != noun.plural, words
                assert "(mmt)" not in words and "_" not in words


@pytest.mark.parametrize("audience", ["patient", "clinician"])
def test_on_both_sides_only_a_names_head_noun_takes_the_plural(kb: KnowledgeBase, audience: str) -> None:
    """Every muscle's name: a plural name as it is; else at most one word changes, the head noun (the last
    word before a preposition or a parenthesis), to its plural."""
    for muscle in kb.muscle.values():
        noun = muscle_noun(kb, muscle.id, audience)  # type: ignore[arg-type]
        both = both_noun(noun)
        if noun.plural:
            assert both == noun
            continue
        before, after = noun.text.split(" "), both.text.split(" ")
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert changed in ([], [head_index(noun.text)]), (noun.text, both.text)
        assert both.plural == bool(changed), both.text
        if changed:
            word = after[changed[0]]
            assert word.endswith("s") and word != before[changed[0]] + "ss", both.text


@pytest.mark.parametrize(
    ("name", "both"),
    [
        ("rotator cuff", "rotator cuffs"),
        ("deep hip rotator (obturator internus)", "deep hip rotators (obturator internus)"),
        ("small muscle behind the knee", "small muscles behind the knee"),
        ("Calf", "Calves"),
        ("pelvic floor", "pelvic floor"),
        ("rectus femoris", "rectus femoris"),
    ],
)
def test_the_head_noun_takes_the_plural(name: str, both: str) -> None:
    assert both_noun(Noun(name)).text == both


@pytest.mark.parametrize(
    ("finding", "clause"),
    [
        ("weak:gluteus_medius:right", "your right gluteus medius is weak"),
        ("tight:hamstrings:left", "your left hamstrings are tight"),
        ("weak:abdominals", "your abdominal muscles are weak"),
        ("asymmetry:side_bridge:right", "your right side lags behind your left on the side bridge"),
        ("posture:lateral_pelvic_tilt:left", "your pelvis rests higher on the left"),
        ("movement:knees_move_inward:left", "the squat showed the knees moving inward on the left"),
        ("neural:sciatic_nerve:left", "you have a sensitive left sciatic nerve"),
        ("tight:iliopsoas:both", "your deep hip flexors are tight on both sides"),
    ],
)
def test_a_finding_as_a_clause_about_the_person(kb: KnowledgeBase, finding: str, clause: str) -> None:
    assert finding_clause(kb, finding) == clause


def test_the_other_kinds_in_words(kb: KnowledgeBase) -> None:
    assert finding_phrase(kb, "asymmetry:side_bridge:right", value=63.9) == (
        "your right side reaching 64 % of your left on the side bridge"
    )
    assert finding_phrase(kb, "ratio:hamstring_quadriceps:left") == (
        "a low hamstring-to-quadriceps strength ratio on the left"
    )
    assert finding_phrase(kb, "posture:anterior_pelvic_tilt") == "a pelvis tilted forward"
    shift = "movement:asymmetric_weight_shift"
    assert finding_phrase(kb, f"{shift}:left") == "the weight shifting to the left side in the squat"
    assert finding_phrase(kb, "movement:asymmetric_weight_shift") == "the weight shifting to one side in the squat"
    assert finding_phrase(kb, "neural:lumbar_nerve_roots:left") == "a nerve root on the left that works less well"


def test_a_finding_on_both_sides_is_said_once(kb: KnowledgeBase) -> None:
    ids = ["weak:gluteus_maximus:left", "tight:piriformis:right", "weak:gluteus_maximus:right"]
    assert both_sides(ids) == ["weak:gluteus_maximus:both", "tight:piriformis:right"]
    assert finding_list(kb, ids) == "weak buttock muscles on both sides and a tight right piriformis"


def test_a_finding_in_a_grouped_list_names_its_side(kb: KnowledgeBase) -> None:
    assert finding_title(kb, "tight:piriformis:right") == "Right piriformis"
    assert finding_title(kb, "weak:hamstrings:left") == "Hamstrings, left"
    assert finding_title(kb, "weak:abdominals") == "Abdominal muscles"
    assert finding_title(kb, "asymmetry:side_bridge:right") == "Side bridge, right side lower"


def test_tests_are_named_as_a_sentence_names_them(kb: KnowledgeBase) -> None:
    assert phrase_of_test(kb, "fair") == "the FAIR test"
    assert phrase_of_test(kb, "passive_slr") == "the straight-leg raise"
    assert all(t.phrase.startswith("the ") and "_" not in t.phrase for t in kb.test.values())


def test_lists_articles_names_numbers_and_dates() -> None:
    assert join([]) == "" and join(["a"]) == "a" and join(["a", "b"]) == "a and b"
    assert join(["a", "b", "c", "b"]) == "a, b and c"
    assert join(["a", "b"], "or") == "a or b"
    assert [article(w) for w in ("tight", "inner", "upper", "one-sided", "MRC", "TFL")] == [
        "a",
        "an",
        "an",
        "a",
        "an",
        "a",
    ]
    assert running("Calf (gastrocnemius and soleus)") == "calf"
    assert running("TFL muscle") == "TFL muscle"
    assert quantity(64, "deg") == "64°" and quantity(30, "s") == "30 s" and quantity(13.5, "mm") == "13.5 mm"
    assert quantity(True, None) == "positive"
    assert date_words("2026-05-12") == "12 May 2026"


def test_a_safety_flag_is_named_as_running_text_whether_a_red_flag_or_a_condition(kb: KnowledgeBase) -> None:
    assert flag_name(kb, "saddle_anaesthesia") == running(kb.red_flags["saddle_anaesthesia"].name)
    assert flag_name(kb, "night_pain") == "pain at night"
    condition = next(c for c in kb.conditions if c not in kb.red_flags)
    assert flag_name(kb, condition) == running(kb.conditions[condition].name)
    assert flag_name(kb, "not_a_flag") == "a warning sign"


def test_a_habit_is_said_on_the_side_the_person_does_it(kb: KnowledgeBase) -> None:
    # a bag carried on the right loads the left trunk: the analysis puts the finding side (left)
    assert habit_side(kb, "one_sided_carrying", "left") == "right"
    assert habit_phrase(kb, "one_sided_carrying", "left") == "Carrying bags on your right side"
    # standing on the left leg weakens the left gluteus medius: the same side
    assert habit_phrase(kb, "standing_on_one_leg", "left") == "Standing with your weight on your left leg"
    assert habit_phrase(kb, "prolonged_sitting", None) == "Long hours of sitting"


def test_a_source_is_cited_by_author_and_year(kb: KnowledgeBase) -> None:
    assert citation(kb, "fishman_2002") == "Fishman et al. 2002"
    assert citation(kb, "mcgill_1998") == "McGill 1998"
    assert citation(kb, "coppieters_2008") == "Coppieters and Butler 2008"
    assert citation(kb, "nice_ng59") == "NICE NG59 2016"
    assert citation(kb, "rebalance_convention") == "rebalance's own convention"
    for source in kb.sources:
        cited = citation(kb, source)
        assert "_" not in cited and len(cited) <= 60, (source, cited)


def test_evidence_reads_as_a_sentence_with_its_value_norm_and_citation(kb: KnowledgeBase) -> None:
    thomas = {"test": "modified_thomas", "value": 64, "threshold": 80, "reason": "Short.", "source": "kendall_2005"}
    assert evidence_sentence(kb, "tight:rectus_femoris:right", thomas) == (
        "The modified Thomas test measured 64° (under 80° counts). Short. (Kendall et al. 2005)"
    )
    fair = {"test": "fair", "value": True, "threshold": True, "reason": "Familiar pain", "source": "fishman_2002"}
    assert evidence_sentence(kb, "tight:piriformis:right", fair) == (
        "The FAIR test was positive. Familiar pain. (Fishman et al. 2002)"
    )
    mmt = {"test": "mmt", "value": 4, "threshold": 5, "reason": "Weak.", "source": "rebalance_convention"}
    assert evidence_sentence(kb, "weak:gluteus_medius:right", mmt) == (
        "The muscle strength test measured grade 4 of 5 (under grade 5 counts). Weak. (rebalance's own convention)"
    )
    ratio = {"test": "hamstring_quadriceps", "value": 0.46, "threshold": 0.47, "reason": "Low."}
    ratio["source"] = "ardern_2015"
    assert evidence_sentence(kb, "ratio:hamstring_quadriceps:right", ratio) == (
        "The ratio was 0.46 (under 0.47 counts). Low. (Ardern et al. 2015)"
    )


def test_side_words_come_from_one_place() -> None:
    from rebalance.knowledge.words import on_side, side_noun

    assert [on_side(s) for s in ("left", "right", "both", "central", None)] == [
        "on the left",
        "on the right",
        "on both sides",
        "",
        "",
    ]
    sides = [side_noun(s) for s in ("left", "right", "both", None)]
    assert sides == ["left side", "right side", "both sides", "both sides"]
