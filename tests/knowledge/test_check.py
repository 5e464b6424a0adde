"""`rebalance kb check` catches every kind of problem, names file and path, reports all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebalance.knowledge.check import check
from rebalance.knowledge.loader import DATA_DIR
from tests.conftest import edit_yaml, record


def messages(data: Path) -> list[str]:
    return [str(p) for p in check(data)]


def test_packaged_knowledge_base_has_no_problems() -> None:
    assert messages(DATA_DIR) == []


def test_dangling_id_is_reported_with_file_and_path(data_copy: Path) -> None:
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "iliopsoas")["antagonists"].append("gluteus_maximum"))
    found = messages(data_copy)
    assert any(
        m.startswith("muscles.yaml: [")
        and "iliopsoas.antagonists[" in m
        and "unknown muscle 'gluteus_maximum' (did you mean gluteus_maximus" in m
        for m in found
    ), found


def test_pattern_sign_that_no_exercise_addresses_is_reported(data_copy: Path) -> None:
    def drop(rs: list[dict[str, Any]]) -> None:
        # remove every exercise that lengthens or releases the piriformis
        for r in rs:
            if r["intent"] in ("lengthen", "release") and "piriformis" in r["primary"]:
                r["primary"] = [m for m in r["primary"] if m != "piriformis"] or ["hip_external_rotators"]
                r["secondary"] = [m for m in r.get("secondary", []) if m != "piriformis"]

    for f in (data_copy / "exercises").glob("*.yaml"):
        edit_yaml(f, drop)
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "piriformis").update(part_of=None))
    found = messages(data_copy)
    assert any(
        "patterns.yaml" in m
        and "piriformis_syndrome.signs[0].finding" in m
        and "no exercise addresses supporting finding 'tight:piriformis'" in m
        for m in found
    ), found


def test_progression_cycle_is_reported(data_copy: Path) -> None:
    path = data_copy / "exercises" / "activate.yaml"
    edit_yaml(path, lambda rs: record(rs, "glute_bridge")["regressions"].append("single_leg_bridge"))
    found = messages(data_copy)
    assert any("progression cycle:" in m and "glute_bridge" in m and "single_leg_bridge" in m for m in found), found


def test_exercise_with_no_target_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "exercises" / "lengthen.yaml", lambda rs: record(rs, "standing_calf_stretch").update(primary=[])
    )
    found = messages(data_copy)
    assert any(
        m.startswith("exercises/lengthen.yaml") and "standing_calf_stretch.primary: exercise has no target muscle" in m
        for m in found
    ), found


def test_test_with_no_norm_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "tests.yaml", lambda rs: record(rs, "ober").update(norms=[]))
    found = messages(data_copy)
    assert any("tests.yaml" in m and "ober.norms: test has no norm" in m for m in found), found


def test_duplicate_id_is_reported_with_both_places(data_copy: Path) -> None:
    def dup(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [*rs, dict(record(rs, "piriformis"))]

    edit_yaml(data_copy / "muscles.yaml", dup)
    found = messages(data_copy)
    assert any("muscles.yaml" in m and "piriformis: duplicate id (first at muscles.yaml:" in m for m in found), found


def test_yaml_error_is_reported_with_line(data_copy: Path) -> None:
    (data_copy / "regions.yaml").write_text("- {id: low_back, name: [unclosed\n", encoding="utf-8")
    found = messages(data_copy)
    assert any(m.startswith("regions.yaml: line ") and "YAML error" in m for m in found), found


def test_clinical_number_without_source_is_reported(data_copy: Path) -> None:
    def strip(rs: list[dict[str, Any]]) -> None:
        record(rs, "modified_thomas")["norms"][0].pop("source")

    edit_yaml(data_copy / "tests.yaml", strip)
    edit_yaml(data_copy / "criteria.yaml", lambda rs: record(rs, "severe_pain").pop("source"))
    found = messages(data_copy)
    assert any("modified_thomas.norms[0]: clinical number without a source" in m for m in found), found
    assert any("criteria.yaml" in m and "severe_pain: clinical number without a source" in m for m in found), found


def test_unknown_source_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "patterns.yaml", lambda rs: record(rs, "lower_crossed_syndrome")["sources"].append("jandaa_1987")
    )
    found = messages(data_copy)
    assert any("lower_crossed_syndrome.sources[" in m and "unknown source 'jandaa_1987'" in m for m in found), found


def test_record_that_breaks_its_model_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "exercises" / "strengthen.yaml", lambda rs: record(rs, "front_plank").update(difficulty=7))
    found = messages(data_copy)
    assert any("front_plank.difficulty" in m and "less than or equal to 4" in m for m in found), found


def test_every_problem_is_reported_at_once_and_cli_exits_non_zero(data_copy: Path, cli: Any) -> None:
    edit_yaml(data_copy / "muscles.yaml", lambda rs: record(rs, "iliopsoas")["antagonists"].append("nope_muscle"))
    edit_yaml(data_copy / "tests.yaml", lambda rs: record(rs, "ober").update(norms=[]))
    (data_copy / "regions.yaml").write_text("- [\n", encoding="utf-8")
    code, out, err = cli("--data", str(data_copy), "kb", "check")
    assert code == 1
    assert "nope_muscle" in err and "ober.norms" in err and "regions.yaml: line" in err
    assert "3 problems in" in err and out == ""


def test_cli_kb_check_passes_on_packaged_data(cli: Any) -> None:
    code, out, err = cli("kb", "check")
    assert code == 0, err
    assert out.startswith("knowledge base OK:")


def _screen(records: list[dict[str, Any]], rid: str) -> dict[str, Any]:
    return record(records, rid)["screen"]


def test_a_screen_naming_what_does_not_exist_is_reported(data_copy: Path) -> None:
    def break_screens(rs: list[dict[str, Any]]) -> None:
        hip = _screen(rs, "hip_joint_pathology")
        hip["items"][0]["aggravated_by"] = ["squating"]
        hip["required"][0].append("no_such_item")
        hip["implies_conditions"].append("hip_arthritis")
        hip["favours"].append({"exercise": "sit_to_stnd", "why": "x"})
        fadir = next(i for i in hip["items"] if i["id"] == "fadir")
        fadir["measure"]["field"] = "positiv"
        faber = next(i for i in hip["items"] if i["id"] == "faber_groin")
        faber["measure"]["value"] = "knee"
        _screen(rs, "neurological_deficit")["rereads"][0]["as_finding"] = "neural:sciatic_nerv"
        record(rs, "lumbar_spinal_stenosis")["explanation_template"] = "Consistent with stenosis {side}."

    edit_yaml(data_copy / "patterns.yaml", break_screens)
    found = "\n".join(messages(data_copy))
    for expected in [
        "hip_joint_pathology.screen.items[0].aggravated_by[0]: unknown activity 'squating' (did you mean squatting",
        "hip_joint_pathology.screen.required[0][6]: unknown screen item 'no_such_item'",
        "hip_joint_pathology.screen.implies_conditions[1]: unknown condition 'hip_arthritis'",
        "hip_joint_pathology.screen.favours[4]: unknown exercise 'sit_to_stnd'",
        "hip_joint_pathology.screen.items[5].measure.field: unknown field 'positiv' (did you mean positive",
        "hip_joint_pathology.screen.items[6].measure.value: 'knee' is not one of none, groin, buttock",
        "neurological_deficit.screen.rereads[0].as_finding: 'sciatic_nerv' is not a valid target",
        "lumbar_spinal_stenosis.explanation_template: a screen's explanation must say '{consequence}'",
    ]:
        assert expected in found, expected


def test_what_a_screen_explains_must_be_an_imbalance_and_what_a_condition_explains_a_pattern(
    data_copy: Path,
) -> None:
    """A screen accounts for imbalances only; a condition may account for a screen too (a replaced hip is
    not osteoarthritis), but only for a pattern that exists."""

    def break_screens(rs: list[dict[str, Any]]) -> None:
        _screen(rs, "lumbar_spinal_stenosis")["explains"] = ["piriformis_syndrom", "hip_joint_pathology"]

    def break_conditions(rs: list[dict[str, Any]]) -> None:
        record(rs, "hip_replacement_posterior")["explains"][0]["pattern"] = "hip_joint_pathologie"
        record(rs, "hip_osteoarthritis")["explains"][0]["source"] = "nobody_2099"

    edit_yaml(data_copy / "patterns.yaml", break_screens)
    edit_yaml(data_copy / "conditions.yaml", break_conditions)
    found = "\n".join(messages(data_copy))
    for expected in [
        "lumbar_spinal_stenosis.screen.explains[0]: unknown pattern 'piriformis_syndrom' (did you mean",
        "lumbar_spinal_stenosis.screen.explains[1]: 'hip_joint_pathology' is a screen, not an imbalance pattern",
        "hip_replacement_posterior.explains[0]: unknown pattern 'hip_joint_pathologie' (did you mean",
        "hip_osteoarthritis.explains[0].source: unknown source 'nobody_2099'",
    ]:
        assert expected in found, expected


def test_a_screen_without_a_referral_or_an_item_with_two_criteria_breaks_its_model(data_copy: Path) -> None:
    def break_model(rs: list[dict[str, Any]]) -> None:
        del record(rs, "lumbar_spinal_stenosis")["refer"]
        _screen(rs, "hip_joint_pathology")["items"][0]["age_over"] = 44

    edit_yaml(data_copy / "patterns.yaml", break_model)
    found = "\n".join(messages(data_copy))
    assert "lumbar_spinal_stenosis: Value error, a screen has 'refer' and 'screen'" in found
    assert "hip_joint_pathology.screen.items[0]: Value error, a screen item has exactly one criterion" in found


def test_a_coverage_rule_naming_an_unknown_test_or_region_is_reported(data_copy: Path) -> None:
    def break_rules(rs: list[dict[str, Any]]) -> None:
        record(rs, "examine_hip_joint")["tests"].append("fadirr")
        record(rs, "examine_piriformis")["regions"] = ["butock"]
        record(rs, "examine_sacroiliac_joint")["pattern"] = "sacroiliac_joint_dysfunktion"

    edit_yaml(data_copy / "coverage.yaml", break_rules)
    found = "\n".join(messages(data_copy))
    assert "coverage.yaml: [" in found
    assert "examine_hip_joint.tests[5]: unknown test 'fadirr' (did you mean fadir" in found
    assert "examine_piriformis.regions[0]: unknown region 'butock' (did you mean buttock" in found
    assert "examine_sacroiliac_joint.pattern[0]: unknown pattern 'sacroiliac_joint_dysfunktion'" in found


def test_an_alias_naming_two_records_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "equipment.yaml", lambda rs: record(rs, "swiss_ball")["aliases"].append("Ball"))
    found = messages(data_copy)
    assert any(
        m.startswith("equipment.yaml: [") and "swiss_ball.aliases[" in m and "also names massage_ball" in m
        for m in found
    ), found


def test_an_alias_shadowing_another_id_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "activities.yaml", lambda rs: record(rs, "twisting")["aliases"].append("lifting"))
    found = messages(data_copy)
    assert any(
        "activities.yaml" in m and "twisting.aliases[" in m and "shadows the id of lifting" in m for m in found
    ), found


def test_an_alias_that_repeats_the_name_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "conditions.yaml", lambda rs: record(rs, "hypertension")["aliases"].append("High blood pressure")
    )
    found = messages(data_copy)
    assert any("hypertension.aliases[" in m and "already the id or the name" in m for m in found), found


def test_a_sport_trigger_naming_no_sport_is_reported(data_copy: Path) -> None:
    edit_yaml(data_copy / "lifestyle.yaml", lambda rs: record(rs, "cycling")["trigger"]["value"].append("biking"))
    found = messages(data_copy)
    assert any(
        "lifestyle.yaml" in m and "cycling.trigger.value[" in m and "unknown sport 'biking'" in m for m in found
    ), found


# ----------------------------------------------------------------------------- norms and the healthy


def _slr_norm(rs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(n for n in record(rs, "passive_slr")["norms"] if n["id"] == "slr_short_hamstrings")


def test_a_cut_off_within_one_sd_of_the_healthy_mean_is_refused(data_copy: Path) -> None:
    # the old "SLR under 60 degrees" sits at Gajdosik's healthy mean of 61 (SD 6.7)
    edit_yaml(data_copy / "tests.yaml", lambda rs: _slr_norm(rs)["when"][0].update(value=60))
    found = messages(data_copy)
    assert any(
        m.startswith("tests.yaml: [")
        and "passive_slr.norms[1].when[0].value" in m
        and "cut-off 60 lies within one SD of the healthy mean (61 ± 6.7)" in m
        for m in found
    ), found


def test_a_published_cut_off_near_the_healthy_mean_is_allowed(data_copy: Path) -> None:
    def published(rs: list[dict[str, Any]]) -> None:
        _slr_norm(rs)["when"][0].update(value=60)
        _slr_norm(rs)["published_cutoff"] = True

    edit_yaml(data_copy / "tests.yaml", published)
    assert messages(data_copy) == []


def test_a_ratio_threshold_near_the_healthy_mean_is_refused(data_copy: Path) -> None:
    def near(rs: list[dict[str, Any]]) -> None:
        r = record(rs, "hamstring_quadriceps")
        r.update(threshold=0.6, published_cutoff=False)
        r["healthy"]["sd"] = 0.1

    edit_yaml(data_copy / "ratios.yaml", near)
    found = messages(data_copy)
    assert any("ratios.yaml" in m and "hamstring_quadriceps.threshold" in m and "within one SD" in m for m in found), (
        found
    )


def test_healthy_values_without_a_source_are_refused(data_copy: Path) -> None:
    edit_yaml(data_copy / "tests.yaml", lambda rs: _slr_norm(rs)["healthy"].pop("source"))
    found = messages(data_copy)
    assert any("passive_slr.norms[1].healthy" in m and "without a source" in m for m in found), found


def test_exercise_whose_figure_cannot_be_drawn_is_reported(data_copy: Path) -> None:
    def break_clamshell(rs: list[dict[str, Any]]) -> None:
        pose = record(rs, "clamshell")["pose"]
        pose["props"] = [{"kind": "mat", "at": "ceiling"}]
        pose["hands"] = {"right": "wall"}

    edit_yaml(data_copy / "exercises" / "activate.yaml", break_clamshell)
    found = messages(data_copy)
    figure = [m for m in found if "clamshell.pose" in m]
    assert any(
        m.startswith("exercises/activate.yaml: [")
        and "clamshell.pose.props: the figure cannot be drawn: a mat cannot be at 'ceiling' (its places: floor)" in m
        for m in figure
    ), found
    assert any(
        "clamshell.pose.hands: the figure cannot be drawn: the right hand rests on 'wall'" in m
        and "the figure has no wall there" in m
        for m in figure
    ), found


def test_exercise_figure_with_an_unknown_prop_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "exercises" / "activate.yaml",
        lambda rs: record(rs, "clamshell")["pose"].update(props=[{"kind": "trampoline"}]),
    )
    found = messages(data_copy)
    assert any("clamshell" in m and "pose.props[0].kind" in m and "'mat'" in m for m in found), found


def test_a_safety_rule_requiring_a_flag_it_does_not_list_is_reported(data_copy: Path) -> None:
    edit_yaml(
        data_copy / "safety_rules.yaml", lambda rs: record(rs, "infection_cluster").update(requires=["night_pain"])
    )
    found = messages(data_copy)
    assert any("infection_cluster.requires" in m and "must be one of any_of" in m for m in found), found
